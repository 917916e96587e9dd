// A fake Zendesk Support API on a loopback port, shaped on Zendesk's published API reference. Every
// request is checked first: an unknown path answers 404, an undeclared or malformed parameter or
// body 400, and both are recorded in `violations` so the test fails. The incremental exports are
// limited like Zendesk's (N requests per window, 429 with Retry-After beyond), leave out the last
// minute of the world's clock, and page with the published envelopes; ticket updates honour
// safe_update (409 when updated_stamp is not the ticket's updated_at). Faults can be injected.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultPlan, LoopbackServer } from '../loopback.ts';
import type { FaultTarget, RandomFaults } from '../loopback.ts';
import { auditJson, ticketEventJson, ticketJson, userJson } from './render.ts';
import { FakeZendeskWorld, seconds } from './world.ts';
import type { FakeAudit, FakeTicket } from './world.ts';

export type FaultKind = 'rate_limit' | 'server_error' | 'slow';

export type OperationId = 'incremental/tickets-cursor' | 'incremental/ticket-events' | 'tickets/show' | 'tickets/update' | 'ticket-audits/list' | 'users/list';

export interface FakeRequest {
  method: string;
  path: string;
  query: string;
  operationId: OperationId | null;
  status: number;
  fault: FaultKind | null;
  /** When it arrived (real time), for the rate-limit checks. */
  at: number;
}

export interface Violation {
  method: string;
  url: string;
  problems: string[];
}

export interface FakeZendeskOptions {
  world?: FakeZendeskWorld;
  email?: string;
  apiToken?: string;
  oauthToken?: string;
  /** Requests the incremental endpoints accept per window; Zendesk: 10 a minute. */
  incrementalLimit?: number;
  incrementalWindowMs?: number;
  /** Delay of a `slow` fault; default 5 s. */
  slowMs?: number;
  /** Retry-After of a `rate_limit` fault, seconds; default 1. */
  retryAfterSeconds?: number;
  /** Answer `after_cursor: null` at the end of the ticket export (in case Zendesk ever does). */
  noCursorAtEnd?: boolean;
}

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

const notFound = (): HttpAnswer => new HttpAnswer(404, { error: 'RecordNotFound', description: 'Not found' });

const ROUTES: { method: string; pattern: RegExp; operationId: OperationId }[] = [
  { method: 'GET', pattern: /^\/api\/v2\/incremental\/tickets\/cursor(?:\.json)?$/, operationId: 'incremental/tickets-cursor' },
  { method: 'GET', pattern: /^\/api\/v2\/incremental\/ticket_events(?:\.json)?$/, operationId: 'incremental/ticket-events' },
  { method: 'GET', pattern: /^\/api\/v2\/tickets\/(\d+)(?:\.json)?$/, operationId: 'tickets/show' },
  { method: 'PUT', pattern: /^\/api\/v2\/tickets\/(\d+)(?:\.json)?$/, operationId: 'tickets/update' },
  { method: 'GET', pattern: /^\/api\/v2\/tickets\/(\d+)\/audits(?:\.json)?$/, operationId: 'ticket-audits/list' },
  { method: 'GET', pattern: /^\/api\/v2\/users(?:\.json)?$/, operationId: 'users/list' },
];

const INCREMENTAL: ReadonlySet<OperationId> = new Set(['incremental/tickets-cursor', 'incremental/ticket-events']);

type ParamCheck = (value: string, all: string[]) => string | null;
const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER): ParamCheck =>
  (v) =>
    /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max ? null : `is not an integer in ${min}..${max}`;
const oneOf =
  (allowed: readonly string[]): ParamCheck =>
  (v) =>
    allowed.includes(v) ? null : `is not one of ${JSON.stringify(allowed)}`;
const listOf =
  (allowed: readonly string[]): ParamCheck =>
  (v) => {
    const bad = v.split(',').filter((x) => !allowed.includes(x));
    return bad.length === 0 ? null : `has ${JSON.stringify(bad)}, not among ${JSON.stringify(allowed)}`;
  };
const anyString: ParamCheck = (v) => (v.length > 0 ? null : 'is empty');
const boolean: ParamCheck = (v) => (v === 'true' || v === 'false' ? null : 'is not true or false');

/** Ticket sideloads (developer.zendesk.com "Side-loading"); last_audits is refused by the export. */
const TICKET_SIDELOADS = ['users', 'groups', 'organizations', 'metric_sets', 'dates', 'sharing_agreements', 'comment_count', 'incident_counts', 'ticket_forms', 'metric_events', 'slas', 'brands'];

