// Incremental sync of Zendesk tickets (issue 5, "Sync"): the cursor-based ticket export says which
// tickets changed and how they look now; the incremental ticket event export gives their histories
// (every audit of every ticket, in time order, 1,000 a request). A page of cases is yielded with a
// cursor after every ticket page (STYLE.md habit 5).
//
// Why the event export and not audits: audits are one request per ticket (and per 100 audits); the
// event export serves 1,000 audits a request, whatever tickets they belong to. Measured on 1,000
// fake tickets with 5,296 audits (test/integration/zendesk-sync.test.ts): 8 requests for a first
// sync (1 ticket page, 6 event pages, 1 users page) against 1,003 with audits.
//
// The one thing the event export cannot do cheaply is a history that started before the window a
// run reads (a ticket created last week and answered a minute ago). For those tickets, planBackfill
// chooses between re-reading the event export from their creation and their audits, whichever the
// estimate says costs fewer requests.
import { z } from 'zod';
import { ConnectorError } from '../types.ts';
import type { CaseInput, ChangePage, ConnectorContext, ExternalRef } from '../types.ts';
import type { ZendeskConfig } from './config.ts';
import type { ZendeskTicket, ZendeskUser } from './api-types.ts';
import { createZendeskClient, exportTicketEventsPage, exportTicketsPage, getTicket, listAgentIds, listTicketAudits, toConnectorError } from './client.ts';
import type { ZendeskClient } from './client.ts';
import { historyFromAudit, historyFromTicketEvent, zendeskRefAttributes, zendeskTicketToCase } from './mapper.ts';
import type { ZendeskHistoryEntry } from './mapper.ts';

/**
 * Where a connection's sync stands.
 * - tickets: the export's position: `cursor` (its after_cursor) or, before the first page,
 *   `startTime`; `skipThrough` while a page is read again because its tail was held back (tickets
 *   changed after the last event delivered): the tickets of that page up to that second were done.
 * - events: the event export's next `start_time` and the event ids of that second already read (the
 *   next page starts at the last page's end_time, so that second comes again: de-duplicated by id).
 * - density: events per second of stream time seen so far, for the backfill estimate.
 */
const cursorSchema = z
  .object({
    v: z.literal(1),
    tickets: z.object({ cursor: z.string().nullable(), startTime: z.number().int().min(0), skipThrough: z.number().int().nullable() }).strict(),
    events: z.object({ startTime: z.number().int().min(0), seen: z.array(z.number().int()) }).strict(),
    density: z.object({ events: z.number().min(0), seconds: z.number().min(0) }).strict(),
  })
  .strict();
export type ZendeskCursor = z.infer<typeof cursorSchema>;

export function initialCursor(cfg: Pick<ZendeskConfig, 'syncFrom'>): ZendeskCursor {
  const start = cfg.syncFrom ? Math.max(0, Math.floor(Date.parse(cfg.syncFrom) / 1000)) : 0;
  return { v: 1, tickets: { cursor: null, startTime: start, skipThrough: null }, events: { startTime: start, seen: [] }, density: { events: 0, seconds: 0 } };
}

