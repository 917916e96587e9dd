// Writes the SLA state back to the ticket (issue 5, "Writeback"): the tags `sla_at_risk` and
// `sla_breached`, added and removed, and, when the connection names one, a text field "SLA due" set
// to the next deadline. One `PUT /api/v2/tickets/{id}.json` does it all, guarded by
// `safe_update` + `updated_stamp`: when an agent changed the ticket since we read it, Zendesk answers
// 409 and nothing of ours is applied; we read the ticket again and try once more on what it says now.
// https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#protecting-against-ticket-update-collisions
// Never a comment: a public comment would mail the customer.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConnectorError, err, ok } from '../types.ts';
import type { ConnectorContext, ExternalRef, Result, SlaSnapshot, WritebackOutcome, WritebackState } from '../types.ts';
import type { ZendeskConfig } from './config.ts';
import type { ZendeskTicket } from './api-types.ts';
import { ZendeskHttpError, createZendeskClient, getTicket, toConnectorError, updateTicket } from './client.ts';
import type { ZendeskClient } from './client.ts';
import { zendeskRefAttributes } from './mapper.ts';

export const SLA_TAGS = { atRisk: 'sla_at_risk', breached: 'sla_breached' } as const;
const SLA_TAG_NAMES: readonly string[] = Object.values(SLA_TAGS);

/** Bump when what is written changes meaning, so every ticket is written once more. */
const WRITE_FORMAT = 1;

/**
 * What we remember per ticket: what we last made sure the ticket shows, and the ticket's
 * `updated_at` right after (our write's, or the one we decided on). A case's attributes older than
 * that stamp were read before our write and are not believed; newer ones are (a person may have
 * taken a tag off: it goes back on).
 */
const writebackStateSchema = z.object({
  v: z.literal(1),
  fingerprint: z.string(),
  slaTags: z.array(z.string()),
  due: z.string().nullable(),
  updatedStamp: z.string().nullable(),
});
export type ZendeskWritebackState = z.infer<typeof writebackStateSchema>;

/** `sla_breached` while any metric is breached, `sla_at_risk` while any is at risk (both can hold). */
export function wantedSlaTags(sla: SlaSnapshot): string[] {
  const states = Object.values(sla.evaluation.metrics).map((m) => m.state);
  const wanted: string[] = [];
  if (states.includes('at_risk')) wanted.push(SLA_TAGS.atRisk);
  if (states.includes('breached')) wanted.push(SLA_TAGS.breached);
  return wanted;
}

/**
 * The "SLA due" text: the earliest deadline of a metric still running (breached ones included: the
 * deadline that was missed), as an ISO instant in UTC, which sorts as text in views; null (the field
 * cleared) when no metric is running.
 */
export function nextSlaDue(sla: SlaSnapshot): string | null {
  const due = Object.values(sla.evaluation.metrics)
    .filter((m) => m.completedAt === null && m.dueAt !== null)
    .map((m) => m.dueAt!)
    .sort((a, b) => Date.parse(a) - Date.parse(b));
  return due[0] ?? null;
}

function fingerprintOf(tags: readonly string[], due: string | null): string {
  return createHash('sha256').update(JSON.stringify({ format: WRITE_FORMAT, tags, due })).digest('hex').slice(0, 32);
}

function parseState(previous: WritebackState | null): ZendeskWritebackState | null {
  const parsed = writebackStateSchema.safeParse(previous);
  return parsed.success ? parsed.data : null;
}

const ms = (iso: string | null | undefined): number => (iso ? Date.parse(iso) : -Infinity);
const newest = (a: string | null | undefined, b: string | null | undefined): string | null => (ms(a) >= ms(b) ? (a ?? null) : (b ?? null));

/** The ticket as far as the writeback is concerned. */
interface Shown {
  slaTags: string[];
  due: string | null;
  rawStatus: string | undefined;
}

function dueOf(fields: Record<string, unknown> | undefined, fieldId: number | undefined): string | null {
  if (fieldId === undefined) return null;
  const value = fields?.[String(fieldId)];
  return typeof value === 'string' && value !== '' ? value : null;
}

function shownByTicket(ticket: ZendeskTicket, cfg: ZendeskConfig): Shown {
  const fields = Object.fromEntries(ticket.custom_fields.map((f) => [String(f.id), f.value]));
  return { slaTags: ticket.tags.filter((t) => SLA_TAG_NAMES.includes(t)).sort(), due: dueOf(fields, cfg.slaDueFieldId), rawStatus: ticket.status };
}

interface Change {
  add: string[];
  remove: string[];
  /** undefined: leave the field alone. */
  due: string | null | undefined;
}

function changeFor(shown: Shown, wanted: string[], wantedDue: string | null, cfg: ZendeskConfig): Change | null {
  const add = wanted.filter((t) => !shown.slaTags.includes(t));
  const remove = shown.slaTags.filter((t) => !wanted.includes(t));
  const due = cfg.slaDueFieldId !== undefined && shown.due !== wantedDue ? wantedDue : undefined;
  return add.length === 0 && remove.length === 0 && due === undefined ? null : { add, remove, due };
}