/** Query parameters each operation declares. */
const PARAMS: Record<OperationId, Record<string, ParamCheck>> = {
  'incremental/tickets-cursor': { start_time: integer(0), cursor: anyString, per_page: integer(1, 1000), include: listOf(TICKET_SIDELOADS), exclude_deleted: boolean, support_type_scope: oneOf(['all', 'agent', 'ai_agent']) },
  // per_page: as on the time-based exports (the sample export's next_page shows it); default 1000.
  'incremental/ticket-events': { start_time: integer(0), include: oneOf(['comment_events']), per_page: integer(1, 1000) },
  'tickets/show': { include: listOf(TICKET_SIDELOADS) },
  'tickets/update': {},
  'ticket-audits/list': { page: integer(1), per_page: integer(1, 100), sort_order: oneOf(['asc', 'desc']), include: listOf(['users', 'organizations', 'groups', 'tickets']) },
  'users/list': { 'role[]': oneOf(['end-user', 'agent', 'admin']), role: oneOf(['end-user', 'agent', 'admin']), permission_set: integer(1), page: integer(1), per_page: integer(1, 100), external_id: anyString },
};

/** Keys a ticket update may carry (Tickets > Update Ticket, "JSON format"); anything else is a bug of ours. */
const UPDATE_FIELDS: Record<string, (v: unknown) => string | null> = {
  additional_tags: (v) => (Array.isArray(v) && v.every((t) => typeof t === 'string') ? null : 'is not a list of tags'),
  remove_tags: (v) => (Array.isArray(v) && v.every((t) => typeof t === 'string') ? null : 'is not a list of tags'),
  tags: (v) => (Array.isArray(v) && v.every((t) => typeof t === 'string') ? null : 'is not a list of tags'),
  custom_fields: (v) => (Array.isArray(v) && v.every((f) => typeof f === 'object' && f !== null && typeof (f as { id: unknown }).id === 'number' && 'value' in f) ? null : 'is not a list of {id, value}'),
  safe_update: (v) => (typeof v === 'boolean' ? null : 'is not a boolean'),
  updated_stamp: (v) => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? null : 'is not a date-time'),
  status: (v) => (typeof v === 'string' ? null : 'is not a status'),
  priority: (v) => (v === null || typeof v === 'string' ? null : 'is not a priority'),
  comment: (v) => (typeof v === 'object' && v !== null ? null : 'is not a comment'),
};

/** The after_cursor of the cursor-based export: base64 of "<generated_timestamp>.0||<ticket id>|", like Zendesk's. */
export const encodeExportCursor = (timestamp: number, id: number): string => Buffer.from(`${timestamp}.0||${id}|`).toString('base64');
function decodeExportCursor(cursor: string): { timestamp: number; id: number } | null {
  const m = /^(\d+)\.0\|\|(\d+)\|$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  return m ? { timestamp: Number(m[1]), id: Number(m[2]) } : null;
}

export class FakeZendesk {
  readonly world: FakeZendeskWorld;
  readonly violations: Violation[] = [];
  readonly requests: FakeRequest[] = [];
  writeCalls = 0;
  /** Comments our writes added (public or not): sla-sync must never add one. */
  commentsWritten = 0;
  /** 429s the incremental limit answered (not injected faults). */
  incrementalRefused = 0;
  /** Runs before a ticket update is applied: a test's agent editing the ticket at that moment. */
  beforeUpdate: ((ticket: FakeTicket) => void) | null = null;
  private readonly faults = new FaultPlan<FaultKind>(['rate_limit', 'server_error', 'slow']);
  private readonly server = new LoopbackServer((req, res) => this.handle(req, res));
  /** Start times of the incremental requests the limit let through. */
  private readonly incrementalStarts: number[] = [];
  private view: { version: number; tickets: FakeTicket[]; audits: FakeAudit[] } | null = null;

  constructor(private readonly options: FakeZendeskOptions = {}) {
    this.world = options.world ?? new FakeZendeskWorld();
  }

  get url(): string {
    return this.server.url;
  }

  get email(): string {
    return this.options.email ?? 'sla-sync@example.com';
  }

  get apiToken(): string {
    return this.options.apiToken ?? 'test-token';
  }

  get oauthToken(): string {
    return this.options.oauthToken ?? 'test-oauth-token';
  }

