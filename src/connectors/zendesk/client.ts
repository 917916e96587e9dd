// The Zendesk REST client: plain fetch through the sync layer's ctx.fetch (which owns the connection's
// rate limit, Retry-After waits on 429 and 5xx retries), responses checked with the loose schemas,
// failures turned into ConnectorError codes.
//
// Why not node-zendesk (6.0.1), which the issue names: its `ticketexport.exportCursor` sends
// `cursor=undefined` / `start_time=undefined`, and a 429 carrying Retry-After resolves instead of
// throwing and loses the header, so ctx.fetch's back-off would never see it. Working around both
// means using its generic request with our own fetch underneath, i.e. writing these six calls
// anyway; here they are, each one line of URL and one zod schema, with nothing between them and the
// limiter.
import type { z } from 'zod';
import { ConnectorError } from '../types.ts';
import type { ConnectorContext } from '../types.ts';
import type { ZendeskConfig } from './config.ts';
import {
  auditsPageSchema,
  ticketEnvelopeSchema,
  ticketEventSchema,
  ticketEventsPageSchema,
  ticketExportPageSchema,
  usersPageSchema,
  zendeskAuditSchema,
  zendeskErrorSchema,
  zendeskTicketSchema,
  zendeskUserSchema,
} from './api-types.ts';
import type { ZendeskAudit, ZendeskTicket, ZendeskTicketEvent, ZendeskUser } from './api-types.ts';

/** Offset-paginated lists (audits, users) give at most 100 a page. */
export const LIST_PAGE_SIZE = 100;

/** A non-2xx answer from Zendesk, before it becomes a ConnectorError. */
export class ZendeskHttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
    this.name = 'ZendeskHttpError';
  }
}

/**
 * At most `limit` requests start per `windowMs` on the incremental endpoints, per Zendesk account and
 * process (a sync and the next one share it). A sliding window: a request waits until the oldest of
 * the last `limit` starts is a window behind, plus a margin (200 ms to 1 s) for that request's trip
 * having been slower than this one's: Zendesk counts arrivals, we count departures.
 */
export class SlidingWindowThrottle {
  private readonly starts: number[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void> = abortableSleep,
  ) {}