export function parseCursor(cursor: string | null, cfg: Pick<ZendeskConfig, 'syncFrom'>): ZendeskCursor {
  if (cursor === null) return initialCursor(cfg);
  let json: unknown;
  try {
    json = JSON.parse(cursor);
  } catch {
    throw new ConnectorError('bad_payload', 'zendesk: the stored cursor is not JSON');
  }
  const parsed = cursorSchema.safeParse(json);
  if (!parsed.success) throw new ConnectorError('bad_payload', `zendesk: the stored cursor is not a Zendesk cursor: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}

const toSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);
/** The second of a ticket's last change of any kind; updated_at when the response has no generated_timestamp. */
export const generatedAt = (t: ZendeskTicket): number => t.generated_timestamp ?? toSeconds(t.updated_at);

/** Keep the density estimate to about the last 30 days of stream time. */
const DENSITY_WINDOW_SECONDS = 30 * 86_400;

export interface BackfillPlan {
  /** Read the event export again from this second up to the window's start, for the newer tickets. */
  rescanFrom: number | null;
  /** Fetch the audits of these tickets (one request each, per 100 audits). */
  audits: number[];
  /** Estimated requests. */
  cost: number;
}

/**
 * The cheapest way, in requests, to get the histories of tickets created before `coverageFrom` (the
 * second from which the run has every event). Re-reading the event export from a creation second c
 * costs about density * (coverageFrom - c) / pageSize requests and serves every ticket created at or
 * after c; audits cost one request per ticket. Sorting the tickets newest first, the plan re-reads
 * for the k newest and fetches audits for the rest, with the k of least cost. Ties go to audits,
 * which do not spend the scarce incremental budget (10 a minute against hundreds for the rest).
 */
export function planBackfill(
  tickets: readonly { id: number; createdSec: number }[],
  coverageFrom: number,
  density: number,
  pageSize: number,
  mode: ZendeskConfig['backfill'],
): BackfillPlan {
  const newestFirst = [...tickets].sort((a, b) => b.createdSec - a.createdSec || a.id - b.id);
  const n = newestFirst.length;
  const rescanCost = (k: number): number => (k === 0 ? 0 : Math.max(1, Math.ceil((density * (coverageFrom - newestFirst[k - 1]!.createdSec)) / pageSize)));
  let best = 0;
  if (mode === 'events') best = n;
  else if (mode === 'auto' && density > 0) {
    for (let k = 1; k <= n; k++) if (rescanCost(k) + (n - k) < rescanCost(best) + (n - best)) best = k;
  }
  return {
    rescanFrom: best === 0 ? null : newestFirst[best - 1]!.createdSec,
    audits: newestFirst.slice(best).map((t) => t.id),
    cost: rescanCost(best) + (n - best),
  };
}

/**
 * Per-process cache of each account's agents (the users API), so webhooks do not list them each
 * time; a sync always lists them afresh. Roles are today's: a former agent's old replies stop
 * counting once they are demoted (pin `agentIds` to keep them).
 */
const AGENTS_TTL_MS = 10 * 60_000;
const agentCache = new Map<string, { at: number; ids: Promise<ReadonlySet<number>> }>();

export async function agentsFor(cfg: ZendeskConfig, client: ZendeskClient, fresh = false): Promise<ReadonlySet<number>> {
  if (cfg.agentIds) return new Set(cfg.agentIds);
  const key = `${cfg.baseUrl}|${[...cfg.agentRoles].sort().join(',')}`;
  const cached = agentCache.get(key);
  if (cached && !fresh && Date.now() - cached.at < AGENTS_TTL_MS) return cached.ids;
  const ids = listAgentIds(client, cfg.agentRoles).then((list) => new Set(list) as ReadonlySet<number>);
  agentCache.set(key, { at: Date.now(), ids });
  ids.catch(() => agentCache.delete(key));
  return ids;
}

/** The histories read during one run, by ticket; closed tickets leave once mapped (they cannot change). */
class HistoryBuffer {
  private readonly byTicket = new Map<number, Map<number, ZendeskHistoryEntry>>();
  /** Closed tickets already yielded in this run: their events are not kept again. */
  readonly done = new Set<number>();

  add(entry: ZendeskHistoryEntry): void {
    if (this.done.has(entry.ticketId)) return;
    let entries = this.byTicket.get(entry.ticketId);
    if (!entries) this.byTicket.set(entry.ticketId, (entries = new Map()));
    entries.set(entry.id, entry);
  }

  history(ticketId: number): ZendeskHistoryEntry[] {
    return [...(this.byTicket.get(ticketId)?.values() ?? [])];
  }

  hasCreation(ticketId: number): boolean {
    for (const e of this.byTicket.get(ticketId)?.values() ?? []) if (e.creates) return true;
    return false;
  }

  finish(ticketId: number): void {
    this.byTicket.delete(ticketId);
    this.done.add(ticketId);
  }
}

/** The event export read forward from the cursor's position, into the buffer. */
class EventReader {
  startTime: number;
  seen: Set<number>;
  /** Every event up to this second has been read. */
  horizon = -1;
  endOfStream = false;
  /** Observed density in this run. */
  private firstSec: number | null = null;
  private lastSec: number | null = null;
  private counted = 0;

  constructor(
    private readonly client: ZendeskClient,
    private readonly buffer: HistoryBuffer,
    private readonly pageSize: number,
    position: ZendeskCursor['events'],
    /** Where an earlier run stopped reading: this run's stream time counts from there. */
    countFrom: number | null = null,
  ) {
    this.startTime = position.startTime;
    this.seen = new Set(position.seen);
    this.firstSec = countFrom;
  }

  /** Reads pages until every event up to `second` is in, or the stream ends (the last minute is left out). */
  async readThrough(second: number): Promise<void> {
    while (this.horizon < second && !this.endOfStream) await this.readPage();
  }

  private async readPage(): Promise<void> {
    const page = await exportTicketEventsPage(this.client, this.startTime, this.pageSize);
    const endTime = Math.max(page.endTime ?? this.startTime, this.startTime);
    let fresh = 0;
    for (const event of page.events) {
      if (this.seen.has(event.id) && event.timestamp <= this.startTime) continue;
      this.buffer.add(historyFromTicketEvent(event));
      fresh++;
      this.firstSec = Math.min(this.firstSec ?? event.timestamp, event.timestamp);
      this.lastSec = Math.max(this.lastSec ?? event.timestamp, event.timestamp);
    }
    this.counted += fresh;
    const atEnd = page.events.filter((e) => e.timestamp === endTime).map((e) => e.id);
    if (endTime > this.startTime) this.seen = new Set(atEnd);
    else for (const id of atEnd) this.seen.add(id);
    if (page.endOfStream) {
      this.endOfStream = true;
      this.horizon = Math.max(this.horizon, endTime);
      this.startTime = endTime;
    } else if (endTime === this.startTime && fresh === 0) {
      // A page that ends where it started and brought nothing new has given that whole second
      // (a time-based page holds all of its last second's items): step past it, or loop forever.
      this.horizon = Math.max(this.horizon, endTime);
      this.startTime = endTime + 1;
      this.seen = new Set();
    } else {
      // Events of the page's last second may go on in the next page.
      this.horizon = Math.max(this.horizon, endTime - 1);
      this.startTime = endTime;
    }
  }

  position(): ZendeskCursor['events'] {
    return { startTime: this.startTime, seen: [...this.seen].sort((a, b) => a - b) };
  }

  density(previous: ZendeskCursor['density']): ZendeskCursor['density'] {
    let { events, seconds } = previous;
    if (this.firstSec !== null && this.lastSec !== null && this.lastSec > this.firstSec) {
      events += this.counted;
      seconds += this.lastSec - this.firstSec;
    }
    if (seconds > DENSITY_WINDOW_SECONDS) {
      events = (events * DENSITY_WINDOW_SECONDS) / seconds;
      seconds = DENSITY_WINDOW_SECONDS;
    }
    return { events, seconds };
  }
}

/** Re-reads the event export from `from` into the buffer through the second `until`. */
async function rescanEvents(client: ZendeskClient, buffer: HistoryBuffer, pageSize: number, from: number, until: number): Promise<void> {
  await new EventReader(client, buffer, pageSize, { startTime: from, seen: [] }).readThrough(until);
}

/** Runs `fn` over `items`, at most `limit` at once; the first failure is thrown once the others settle. */
async function eachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw (failure as { error: unknown }).error;
}

/** Audit requests in flight at once (ctx.fetch holds the connection's own limit on top). */
const AUDIT_CONCURRENCY = 4;

export async function* fetchZendeskChanges(cfg: ZendeskConfig, cursor: string | null, ctx: ConnectorContext): AsyncGenerator<ChangePage> {
  const state = parseCursor(cursor, cfg);
  const client = createZendeskClient(cfg, ctx);
  const buffer = new HistoryBuffer();
  // Stream time from where the last run stopped, the quiet stretch before this run's first event
  // included: counting only from the first new event would overstate the density, and a sync resumed
  // after a crash would end with another estimate than an uninterrupted one.
  const readBefore = state.density.seconds > 0 || state.events.seen.length > 0;
  const events = new EventReader(client, buffer, cfg.eventsPerPage, state.events, readBefore ? state.events.startTime : null);
  // The run has every event from here on (those of the start second already read are in `seen`).
  let coverageFrom = state.events.seen.length > 0 ? state.events.startTime + 1 : state.events.startTime;
  let agents: ReadonlySet<number> | null = null;
  let tickets = state.tickets;
  let pages = 0;
  let lastCursor = cursor;

  try {
    for (;;) {
      ctx.signal?.throwIfAborted();
      const page = await exportTicketsPage(client, tickets.cursor !== null ? { cursor: tickets.cursor } : { startTime: tickets.startTime }, cfg.ticketsPerPage);
      const skip = tickets.skipThrough;
      const fresh = page.tickets.filter((t) => skip === null || generatedAt(t) > skip);
      const newest = Math.max(-1, ...fresh.map(generatedAt));
      await events.readThrough(newest);
      // A ticket changed after the last event delivered (the event export leaves out the last
      // minute) waits for the next run, so no case is ever stored without its latest audits. (A
      // system update that makes no audit waits for the account's next event, anywhere.)
      const ready = fresh.filter((t) => generatedAt(t) <= events.horizon);
      const held = fresh.length - ready.length;

      // Histories that began before what this run has read.
      const missing = ready.filter((t) => buffer.done.has(t.id) || (!buffer.hasCreation(t.id) && toSeconds(t.created_at) < coverageFrom));
      if (missing.length > 0) {
        for (const t of missing) buffer.done.delete(t.id);
        // Closed tickets mapped earlier in this run, back again (their history left the buffer).
        const again = new Set(missing.filter((t) => toSeconds(t.created_at) >= coverageFrom).map((t) => t.id));
        const density = events.density(state.density);
        const plan = planBackfill(
          missing.filter((t) => !again.has(t.id)).map((t) => ({ id: t.id, createdSec: toSeconds(t.created_at) })),
          coverageFrom,
          density.seconds > 0 ? density.events / density.seconds : 0,
          cfg.eventsPerPage,
          cfg.backfill,
        );
        if (plan.rescanFrom !== null) {
          await rescanEvents(client, buffer, cfg.eventsPerPage, plan.rescanFrom, coverageFrom - 1);
          coverageFrom = plan.rescanFrom;
        }
        await eachLimit([...plan.audits, ...again], AUDIT_CONCURRENCY, async (ticketId) => {
          for (const audit of await listTicketAudits(client, ticketId)) buffer.add(historyFromAudit(audit));
        });
      }

      if (ready.length > 0) agents ??= await agentsFor(cfg, client, true);
      const emails = emailsOf(page.users);
      const cases: CaseInput[] = ready.map((ticket) => {
        const mapped = zendeskTicketToCase({ ticket, history: buffer.history(ticket.id), requesterEmail: emailOf(emails, ticket) }, cfg, agents!);
        if (ticket.status === 'closed' || ticket.status === 'deleted') buffer.finish(ticket.id);
        return mapped;
      });

      // Held back (or no after_cursor to move on to): read this page again next time, past what was done of it.
      if (held > 0) tickets = { ...tickets, skipThrough: Math.max(events.horizon, skip ?? -1) };
      else if (page.afterCursor) tickets = { ...tickets, cursor: page.afterCursor, skipThrough: null };
      else if (fresh.length > 0) tickets = { ...tickets, skipThrough: Math.max(newest, skip ?? -1) };
      const nextCursor = JSON.stringify({ v: 1, tickets, events: events.position(), density: events.density(state.density) } satisfies ZendeskCursor);
      const done = held > 0 || page.endOfStream;
      if (cases.length > 0 || nextCursor !== lastCursor) {
        pages++;
        yield { cases, nextCursor };
        lastCursor = nextCursor;
      }
      if (done) break;
    }
  } catch (error) {
    throw toConnectorError(error);
  }
  ctx.log('zendesk: sync done', { pages, requests: { ...client.requests } });
}

function emailsOf(users: readonly ZendeskUser[]): Map<number, string | null> {
  return new Map(users.map((u) => [u.id, u.email ?? null]));
}

function emailOf(emails: Map<number, string | null>, ticket: ZendeskTicket): string | null | undefined {
  return ticket.requester_id != null && emails.has(ticket.requester_id) ? emails.get(ticket.requester_id) : undefined;
}

/** One ticket, fresh (after a webhook): the ticket and its audits; null when it is gone. */
export async function fetchZendeskCase(cfg: ZendeskConfig, ref: ExternalRef, ctx: ConnectorContext): Promise<CaseInput | null> {
  const attrs = zendeskRefAttributes(ref);
  if (!attrs) return null;
  try {
    const client = createZendeskClient(cfg, ctx);
    const found = await getTicket(client, attrs.ticketId);
    if (!found) return null;
    const [audits, agents] = await Promise.all([listTicketAudits(client, attrs.ticketId), agentsFor(cfg, client)]);
    return zendeskTicketToCase({ ticket: found.ticket, history: audits.map(historyFromAudit), requesterEmail: emailOf(emailsOf(found.users), found.ticket) }, cfg, agents);
  } catch (error) {
    throw toConnectorError(error);
  }
}