  get incrementalLimit(): number {
    return this.options.incrementalLimit ?? 10;
  }

  get incrementalWindowMs(): number {
    return this.options.incrementalWindowMs ?? 60_000;
  }

  async listen(): Promise<this> {
    await this.server.listen();
    return this;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** Injected faults served so far, by kind. */
  get faultsServed(): Readonly<Record<FaultKind, number>> {
    return this.faults.served;
  }

  /** The next `count` requests that `when` accepts (default: any) get this fault. */
  injectFault(kind: FaultKind, count = 1, when: (req: FaultTarget) => boolean = () => true): void {
    this.faults.inject(kind, count, when);
  }

  setRandomFaults(faults: RandomFaults<FaultKind> | null): void {
    this.faults.setRandom(faults);
  }

  setLimits(limits: Pick<FakeZendeskOptions, 'incrementalLimit' | 'incrementalWindowMs' | 'retryAfterSeconds' | 'slowMs'>): void {
    Object.assign(this.options, limits);
  }

  count(operationId: OperationId): number {
    return this.requests.filter((r) => r.operationId === operationId && r.status < 400).length;
  }

  resetCounters(): void {
    this.requests.length = 0;
    this.writeCalls = 0;
    this.commentsWritten = 0;
    this.incrementalRefused = 0;
    this.faults.resetCounts();
  }

  /** The most incremental requests answered (not refused) within any one window. */
  maxIncrementalInWindow(windowMs = this.incrementalWindowMs): number {
    const times = this.requests.filter((r) => r.operationId !== null && INCREMENTAL.has(r.operationId) && r.status !== 429).map((r) => r.at).sort((a, b) => a - b);
    let max = 0;
    for (let i = 0, j = 0; j < times.length; j++) {
      while (times[j]! - times[i]! >= windowMs) i++;
      max = Math.max(max, j - i + 1);
    }
    return max;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://fake');
    const record: FakeRequest = { method, path: url.pathname, query: url.search, operationId: null, status: 0, fault: null, at: Date.now() };
    this.requests.push(record);
    if (method !== 'GET' && method !== 'HEAD') this.writeCalls++;

    const answer = await this.answer(req, method, url, text, record);
    record.status = answer.status;
    if (res.destroyed) return;
    res.writeHead(answer.status, {
      'content-type': 'application/json; charset=utf-8',
      'x-zendesk-api-version': 'v2',
      'x-request-id': `fake-${this.requests.length}`,
      ...(record.operationId && INCREMENTAL.has(record.operationId) ? {} : { 'x-rate-limit': '700', 'x-rate-limit-remaining': '699' }),
      ...answer.headers,
    });
    res.end(answer.status === 204 ? '' : JSON.stringify(answer.body));
  }

  private async answer(req: IncomingMessage, method: string, url: URL, text: string, record: FakeRequest): Promise<HttpAnswer> {
    const route = ROUTES.find((r) => r.method === method && r.pattern.test(url.pathname));
    if (!route) return this.violation(method, url, 404, [`no endpoint ${method} ${url.pathname} in the API reference`], { error: 'InvalidEndpoint', description: 'Not found' });
    record.operationId = route.operationId;
    const pathId = Number(route.pattern.exec(url.pathname)![1] ?? NaN);

    const problems: string[] = [];
    const declared = PARAMS[route.operationId];
    for (const key of new Set(url.searchParams.keys())) {
      const check = declared[key];
      if (!check) {
        problems.push(`query parameter "${key}" is not declared for ${route.operationId}`);
        continue;
      }
      const all = url.searchParams.getAll(key);
      if (all.length > 1 && !key.endsWith('[]')) problems.push(`query parameter "${key}" is given ${all.length} times`);
      for (const v of all) {
        const bad = check(v, all);
        if (bad) problems.push(`query parameter ${key}: ${JSON.stringify(v)} ${bad}`);
      }
    }
    let body: unknown = undefined;
    if (method === 'PUT') {
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) problems.push('body: content-type is not application/json');
      try {
        body = JSON.parse(text);
      } catch {
        problems.push('body: not JSON');
      }
      problems.push(...this.checkUpdateBody(body));
    }
    if (problems.length > 0) return this.violation(method, url, 400, problems);

    if (!this.authorized(req.headers.authorization)) return new HttpAnswer(401, { error: "Couldn't authenticate you" });

    if (INCREMENTAL.has(route.operationId)) {
      const refused = this.incrementalLimitAnswer();
      if (refused) return refused;
    }

    const fault = this.faults.pick({ method, path: url.pathname, operationId: route.operationId });
    if (fault) {
      record.fault = fault;
      const faulted = await this.faultAnswer(fault);
      if (faulted) return faulted;
    }
    return this.route(route.operationId, pathId, url, body);
  }