  /** Resolves when a request may start, and counts it as started. */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(async () => {
      const margin = Math.min(1000, Math.max(200, this.windowMs * 0.02));
      for (;;) {
        signal?.throwIfAborted();
        const t = this.now();
        while (this.starts.length > 0 && this.starts[0]! + this.windowMs + margin <= t) this.starts.shift();
        if (this.starts.length < this.limit) break;
        await this.sleep(this.starts[0]! + this.windowMs + margin - t, signal);
      }
      this.starts.push(this.now());
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const throttles = new Map<string, SlidingWindowThrottle>();

/** The throttle of one Zendesk account; a changed limit in the config replaces it. */
export function incrementalThrottleFor(cfg: Pick<ZendeskConfig, 'baseUrl' | 'incrementalPerMinute' | 'incrementalWindowSeconds'>): SlidingWindowThrottle {
  const windowMs = cfg.incrementalWindowSeconds * 1000;
  let throttle = throttles.get(cfg.baseUrl);
  if (!throttle || throttle.limit !== cfg.incrementalPerMinute || throttle.windowMs !== windowMs) {
    throttle = new SlidingWindowThrottle(cfg.incrementalPerMinute, windowMs);
    throttles.set(cfg.baseUrl, throttle);
  }
  return throttle;
}

export type ZendeskClientConfig = Pick<ZendeskConfig, 'baseUrl' | 'email' | 'apiToken' | 'oauthToken' | 'incrementalPerMinute' | 'incrementalWindowSeconds'>;

function authorization(cfg: ZendeskClientConfig): string {
  if (cfg.oauthToken !== undefined) return `Bearer ${cfg.oauthToken}`;
  return `Basic ${Buffer.from(`${cfg.email}/token:${cfg.apiToken}`).toString('base64')}`;
}

type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

function url(cfg: ZendeskClientConfig, path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue; // never `start_time=undefined` (the node-zendesk bug)
    if (Array.isArray(value)) for (const v of value as readonly string[]) params.append(key, v);
    else params.set(key, String(value));
  }
  const search = params.toString();
  return `${cfg.baseUrl}${path}${search ? `?${search}` : ''}`;
}

function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export interface ZendeskClient {
  cfg: ZendeskClientConfig;
  ctx: ConnectorContext;
  /** Requests sent through this client, by kind (the sync reports them). */
  readonly requests: { incremental: number; other: number; writes: number };
}

export function createZendeskClient(cfg: ZendeskClientConfig, ctx: ConnectorContext): ZendeskClient {
  return { cfg, ctx, requests: { incremental: 0, other: 0, writes: 0 } };
}

async function send(client: ZendeskClient, method: 'GET' | 'PUT', target: string, body?: unknown, incremental = false): Promise<unknown> {
  const { cfg, ctx } = client;
  if (incremental) {
    await incrementalThrottleFor(cfg).acquire(ctx.signal);
    client.requests.incremental++;
  } else if (method === 'GET') client.requests.other++;
  else client.requests.writes++;
  const response = await ctx.fetch(target, {
    method,
    headers: {
      authorization: authorization(cfg),
      accept: 'application/json',
      'user-agent': 'sla-sync',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  const text = await response.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    if (response.ok) throw new ConnectorError('bad_payload', `zendesk: ${method} ${new URL(target).pathname} answered ${response.status} with a body that is not JSON`);
  }
  if (!response.ok) {
    const parsed = zendeskErrorSchema.safeParse(json);
    const e = parsed.success ? parsed.data : {};
    const code = typeof e.error === 'string' ? e.error : (e.error?.title ?? `HTTP ${response.status}`);
    const detail = e.description ?? (typeof e.error === 'object' ? e.error?.message : undefined) ?? text.slice(0, 200);
    throw new ZendeskHttpError(response.status, code, `zendesk: ${method} ${new URL(target).pathname} answered ${response.status} ${code}${detail ? `: ${detail}` : ''}`, retryAfterMs(response.headers));
  }
  return json;
}

function parseOne<S extends z.ZodType>(schema: S, data: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new ConnectorError('bad_payload', `zendesk: ${what} does not match its schema: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Item by item: one that fails its schema is logged and skipped (a counted error, STYLE.md habit 2). */
function parseItems<S extends z.ZodType>(schema: S, items: readonly unknown[], what: string, ctx: ConnectorContext): z.output<S>[] {
  const out: z.output<S>[] = [];
  for (const raw of items) {
    const parsed = schema.safeParse(raw);
    if (parsed.success) out.push(parsed.data);
    else {
      const itemId = typeof raw === 'object' && raw !== null && 'id' in raw ? String(raw.id) : '?';
      ctx.log(`zendesk: skipped a ${what} that does not match its schema`, { id: itemId, issues: parsed.error.issues.slice(0, 3) });
    }
  }
  return out;
}

export interface TicketExportPage {
  tickets: ZendeskTicket[];
  users: ZendeskUser[];
  afterCursor: string | null;
  endOfStream: boolean;
}

/**
 * GET /api/v2/incremental/tickets/cursor.json: `start_time` on the first request, `cursor` after;
 * tickets in order of their last change (generated_timestamp). Users are sideloaded for the
 * requesters' emails (no extra request).
 */
export async function exportTicketsPage(client: ZendeskClient, from: { cursor: string } | { startTime: number }, perPage: number): Promise<TicketExportPage> {
  const query: Query = {
    ...('cursor' in from ? { cursor: from.cursor } : { start_time: from.startTime }),
    ...(perPage === 1000 ? {} : { per_page: perPage }),
    include: 'users',
  };
  const data = parseOne(ticketExportPageSchema, await send(client, 'GET', url(client.cfg, '/api/v2/incremental/tickets/cursor.json', query), undefined, true), 'the ticket export page');
  return {
    tickets: parseItems(zendeskTicketSchema, data.tickets, 'ticket', client.ctx),
    users: parseItems(zendeskUserSchema, data.users ?? [], 'user', client.ctx),
    afterCursor: data.after_cursor ?? null,
    endOfStream: data.end_of_stream,
  };
}

export interface TicketEventsPage {
  events: ZendeskTicketEvent[];
  /** The time of the page's last event: the next page's start_time (events at it come again). */
  endTime: number | null;
  endOfStream: boolean;
  count: number;
}

/**
 * GET /api/v2/incremental/ticket_events.json?start_time=..&include=comment_events: every audit of
 * every ticket in time order, with its comments (author, public). The next page starts at this
 * page's end_time; the events of that second come again and are dropped by id.
 */
export async function exportTicketEventsPage(client: ZendeskClient, startTime: number, perPage: number): Promise<TicketEventsPage> {
  const query: Query = { start_time: startTime, include: 'comment_events', ...(perPage === 1000 ? {} : { per_page: perPage }) };
  const data = parseOne(ticketEventsPageSchema, await send(client, 'GET', url(client.cfg, '/api/v2/incremental/ticket_events.json', query), undefined, true), 'the ticket events page');
  return { events: parseItems(ticketEventSchema, data.ticket_events, 'ticket event', client.ctx), endTime: data.end_time ?? null, endOfStream: data.end_of_stream, count: data.count };
}

/** GET /api/v2/tickets/{id}/audits.json, all pages (oldest first). */
export async function listTicketAudits(client: ZendeskClient, ticketId: number): Promise<ZendeskAudit[]> {
  const audits: ZendeskAudit[] = [];
  for (let page = 1; ; page++) {
    const query: Query = { per_page: LIST_PAGE_SIZE, ...(page > 1 ? { page } : {}) };
    const data = parseOne(auditsPageSchema, await send(client, 'GET', url(client.cfg, `/api/v2/tickets/${ticketId}/audits.json`, query)), 'the audits page');
    audits.push(...parseItems(zendeskAuditSchema, data.audits, 'audit', client.ctx));
    if (!data.next_page || data.audits.length === 0) return audits;
  }
}

/** GET /api/v2/users.json?role[]=agent&role[]=admin, all pages: the ids of the account's agents. */
export async function listAgentIds(client: ZendeskClient, roles: readonly string[]): Promise<number[]> {
  const ids: number[] = [];
  for (let page = 1; ; page++) {
    const query: Query = { 'role[]': roles, per_page: LIST_PAGE_SIZE, ...(page > 1 ? { page } : {}) };
    const data = parseOne(usersPageSchema, await send(client, 'GET', url(client.cfg, '/api/v2/users.json', query)), 'the users page');
    ids.push(...parseItems(zendeskUserSchema, data.users, 'user', client.ctx).filter((u) => roles.includes(u.role)).map((u) => u.id));
    if (!data.next_page || data.users.length === 0) return ids;
  }
}

/** GET /api/v2/tickets/{id}.json?include=users; null when the ticket is gone (404). */
export async function getTicket(client: ZendeskClient, ticketId: number): Promise<{ ticket: ZendeskTicket; users: ZendeskUser[] } | null> {
  try {
    const data = parseOne(ticketEnvelopeSchema, await send(client, 'GET', url(client.cfg, `/api/v2/tickets/${ticketId}.json`, { include: 'users' })), 'the ticket');
    return { ticket: data.ticket, users: parseItems(zendeskUserSchema, data.users ?? [], 'user', client.ctx) };
  } catch (error) {
    if (error instanceof ZendeskHttpError && error.status === 404) return null;
    throw error;
  }
}

/** PUT /api/v2/tickets/{id}.json; the updated ticket. */
export async function updateTicket(client: ZendeskClient, ticketId: number, ticket: Record<string, unknown>): Promise<ZendeskTicket> {
  const data = parseOne(ticketEnvelopeSchema, await send(client, 'PUT', url(client.cfg, `/api/v2/tickets/${ticketId}.json`), { ticket }), 'the updated ticket');
  return data.ticket;
}

/**
 * A failure of a Zendesk call as a ConnectorError; what is neither an HTTP nor a network failure is
 * a bug and is rethrown. Rate limits: https://developer.zendesk.com/api-reference/introduction/rate-limits/
 */
export function toConnectorError(error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  if (error instanceof ZendeskHttpError) {
    const s = error.status;
    if (s === 429) return new ConnectorError('rate_limited', error.message, error.retryAfterMs ?? 60_000);
    if (s === 401 || s === 403) return new ConnectorError('unauthorized', error.message);
    if (s === 404) return new ConnectorError('not_found', error.message);
    if (s === 409) return new ConnectorError('conflict', error.message);
    if (s === 400 || s === 422) return new ConnectorError('bad_payload', error.message);
    return new ConnectorError('unavailable', error.message, error.retryAfterMs);
  }
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return new ConnectorError('unavailable', `zendesk: ${error.message}`);
  }
  // fetch rejects with TypeError("fetch failed") on network failures; other TypeErrors are bugs.
  if (error instanceof TypeError && error.message === 'fetch failed') return new ConnectorError('unavailable', `zendesk: ${error.message}`);
  throw error;
}
