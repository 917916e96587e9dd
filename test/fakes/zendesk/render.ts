// The fake world as Zendesk's JSON: field names and envelopes as in the API reference
// (developer.zendesk.com/api-reference: Tickets, Ticket Audits, Incremental Exports, Users).
import { CUSTOM_FIELD_IDS, seconds } from './world.ts';
import type { FakeAudit, FakeAuditEvent, FakeTicket, FakeUser } from './world.ts';

const VIA_NAMES: Record<FakeAudit['channel'], string> = { web: 'Web form', email: 'Mail', api: 'Web service', rule: 'Rule' };
const via = (channel: FakeAudit['channel']) => ({ channel, source: { from: {}, to: {}, rel: channel === 'rule' ? 'automation' : null } });

export function ticketJson(t: FakeTicket, baseUrl: string, exported = false) {
  return {
    url: `${baseUrl}/api/v2/tickets/${t.id}.json`,
    id: t.id,
    external_id: null,
    via: { channel: t.audits[0]?.channel ?? 'web', source: { from: {}, to: {}, rel: null } },
    created_at: t.createdAt,
    updated_at: t.updatedAt,
    ...(exported ? { generated_timestamp: t.generatedTimestamp } : {}),
    type: t.type,
    subject: t.subject,
    raw_subject: t.subject,
    description: t.description,
    priority: t.priority,
    status: t.status,
    recipient: 'support@acme.zendesk.com',
    requester_id: t.requesterId,
    submitter_id: t.submitterId,
    assignee_id: t.assigneeId,
    organization_id: t.organizationId,
    group_id: t.groupId,
    collaborator_ids: [],
    follower_ids: [],
    email_cc_ids: [],
    forum_topic_id: null,
    problem_id: null,
    has_incidents: false,
    is_public: t.audits[0]?.events.some((e) => e.type === 'Comment' && e.public) ?? true,
    due_at: null,
    tags: [...t.tags],
    custom_fields: CUSTOM_FIELD_IDS.map((id) => ({ id, value: t.customFields[String(id)] ?? null })),
    satisfaction_rating: null,
    sharing_agreement_ids: [],
    custom_status_id: 360_000_000 + ['new', 'open', 'pending', 'hold', 'solved', 'closed'].indexOf(t.status),
    fields: CUSTOM_FIELD_IDS.map((id) => ({ id, value: t.customFields[String(id)] ?? null })),
    followup_ids: [],
    ticket_form_id: 360_000_500,
    brand_id: t.brandId,
    allow_channelback: false,
    allow_attachments: true,
    from_messaging_channel: false,
  };
}

export function userJson(u: FakeUser, baseUrl: string) {
  return {
    id: u.id,
    url: `${baseUrl}/api/v2/users/${u.id}.json`,
    name: u.name,
    email: u.email,
    created_at: u.createdAt,
    updated_at: u.createdAt,
    time_zone: 'Europe/Berlin',
    locale: 'en-US',
    role: u.role,
    role_type: u.role === 'end-user' ? null : 0,
    custom_role_id: u.role === 'agent' ? 360_000_900 : null,
    active: true,
    verified: true,
    suspended: false,
    moderator: u.role !== 'end-user',
    only_private_comments: false,
    restricted_agent: false,
    shared: false,
    shared_agent: false,
    ticket_restriction: u.role === 'end-user' ? 'requested' : null,
    tags: [],
    user_fields: {},
  };
}

function auditEventJson(e: FakeAuditEvent, audit: FakeAudit) {
  switch (e.type) {
    case 'Create':
      return { id: e.id, type: 'Create', field_name: e.field_name, value: e.value };
    case 'Change':
      return { id: e.id, type: 'Change', field_name: e.field_name, value: e.value, previous_value: e.previous_value };
    case 'Comment':
      return {
        id: e.id,
        type: 'Comment',
        author_id: e.author_id,
        body: e.body,
        html_body: `<div class="zd-comment" dir="auto"><p dir="auto">${e.body}</p></div>`,
        plain_body: e.body,
        public: e.public,
        attachments: [],
        audit_id: audit.id,
      };
    case 'Notification':
      return { id: e.id, type: 'Notification', subject: e.subject, body: e.body, recipients: e.recipients, via: { channel: 'rule', source: { from: { id: 360_000_700, title: 'Notify requester of comment update' }, rel: 'trigger' } } };
  }
}

export function auditJson(audit: FakeAudit) {
  return {
    id: audit.id,
    ticket_id: audit.ticketId,
    created_at: audit.createdAt,
    author_id: audit.authorId,
    metadata: { system: { client: 'Mozilla/5.0', ip_address: '203.0.113.7', location: 'Berlin, BE, Germany' }, custom: {} },
    via: via(audit.channel),
    events: audit.events.map((e) => auditEventJson(e, audit)),
  };
}

/**
 * One audit as the incremental ticket event export shows it: a field event names the field as its
 * key; tag events carry added_tags/removed_tags; comments are full objects only with the
 * `comment_events` sideload, else comment_present / comment_public.
 */
export function ticketEventJson(audit: FakeAudit, withComments: boolean) {
  const viaName = VIA_NAMES[audit.channel];
  const child = (e: FakeAuditEvent): Record<string, unknown> => {
    const base = { id: e.id, via: viaName, via_reference_id: null };
    switch (e.type) {
      case 'Create':
      case 'Change': {
        const value: Record<string, unknown> = { [e.field_name]: e.value };
        if (e.field_name === 'tags') {
          const before = e.type === 'Change' ? (e.previous_value as string[]) : [];
          value['added_tags'] = (e.value as string[]).filter((t) => !before.includes(t));
          value['removed_tags'] = before.filter((t) => !(e.value as string[]).includes(t));
        }
        return { ...base, ...value, ...(e.type === 'Change' ? { previous_value: e.previous_value } : {}), event_type: e.type };
      }
      case 'Comment':
        return withComments
          ? {
              id: e.id,
              via: via(audit.channel),
              via_reference_id: null,
              type: 'Comment',
              author_id: e.author_id,
              body: e.body,
              html_body: `<div class="zd-comment"><p dir="auto">${e.body}</p></div>`,
              public: e.public,
              attachments: [],
              audit_id: audit.id,
              created_at: audit.createdAt,
              event_type: 'Comment',
            }
          : { ...base, comment_present: true, comment_public: e.public, event_type: 'Comment' };
      case 'Notification':
        return { ...base, subject: e.subject, body: e.body, recipients: e.recipients, event_type: 'Notification' };
    }
  };
  return {
    id: audit.id,
    ticket_id: audit.ticketId,
    timestamp: seconds(audit.createdAt),
    created_at: audit.createdAt,
    updater_id: audit.authorId,
    via: viaName,
    system: { client: 'Mozilla/5.0', ip_address: '203.0.113.7', location: 'Berlin, BE, Germany', latitude: 52.52, longitude: 13.4 },
    metadata: {},
    event_type: 'Audit',
    child_events: audit.events.map(child),
  };
}