  private checkUpdateBody(body: unknown): string[] {
    if (typeof body !== 'object' || body === null || !('ticket' in body) || typeof body.ticket !== 'object' || body.ticket === null) return ['body: expected {"ticket": {...}}'];
    const extra = Object.keys(body).filter((k) => k !== 'ticket');
    const problems = extra.map((k) => `body.${k}: is not a property of an update`);
    const ticket = body.ticket as Record<string, unknown>;
    for (const [key, value] of Object.entries(ticket)) {
      const check = UPDATE_FIELDS[key];
      if (!check) problems.push(`body.ticket.${key}: is not handled by the fake (or not a ticket property)`);
      else {
        const bad = check(value);
        if (bad) problems.push(`body.ticket.${key}: ${bad}`);
      }
    }
    if (ticket['safe_update'] === true && ticket['updated_stamp'] === undefined) problems.push('body.ticket.updated_stamp: is required with safe_update');
    return problems;
  }

  private authorized(header: string | undefined): boolean {
    if (header === `Bearer ${this.oauthToken}`) return true;
    if (!header?.startsWith('Basic ')) return false;
    return Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8') === `${this.email}/token:${this.apiToken}`;
  }

  /** Sliding window over the requests let through; beyond the limit, 429 with Retry-After (seconds). */
  private incrementalLimitAnswer(): HttpAnswer | null {
    const now = Date.now();
    const windowMs = this.incrementalWindowMs;
    while (this.incrementalStarts.length > 0 && this.incrementalStarts[0]! <= now - windowMs) this.incrementalStarts.shift();
    if (this.incrementalStarts.length < this.incrementalLimit) {
      this.incrementalStarts.push(now);
      return null;
    }
    this.incrementalRefused++;
    const retryAfter = Math.max(1, Math.ceil((this.incrementalStarts[0]! + windowMs - now) / 1000));
    return new HttpAnswer(429, { error: 'APIRateLimitExceeded', description: `Number of allowed incremental export API requests per minute exceeded` }, { 'retry-after': String(retryAfter) });
  }

  private violation(method: string, url: URL, status: number, problems: string[], body?: unknown): HttpAnswer {
    this.violations.push({ method, url: url.pathname + url.search, problems });
    return new HttpAnswer(status, body ?? { error: 'InvalidValue', description: problems.join('; ') });
  }

  private async faultAnswer(kind: FaultKind): Promise<HttpAnswer | null> {
    switch (kind) {
      case 'rate_limit':
        return new HttpAnswer(429, { error: 'APIRateLimitExceeded', description: 'Rate limit exceeded' }, { 'retry-after': String(this.options.retryAfterSeconds ?? 1) });
      case 'server_error':
        return new HttpAnswer(503, { error: 'ServiceUnavailable', description: 'Please try again later' });
      case 'slow':
        await this.server.sleep(this.options.slowMs ?? 5000);
        return null;
    }
  }

  /** Tickets by (generated_timestamp, id) and audits by (time, id), sorted once per world version. */
  private sorted(): { tickets: FakeTicket[]; audits: FakeAudit[] } {
    if (this.view?.version !== this.world.version) {
      const tickets = [...this.world.tickets.values()].sort((a, b) => a.generatedTimestamp - b.generatedTimestamp || a.id - b.id);
      const audits = tickets.flatMap((t) => t.audits).sort((a, b) => seconds(a.createdAt) - seconds(b.createdAt) || a.id - b.id);
      this.view = { version: this.world.version, tickets, audits };
    }
    return this.view;
  }

  private nowSeconds(): number {
    return Math.floor(this.world.clockMs / 1000);
  }

