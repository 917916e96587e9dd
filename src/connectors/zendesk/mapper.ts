// Pure mapping from a Zendesk ticket and its history (audits, or incremental ticket events: the same
// audits as a stream) to the case timeline (issue 5, "Mapping"). No I/O, no clock.
import type { Status } from '../../core/types.ts';
import type { CaseInput, ExternalRef, SourceEvent } from '../types.ts';
import type { ZendeskConfig, ZendeskStatus } from './config.ts';
import type { TicketEventChild, ZendeskAudit, ZendeskTicket, ZendeskTicketEvent } from './api-types.ts';

export type ZendeskMapperConfig = Pick<ZendeskConfig, 'baseUrl' | 'statusMap'>;

/** The ticket fields whose history the timeline needs. */
const TRACKED_FIELDS = ['status', 'priority', 'requester_id'] as const;
type TrackedField = (typeof TRACKED_FIELDS)[number];

/** One audit of a ticket, reduced to what the timeline reads; the same from both sources. */
export interface ZendeskHistoryEntry {
  /** The audit id (an incremental ticket event's id is its audit's id), for de-duplication. */
  id: number;
  ticketId: number;
  at: string;
  atMs: number;
  /** The audit that created the ticket (it holds Create events); its comment is the description. */
  creates: boolean;
  changes: { field: TrackedField; value: unknown; previous: unknown }[];
  comments: { authorId: number | null; public: boolean }[];
}

/**
 * From GET /api/v2/incremental/ticket_events.json?include=comment_events. A field event names the
 * field as its key (`{"status": "open", "previous_value": "new", "event_type": "Change"}`); without
 * the sideload a comment is only `comment_present`/`comment_public`, with no author, and never counts.
 */
export function historyFromTicketEvent(event: ZendeskTicketEvent): ZendeskHistoryEntry {
  const entry = emptyEntry(event.id, event.ticket_id, event.created_at);
  for (const child of event.child_events) {
    const kind = child.event_type ?? (child.type === 'Comment' ? 'Comment' : undefined);
    if (kind === 'Create' || kind === 'Change') {
      if (kind === 'Create') entry.creates = true;
      for (const field of TRACKED_FIELDS) {
        if (Object.hasOwn(child, field)) entry.changes.push({ field, value: (child as TicketEventChild & Record<string, unknown>)[field], previous: child['previous_value'] });
      }
    } else if (kind === 'Comment') {
      entry.comments.push({ authorId: child.author_id ?? null, public: child.public ?? child['comment_public'] === true });
    }
  }
  return entry;
}

/** From GET /api/v2/tickets/{id}/audits.json: events with `field_name`, `value`, `previous_value`. */
export function historyFromAudit(audit: ZendeskAudit): ZendeskHistoryEntry {
  const entry = emptyEntry(audit.id, audit.ticket_id, audit.created_at);
  for (const e of audit.events) {
    if (e.type === 'Create' || e.type === 'Change') {
      if (e.type === 'Create') entry.creates = true;
      const field = TRACKED_FIELDS.find((f) => f === e.field_name);
      if (field) entry.changes.push({ field, value: e.value, previous: e.previous_value });
    } else if (e.type === 'Comment') {
      entry.comments.push({ authorId: e.author_id ?? null, public: e.public === true });
    }
  }
  return entry;
}

function emptyEntry(id: number, ticketId: number, at: string): ZendeskHistoryEntry {
  return { id, ticketId, at, atMs: Date.parse(at), creates: false, changes: [], comments: [] };
}

/** Zendesk priorities are lowercase words; null, "" and "-" are "no priority". */
export function normalizePriority(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const p = value.trim().toLowerCase();
  return p === '' || p === '-' || p === 'none' ? null : p;
}

const normalizeStatus = (value: unknown, fallback: string): string => (typeof value === 'string' && value !== '' ? value.toLowerCase() : fallback);
const normalizeUserId = (value: unknown): number | null => (typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : null);

/** A status Zendesk does not document (a future one) counts as open: the clock keeps running. */
export function mapZendeskStatus(raw: string, cfg: Pick<ZendeskMapperConfig, 'statusMap'>): Status {
  return Object.hasOwn(cfg.statusMap, raw) ? cfg.statusMap[raw as ZendeskStatus] : 'open';
}