function describe(change: Change): string[] {
  return [...change.add.map((t) => `tag +${t}`), ...change.remove.map((t) => `tag -${t}`), ...(change.due === undefined ? [] : [`SLA due = ${change.due ?? '(cleared)'}`])];
}

/** Zendesk refuses any update to a closed ticket (422 "Status: closed prevents ticket update"). */
const isClosedRefusal = (error: unknown): boolean => error instanceof ZendeskHttpError && error.status === 422 && /closed/i.test(error.message);

async function put(client: ZendeskClient, cfg: ZendeskConfig, ticketId: number, change: Change, stamp: string): Promise<ZendeskTicket> {
  return updateTicket(client, ticketId, {
    ...(change.add.length > 0 ? { additional_tags: change.add } : {}),
    ...(change.remove.length > 0 ? { remove_tags: change.remove } : {}),
    ...(change.due !== undefined && cfg.slaDueFieldId !== undefined ? { custom_fields: [{ id: cfg.slaDueFieldId, value: change.due }] } : {}),
    safe_update: true,
    updated_stamp: stamp,
  });
}

export async function zendeskWriteback(
  cfg: ZendeskConfig,
  ref: ExternalRef,
  sla: SlaSnapshot,
  previous: WritebackState | null,
  ctx: ConnectorContext,
): Promise<Result<WritebackOutcome>> {
  const attrs = zendeskRefAttributes(ref);
  if (!attrs) return err(new ConnectorError('bad_payload', `zendesk: ${ref.externalKey} is not a ticket ref`));
  const prev = parseState(previous);
  const wanted = wantedSlaTags(sla);
  const wantedDue = cfg.slaDueFieldId === undefined ? null : nextSlaDue(sla);
  const fingerprint = fingerprintOf(wanted, wantedDue);

  // What the ticket shows: the case's attributes, unless they were read before our last write.
  const stale = prev !== null && (attrs.updatedStamp === undefined || ms(attrs.updatedStamp) < ms(prev.updatedStamp));
  const shown: Shown = stale
    ? { slaTags: prev.slaTags, due: prev.due, rawStatus: attrs.rawStatus }
    : {
        slaTags: (attrs.tags ?? prev?.slaTags ?? []).filter((t) => SLA_TAG_NAMES.includes(t)).sort(),
        due: attrs.customFields || !prev ? dueOf(attrs.customFields, cfg.slaDueFieldId) : prev.due,
        rawStatus: attrs.rawStatus,
      };
  const settled = (stamp: string | null): ZendeskWritebackState => ({ v: 1, fingerprint, slaTags: wanted, due: wantedDue, updatedStamp: stamp });
  const unchanged = (stamp: string | null): Result<WritebackOutcome> => {
    const state = settled(stamp);
    return ok({ state: prev && JSON.stringify(prev) === JSON.stringify(state) ? previous! : state, calls: 0, actions: [] });
  };

  let change = changeFor(shown, wanted, wantedDue, cfg);
  const knownStamp = newest(prev?.updatedStamp, attrs.updatedStamp);
  if (change === null) return unchanged(knownStamp);
  // Closed tickets cannot be updated; what they show stays.
  if (shown.rawStatus === 'closed') return ok({ state: previous ?? settled(knownStamp), calls: 0, actions: [] });

  const client = createZendeskClient(cfg, ctx);
  const calls = (): number => client.requests.writes;
  try {
    let stamp = knownStamp;
    for (let attempt = 0; ; attempt++) {
      if (stamp === null) {
        // Nothing known of the ticket's version (a case stored before updatedStamp existed): read it.
        const fresh = await getTicket(client, attrs.ticketId);
        if (!fresh) return err(new ConnectorError('not_found', `zendesk: ticket ${attrs.ticketId} is gone`));
        stamp = fresh.ticket.updated_at;
        change = changeFor(shownByTicket(fresh.ticket, cfg), wanted, wantedDue, cfg);
        if (change === null) return ok({ state: settled(stamp), calls: calls(), actions: [] });
        if (fresh.ticket.status === 'closed') return ok({ state: previous ?? settled(stamp), calls: calls(), actions: [] });
      }
      try {
        const updated = await put(client, cfg, attrs.ticketId, change, stamp);
        return ok({ state: settled(updated.updated_at), calls: calls(), actions: describe(change) });
      } catch (error) {
        if (isClosedRefusal(error)) return ok({ state: previous ?? settled(stamp), calls: calls(), actions: [] });
        if (!(error instanceof ZendeskHttpError && error.status === 409)) throw error;
        // An agent's edit won: nothing of ours was applied. Read the ticket again and decide anew,
        // once; a second collision is left to the job's retry.
        if (attempt >= 1) return err(new ConnectorError('conflict', `zendesk: ticket ${attrs.ticketId} kept changing under the update (safe_update)`));
        stamp = null;
      }
    }
  } catch (error) {
    return err(toConnectorError(error));
  }
}