  private route(operationId: OperationId, pathId: number, url: URL, body: unknown): HttpAnswer {
    const q = url.searchParams;
    switch (operationId) {
      case 'incremental/tickets-cursor':
        return this.exportTickets(q, url);
      case 'incremental/ticket-events':
        return this.exportTicketEvents(q, url);
      case 'tickets/show': {
        const ticket = this.world.tickets.get(pathId);
        if (!ticket) return notFound();
        const include = (q.get('include') ?? '').split(',');
        const users = include.includes('users') ? this.usersOf([ticket]) : undefined;
        return new HttpAnswer(200, { ticket: ticketJson(ticket, this.url), ...(users ? { users } : {}) });
      }
      case 'tickets/update':
        return this.updateTicket(pathId, (body as { ticket: Record<string, unknown> }).ticket);
      case 'ticket-audits/list': {
        const ticket = this.world.tickets.get(pathId);
        if (!ticket) return notFound();
        const audits = [...ticket.audits].sort((a, b) => (q.get('sort_order') === 'desc' ? b.id - a.id : a.id - b.id));
        return this.offsetPage(url, 'audits', audits, auditJson);
      }
      case 'users/list': {
        const roles = [...q.getAll('role[]'), ...q.getAll('role')];
        const users = [...this.world.users.values()].filter((u) => roles.length === 0 || roles.includes(u.role)).sort((a, b) => a.id - b.id);
        return this.offsetPage(url, 'users', users, (u) => userJson(u, this.url));
      }
    }
  }

  private usersOf(tickets: readonly FakeTicket[]) {
    const ids = new Set(tickets.flatMap((t) => [t.requesterId, t.submitterId, ...(t.assigneeId ? [t.assigneeId] : [])]));
    return [...ids].flatMap((id) => (this.world.users.has(id) ? [userJson(this.world.users.get(id)!, this.url)] : []));
  }

  /** Offset pagination: `page`, `per_page` (at most 100), next_page / previous_page URLs, count. */
  private offsetPage<T>(url: URL, key: string, items: readonly T[], render: (item: T) => unknown): HttpAnswer {
    const perPage = Number(url.searchParams.get('per_page') ?? 100);
    const page = Number(url.searchParams.get('page') ?? 1);
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const link = (n: number): string => {
      const target = new URL(`${this.url}${url.pathname}`);
      url.searchParams.forEach((v, k) => target.searchParams.append(k, v));
      target.searchParams.set('page', String(n));
      return target.toString();
    };
    return new HttpAnswer(200, {
      [key]: slice.map(render),
      next_page: page * perPage < items.length ? link(page + 1) : null,
      previous_page: page > 1 ? link(page - 1) : null,
      count: items.length,
    });
  }

  private tooRecent(startTime: number, url: URL): HttpAnswer | null {
    if (startTime <= this.nowSeconds() - 60) return null;
    return this.violation('GET', url, 400, ['start_time is less than a minute in the past'], { error: 'InvalidValue', description: 'Too recent start_time. Use a start_time older than 1 minute' });
  }

  /**
   * GET /api/v2/incremental/tickets/cursor.json: tickets by (generated_timestamp, id) after the
   * cursor (or from start_time), per_page at a time (default 1000); after_cursor always given so a
   * caller can poll later. The export is not cut at the last minute here: a ticket may come before
   * its newest audit is in the event export, which the connector must cope with.
   */
  private exportTickets(q: URLSearchParams, url: URL): HttpAnswer {
    const cursor = q.get('cursor');
    const start = q.get('start_time');
    if ((cursor === null) === (start === null)) return this.violation('GET', url, 400, ['exactly one of start_time and cursor is required']);
    let after: { timestamp: number; id: number };
    if (cursor !== null) {
      const decoded = decodeExportCursor(cursor);
      if (!decoded) return this.violation('GET', url, 400, [`cursor ${JSON.stringify(cursor)} is not a cursor this API issued`]);
      after = decoded;
    } else {
      const recent = this.tooRecent(Number(start), url);
      if (recent) return recent;
      after = { timestamp: Number(start), id: 0 };
    }
    const perPage = Number(q.get('per_page') ?? 1000);
    const { tickets } = this.sorted();
    const isAfter = (t: FakeTicket): boolean => t.generatedTimestamp > after.timestamp || (t.generatedTimestamp === after.timestamp && t.id > after.id);
    const from = cursor === null ? tickets.findIndex((t) => t.generatedTimestamp >= after.timestamp) : tickets.findIndex(isAfter);
    const rest = from < 0 ? [] : tickets.slice(from);
    const page = rest.slice(0, perPage);
    const last = page.at(-1);
    const afterCursor = last ? encodeExportCursor(last.generatedTimestamp, last.id) : (cursor ?? encodeExportCursor(after.timestamp, 0));
    const include = (q.get('include') ?? '').split(',');
    return new HttpAnswer(200, {
      tickets: page.map((t) => ticketJson(t, this.url, true)),
      ...(include.includes('users') ? { users: this.usersOf(page) } : {}),
      after_url: `${this.url}/api/v2/incremental/tickets/cursor.json?cursor=${encodeURIComponent(afterCursor)}`,
      after_cursor: this.options.noCursorAtEnd && rest.length <= perPage ? null : afterCursor,
      before_url: page[0] ? `${this.url}/api/v2/incremental/tickets/cursor.json?cursor=${encodeURIComponent(encodeExportCursor(page[0].generatedTimestamp, page[0].id))}` : null,
      before_cursor: page[0] ? encodeExportCursor(page[0].generatedTimestamp, page[0].id) : null,
      end_of_stream: rest.length <= perPage,
    });
  }