/** What every Zendesk case carries (writeback and the agreement rules read them, see src/sync/agreements.ts). */
export interface ZendeskCaseAttributes {
  ticketId: number;
  /** Zendesk's status as last seen (writeback leaves closed tickets alone: Zendesk refuses to update them). */
  rawStatus?: string;
  organizationId?: number | null;
  groupId?: number | null;
  requesterId?: number | null;
  requesterEmail?: string | null;
  issueType?: string | null;
  /** Absent when not known (a webhook ref). */
  tags?: string[];
  /** Custom field id -> value, non-empty values only. */
  customFields?: Record<string, unknown>;
  /** The ticket's updated_at as last read: the `updated_stamp` a safe update is guarded with. */
  updatedStamp?: string;
  [key: string]: unknown;
}

export function zendeskTicketRef(ticketId: number, attributes: Omit<ZendeskCaseAttributes, 'ticketId'> = {}): ExternalRef {
  return { externalId: String(ticketId), externalKey: `#${ticketId}`, attributes: { ticketId, ...attributes } };
}

/** Reads the attributes back from a stored case or a webhook ref; null when the ref is not a ticket. */
export function zendeskRefAttributes(ref: ExternalRef): ZendeskCaseAttributes | null {
  if (!/^\d+$/.test(ref.externalId)) return null;
  const a = ref.attributes;
  const tags = Array.isArray(a['tags']) ? a['tags'].filter((t): t is string => typeof t === 'string') : undefined;
  const fields = a['customFields'];
  return {
    ...a,
    ticketId: Number(ref.externalId),
    ...(tags ? { tags } : {}),
    ...(typeof a['updatedStamp'] === 'string' ? { updatedStamp: a['updatedStamp'] } : {}),
    ...(typeof a['rawStatus'] === 'string' ? { rawStatus: a['rawStatus'] } : {}),
    ...(fields && typeof fields === 'object' && !Array.isArray(fields) ? { customFields: fields as Record<string, unknown> } : {}),
  };
}

function customFieldsOf(ticket: ZendeskTicket): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of ticket.custom_fields) {
    if (f.value === null || f.value === undefined || f.value === '' || (Array.isArray(f.value) && f.value.length === 0)) continue;
    out[String(f.id)] = f.value;
  }
  return out;
}

export interface ZendeskTicketBundle {
  ticket: ZendeskTicket;
  /** Its audits, any order, repeats allowed (from the export and a backfill). */
  history: readonly ZendeskHistoryEntry[];
  /** From the `users` sideload, when it had the requester. */
  requesterEmail?: string | null;
}

/**
 * ticket + history -> CaseInput.
 *
 * - created: at `created_at`, with the status and priority the creating audit set. Changes at the
 *   creation second in other audits (triggers firing on creation) fold into it.
 * - status / priority: every change after that, in audit order, when the mapped value changes.
 * - agent_reply: Zendesk's first-reply rule (https://support.zendesk.com/hc/en-us/articles/4408821871642):
 *   the first PUBLIC comment by an agent who is not the ticket's requester at that moment. Private
 *   notes never count, and the creating audit's comment (the description) never does: for a ticket
 *   an agent created, the agent's NEXT public comment is the reply. Who is an agent is `agents`.
 * - When the ticket object is newer than the last audit seen (an audit not delivered yet: the
 *   export leaves out the last minute), one reconciling step at `updated_at` brings status and
 *   priority to what the ticket says; when the history is newer (the ticket changed after it was
 *   listed), the history is believed and the ticket comes again with the next page or sync.
 */
