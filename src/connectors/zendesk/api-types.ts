// Loose schemas of the Zendesk Support objects the connector reads (STYLE.md: "a loose vendor schema
// and a strict internal model"). Only the fields we use are listed; the rest passes through, so a new
// field at Zendesk never breaks a sync. Shapes and envelopes as in the API reference:
// - tickets: https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/
// - incremental exports (tickets/cursor, ticket_events):
//   https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
// - audits: https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_audits/
// - users: https://developer.zendesk.com/api-reference/ticketing/users/users/
import { z } from 'zod';

/** Zendesk writes "2025-03-03T09:00:00Z". */
const timestamp = z.iso.datetime({ offset: true });
const id = z.number().int();

export const zendeskTicketSchema = z.looseObject({
  id,
  url: z.string().optional(),
  subject: z.string().nullish(),
  raw_subject: z.string().nullish(),
  /** new, open, pending, hold, solved, closed; "deleted" in the incremental export. */
  status: z.string(),
  /** urgent, high, normal, low, or null ("-"). */
  priority: z.string().nullish(),
  type: z.string().nullish(),
  requester_id: id.nullish(),
  submitter_id: id.nullish(),
  assignee_id: id.nullish(),
  organization_id: id.nullish(),
  group_id: id.nullish(),
  brand_id: id.nullish(),
  tags: z.array(z.string()).default([]),
  custom_fields: z.array(z.looseObject({ id, value: z.unknown() })).default([]),
  created_at: timestamp,
  updated_at: timestamp,
  /** Unix seconds of the last change of any kind; only in incremental export responses. */
  generated_timestamp: z.number().int().optional(),
});
export type ZendeskTicket = z.infer<typeof zendeskTicketSchema>;

export const zendeskUserSchema = z.looseObject({
  id,
  name: z.string().nullish(),
  email: z.string().nullish(),
  /** end-user, agent or admin. */
  role: z.string(),
});
export type ZendeskUser = z.infer<typeof zendeskUserSchema>;

/** GET /api/v2/incremental/tickets/cursor.json (items validated one by one). */
export const ticketExportPageSchema = z.looseObject({
  tickets: z.array(z.unknown()),
  users: z.array(z.unknown()).optional(),
  after_cursor: z.string().nullish(),
  after_url: z.string().nullish(),
  end_of_stream: z.boolean(),
});

/**
 * One child event of an incremental ticket event. Field changes carry the field's name as a key
 * (`"status": "open", "previous_value": "new"`); with `include=comment_events` a comment is a child
 * with `author_id` and `public`.
 */
export const ticketEventChildSchema = z.looseObject({
  id: id.optional(),
  event_type: z.string().optional(),
  /** "Comment" on a sideloaded comment, but also the ticket's own `type` field ("incident", null). */
  type: z.unknown().optional(),
  author_id: id.nullish(),
  public: z.boolean().optional(),
});
export type TicketEventChild = z.infer<typeof ticketEventChildSchema>;

export const ticketEventSchema = z.looseObject({
  /** The id of the ticket's audit this event is. */
  id,
  ticket_id: id,
  timestamp: z.number().int(),
  created_at: timestamp,
  updater_id: id.nullish(),
  event_type: z.string().optional(),
  child_events: z.array(ticketEventChildSchema).default([]),
});
export type ZendeskTicketEvent = z.infer<typeof ticketEventSchema>;

/** GET /api/v2/incremental/ticket_events.json (time-based export). */
export const ticketEventsPageSchema = z.looseObject({
  ticket_events: z.array(z.unknown()),
  next_page: z.string().nullish(),
  count: z.number().int(),
  end_time: z.number().int().nullish(),
  end_of_stream: z.boolean(),
});

export const auditEventSchema = z.looseObject({
  id: id.optional(),
  /** Create, Change, Comment, Notification, ... */
  type: z.string(),
  field_name: z.string().optional(),
  value: z.unknown().optional(),
  previous_value: z.unknown().optional(),
  author_id: id.nullish(),
  public: z.boolean().optional(),
});

export const zendeskAuditSchema = z.looseObject({
  id,
  ticket_id: id,
  created_at: timestamp,
  author_id: id.nullish(),
  events: z.array(auditEventSchema).default([]),
});
export type ZendeskAudit = z.infer<typeof zendeskAuditSchema>;

/** Offset-paginated lists (audits of a ticket, users). */
export const auditsPageSchema = z.looseObject({ audits: z.array(z.unknown()), next_page: z.string().nullish(), count: z.number().int().optional() });
export const usersPageSchema = z.looseObject({ users: z.array(z.unknown()), next_page: z.string().nullish(), count: z.number().int().optional() });

/** GET /api/v2/tickets/{id}.json, PUT /api/v2/tickets/{id}.json. */
export const ticketEnvelopeSchema = z.looseObject({ ticket: zendeskTicketSchema, users: z.array(z.unknown()).optional() });

/** Error bodies: `{"error": "RecordNotFound", "description": "Not found"}`, sometimes `{"error": {"title", "message"}}`. */
export const zendeskErrorSchema = z.looseObject({
  error: z.union([z.string(), z.looseObject({ title: z.string().optional(), message: z.string().optional() })]).optional(),
  description: z.string().optional(),
  details: z.unknown().optional(),
});

/**
 * Webhook bodies we accept (see webhook.ts): the JSON a trigger or automation is told to send, and
 * Zendesk's event-subscription webhooks (`zen:event-type:ticket.*`).
 */
const idLike = z.union([id, z.string().regex(/^\d+$/).transform(Number)]);
export const triggerWebhookBodySchema = z.looseObject({
  ticket_id: idLike.optional(),
  ticket: z.looseObject({ id: idLike }).optional(),
  event: z.string().optional(),
});
export const eventWebhookBodySchema = z.looseObject({
  type: z.string().startsWith('zen:event-type:'),
  id: z.string().optional(),
  subject: z.string().optional(),
  detail: z.looseObject({ id: idLike.optional() }).optional(),
});