  /**
   * GET /api/v2/incremental/ticket_events.json: audits from start_time, oldest first, up to the
   * world's clock minus one minute; a page holds per_page items (default 1000) and then every other
   * item of its last second; next_page starts at end_time (that second again).
   */
  private exportTicketEvents(q: URLSearchParams, url: URL): HttpAnswer {
    const start = q.get('start_time');
    if (start === null) return this.violation('GET', url, 400, ['start_time is required']);
    const startTime = Number(start);
    const recent = this.tooRecent(startTime, url);
    if (recent) return recent;
    const horizon = this.nowSeconds() - 60;
    const { audits } = this.sorted();
    const visible = audits.filter((a) => {
      const s = seconds(a.createdAt);
      return s >= startTime && s <= horizon;
    });
    const perPage = Number(q.get('per_page') ?? 1000);
    let count = Math.min(perPage, visible.length);
    if (count > 0) {
      const lastSecond = seconds(visible[count - 1]!.createdAt);
      while (count < visible.length && seconds(visible[count]!.createdAt) === lastSecond) count++;
    }
    const page = visible.slice(0, count);
    const endTime = page.length > 0 ? seconds(page.at(-1)!.createdAt) : startTime;
    const withComments = q.get('include') === 'comment_events';
    return new HttpAnswer(200, {
      ticket_events: page.map((a) => ticketEventJson(a, withComments)),
      next_page: `${this.url}/api/v2/incremental/ticket_events.json?start_time=${endTime}${withComments ? '&include=comment_events' : ''}`,
      count: page.length,
      end_time: endTime,
      end_of_stream: count >= visible.length,
    });
  }

  private updateTicket(id: number, update: Record<string, unknown>): HttpAnswer {
    const ticket = this.world.tickets.get(id);
    if (!ticket) return notFound();
    this.beforeUpdate?.(ticket);
    if (ticket.status === 'closed') {
      return new HttpAnswer(422, { error: 'RecordInvalid', description: 'Record validation errors', details: { status: [{ description: 'Status: closed prevents ticket update' }] } });
    }
    if (update['safe_update'] === true && Date.parse(String(update['updated_stamp'])) !== Date.parse(ticket.updatedAt)) {
      return new HttpAnswer(409, { error: 'UpdateConflict', description: 'Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again.' });
    }
    const comment = update['comment'] as { body?: string; public?: boolean } | undefined;
    if (comment) this.commentsWritten++;
    const replaceTags = update['tags'] as string[] | undefined;
    const audit = this.world.update(ticket, {
      authorId: this.world.apiUser.id,
      channel: 'api',
      ...(replaceTags ? { addTags: replaceTags, removeTags: ticket.tags.filter((t) => !replaceTags.includes(t)) } : {}),
      ...(update['additional_tags'] ? { addTags: update['additional_tags'] as string[] } : {}),
      ...(update['remove_tags'] ? { removeTags: update['remove_tags'] as string[] } : {}),
      ...(update['custom_fields'] ? { customFields: update['custom_fields'] as { id: number; value: unknown }[] } : {}),
      ...(typeof update['status'] === 'string' ? { status: update['status'] as FakeTicket['status'] } : {}),
      ...(update['priority'] !== undefined ? { priority: update['priority'] as FakeTicket['priority'] } : {}),
      ...(comment ? { comment: { authorId: this.world.apiUser.id, body: comment.body ?? '', public: comment.public ?? true } } : {}),
    });
    return new HttpAnswer(200, { ticket: ticketJson(ticket, this.url), audit: audit ? auditJson(audit) : null });
  }
}

export async function startFakeZendesk(options: FakeZendeskOptions = {}): Promise<FakeZendesk> {
  return new FakeZendesk(options).listen();
}