export function zendeskTicketToCase(bundle: ZendeskTicketBundle, cfg: ZendeskMapperConfig, agents: ReadonlySet<number>): CaseInput {
  const { ticket } = bundle;
  const byId = new Map<number, ZendeskHistoryEntry>();
  for (const h of bundle.history) if (h.ticketId === ticket.id) byId.set(h.id, h);
  const history = [...byId.values()].sort((a, b) => a.atMs - b.atMs || a.id - b.id);
  const createdMs = Date.parse(ticket.created_at);
  const creating = history.find((h) => h.creates) ?? null;

  // Initial values: as the creating audit set them; without it, the first change's previous value.
  const initial = (field: TrackedField, current: unknown): unknown => {
    const set = creating?.changes.find((c) => c.field === field);
    if (set) return set.value;
    const first = history.flatMap((h) => h.changes).find((c) => c.field === field);
    return first ? first.previous : current;
  };
  let rawStatus = normalizeStatus(initial('status', ticket.status), ticket.status);
  let priority = normalizePriority(initial('priority', ticket.priority));
  let requester = normalizeUserId(initial('requester_id', ticket.requester_id));

  /** The tracked fields after one audit. */
  const after = (h: ZendeskHistoryEntry): { rawStatus: string; priority: string | null; requester: number | null } => {
    const next = { rawStatus, priority, requester };
    for (const c of h.changes) {
      if (c.field === 'status') next.rawStatus = normalizeStatus(c.value, next.rawStatus);
      else if (c.field === 'priority') next.priority = normalizePriority(c.value);
      else next.requester = normalizeUserId(c.value);
    }
    return next;
  };
  const atCreation = (h: ZendeskHistoryEntry): boolean => h !== creating && h.atMs <= createdMs;
  for (const h of history) if (atCreation(h)) ({ rawStatus, priority } = after(h));

  let status = mapZendeskStatus(rawStatus, cfg);
  const events: SourceEvent[] = [{ at: ticket.created_at, type: 'created', status, rawPriority: priority, rawStatus }];
  let replied = false;
  let lastMs = Math.max(createdMs, creating?.atMs ?? createdMs);

  /** What one instant changed: priority, then status (the reply, if any, was pushed before). */
  const emit = (at: string, next: { rawStatus: string; priority: string | null }): void => {
    if (next.priority !== priority) events.push({ at, type: 'priority', rawPriority: (priority = next.priority) });
    const mapped = mapZendeskStatus(next.rawStatus, cfg);
    if (mapped !== status) events.push({ at, type: 'status', status: (status = mapped), rawStatus: next.rawStatus });
    rawStatus = next.rawStatus;
  };

  for (const h of history) {
    if (h === creating) continue;
    // An audit dated before the ticket (imported tickets) happens at its creation.
    const atMs = Math.max(h.atMs, createdMs);
    const at = atMs === h.atMs ? h.at : ticket.created_at;
    lastMs = Math.max(lastMs, atMs);
    // Without the creating audit, a comment at the creation instant may be the description: skipped.
    if (!replied && !(creating === null && h.atMs <= createdMs)) {
      const reply = h.comments.find((c) => c.public && c.authorId !== null && agents.has(c.authorId) && c.authorId !== requester);
      if (reply) {
        events.push({ at, type: 'agent_reply', author: String(reply.authorId) });
        replied = true;
      }
    }
    const next = after(h);
    requester = next.requester;
    if (atCreation(h)) continue; // status and priority already folded into `created`
    emit(at, next);
  }

  // Reconcile with a ticket object newer than the history we have.
  const updatedMs = Date.parse(ticket.updated_at);
  if (updatedMs > lastMs) emit(ticket.updated_at, { rawStatus: normalizeStatus(ticket.status, rawStatus), priority: normalizePriority(ticket.priority) });

  const attributes: ZendeskCaseAttributes = {
    ticketId: ticket.id,
    rawStatus,
    organizationId: ticket.organization_id ?? null,
    groupId: ticket.group_id ?? null,
    requesterId: ticket.requester_id ?? null,
    ...(bundle.requesterEmail === undefined ? {} : { requesterEmail: bundle.requesterEmail }),
    issueType: ticket.type ?? null,
    tags: [...ticket.tags],
    customFields: customFieldsOf(ticket),
    updatedStamp: ticket.updated_at,
  };
  return {
    externalId: String(ticket.id),
    externalKey: `#${ticket.id}`,
    url: `${cfg.baseUrl}/agent/tickets/${ticket.id}`,
    title: ticket.subject || ticket.raw_subject || `Ticket #${ticket.id}`,
    rawPriority: priority,
    status,
    createdAt: ticket.created_at,
    updatedAt: updatedMs >= lastMs ? ticket.updated_at : new Date(lastMs).toISOString().replace('.000Z', 'Z'),
    events,
    attributes,
  };
}
