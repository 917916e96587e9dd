// fetchChanges / fetchCase against the fake Zendesk API: 1,000 tickets over many export pages with
// their events, through the sync layer's rate-limited fetch, the incremental limit enforced by the
// fake (10 requests a window; the window shortened to a second so the test runs in seconds).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zendeskConnector } from '../../src/connectors/zendesk/index.ts';
import type { ZendeskConfig } from '../../src/connectors/zendesk/index.ts';
import { ConnectorError } from '../../src/connectors/types.ts';
import type { CaseInput, ConnectorContext } from '../../src/connectors/types.ts';
import { createLimitedFetch } from '../../src/sync/http.ts';
import { expectedCase, syncZendesk } from '../fakes/zendesk/expected.ts';
import { startFakeZendesk } from '../fakes/zendesk/server.ts';
import type { FakeZendesk, OperationId } from '../fakes/zendesk/server.ts';
import { generateWorld } from '../fakes/zendesk/world.ts';

const WINDOW_MS = 1000;
const LIMIT = 10;
const quiet = (): void => {};

/** The sync layer's fetch as src/sync builds it, with back-offs scaled down for a loopback fake. */
function limitedCtx(): { ctx: ConnectorContext; http: ReturnType<typeof createLimitedFetch> } {
  const http = createLimitedFetch({ concurrency: 4, intervalCap: 1000, intervalMs: 1000, timeoutMs: 2000, backoffMs: 5, maxRetries: 8 });
  return { ctx: { fetch: http.fetch, log: quiet }, http };
}

function configFor(fake: FakeZendesk, extra: Record<string, unknown> = {}): ZendeskConfig {
  return zendeskConnector.configSchema.parse({
    baseUrl: fake.url,
    email: fake.email,
    apiToken: fake.apiToken,
    incrementalPerMinute: LIMIT,
    incrementalWindowSeconds: WINDOW_MS / 1000,
    ticketsPerPage: 100,
    eventsPerPage: 500,
    ...extra,
  });
}

const sortById = (cases: Iterable<CaseInput>): CaseInput[] => [...cases].sort((a, b) => Number(a.externalId) - Number(b.externalId));
const requestsBy = (fake: FakeZendesk): Record<OperationId, number> => {
  const ops: OperationId[] = ['incremental/tickets-cursor', 'incremental/ticket-events', 'ticket-audits/list', 'users/list', 'tickets/show', 'tickets/update'];
  return Object.fromEntries(ops.map((op) => [op, fake.count(op)])) as Record<OperationId, number>;
};

describe('Zendesk fetchChanges against the fake API', () => {
  let fake: FakeZendesk;
  let cfg: ZendeskConfig;
  let first: Awaited<ReturnType<typeof syncZendesk>>;
  let firstMs: number;

  beforeAll(async () => {
    const world = generateWorld({ seed: 20250303, tickets: 1000, bulkSameSecond: 150 });
    fake = await startFakeZendesk({ world, incrementalLimit: LIMIT, incrementalWindowMs: WINDOW_MS });
    cfg = configFor(fake);
    const started = Date.now();
    first = await syncZendesk(cfg, null, limitedCtx().ctx);
    firstMs = Date.now() - started;
  });
  afterAll(() => fake.close());

  it('syncs 1,000 tickets over many export pages, each mapped exactly as the fake world has it', () => {
    const tickets = [...fake.world.tickets.values()];
    expect(tickets.length).toBe(1000);
    expect(first.pages).toBeGreaterThanOrEqual(10);
    // Each ticket exactly once, the 150 updated in one second (across export pages) included.
    expect(first.all.map((c) => c.externalId).sort()).toEqual(tickets.map((t) => String(t.id)).sort());
    expect(sortById(first.byId.values())).toEqual(tickets.map((t) => expectedCase(fake.world, t, fake.url)));
    expect(fake.violations).toEqual([]);
    expect(fake.writeCalls).toBe(0);
    // The generated histories have every case the mapper must handle.
    const cases = [...first.byId.values()];
    const has = (type: string, status?: string) => cases.some((c) => c.events.some((e) => e.type === type && (status === undefined || ('status' in e && e.status === status))));
    expect(['agent_reply', 'priority'].every((t) => has(t)) && ['pending', 'on_hold', 'solved', 'closed', 'open'].every((s) => has('status', s))).toBe(true);
    expect(cases.filter((c) => c.events.some((e) => e.type === 'agent_reply')).length).toBeGreaterThan(300);
  });

  it('kept to 10 incremental requests a window: the fake never let more through', () => {
    console.info(`[zendesk] throttled sync: ${fake.incrementalRefused} refused, max ${fake.maxIncrementalInWindow()} in a window, ${firstMs} ms`);
    expect(fake.maxIncrementalInWindow()).toBeLessThanOrEqual(LIMIT);
    const incremental = fake.count('incremental/tickets-cursor') + fake.count('incremental/ticket-events');
    expect(incremental).toBeGreaterThan(2 * LIMIT); // enough requests that the limit had to bite
    expect(firstMs).toBeGreaterThanOrEqual(((incremental - LIMIT) / LIMIT) * WINDOW_MS * 0.9);
    // Never one request per ticket: the histories all came from the event export.
    expect(fake.count('ticket-audits/list')).toBe(0);
  });

  it('without its own throttle, meets the fake\'s 429 + Retry-After, waits, and still ends complete', async () => {
    fake.resetCounters();
    const { ctx, http } = limitedCtx();
    const unthrottled = await syncZendesk(configFor(fake, { incrementalPerMinute: 1000 }), null, ctx);
    expect(fake.incrementalRefused).toBeGreaterThan(0);
    expect(http.stats.rateLimited).toBe(fake.incrementalRefused);
    expect(fake.maxIncrementalInWindow()).toBeLessThanOrEqual(LIMIT);
    expect(sortById(unthrottled.byId.values())).toEqual(sortById(first.byId.values()));
    expect(fake.violations).toEqual([]);
  });

  it('hands out nothing again from its cursor', async () => {
    fake.resetCounters();
    const again = await syncZendesk(cfg, first.cursor, limitedCtx().ctx);
    expect(again.all).toEqual([]);
    expect(requestsBy(fake)).toMatchObject({ 'incremental/tickets-cursor': 1, 'incremental/ticket-events': 0, 'ticket-audits/list': 0 });
  });

  it('fetchCase reads one ticket fresh (ticket + audits), and answers null for an unknown one', async () => {
    const ticket = [...fake.world.tickets.values()].find((t) => t.audits.length > 4)!;
    const fresh = await zendeskConnector.fetchCase(cfg, { externalId: String(ticket.id), externalKey: `#${ticket.id}`, attributes: {} }, { fetch, log: quiet });
    expect(fresh).toEqual(expectedCase(fake.world, ticket, fake.url));
    expect(await zendeskConnector.fetchCase(cfg, { externalId: '999999', externalKey: '#999999', attributes: {} }, { fetch, log: quiet })).toBeNull();
    expect(await zendeskConnector.fetchCase(cfg, { externalId: 'SUP-1', externalKey: 'SUP-1', attributes: {} }, { fetch, log: quiet })).toBeNull();
    expect(fake.violations).toEqual([]);
  });
});

describe('Zendesk sync: requests per 1,000 tickets, resumption, increments', () => {
  let fake: FakeZendesk;
  let clean: Awaited<ReturnType<typeof syncZendesk>>;
  const ctx: ConnectorContext = { fetch, log: quiet };
  /** Zendesk's own page sizes (1,000 and 1,000), no throttle needed below the fake's generous limit. */
  let fullPages: ZendeskConfig;

  beforeAll(async () => {
    fake = await startFakeZendesk({ world: generateWorld({ seed: 7, tickets: 1000 }), incrementalLimit: 1000, incrementalWindowMs: WINDOW_MS });
    fullPages = configFor(fake, { incrementalPerMinute: 1000, ticketsPerPage: 1000, eventsPerPage: 1000 });
    clean = await syncZendesk(fullPages, null, ctx);
  });
  afterAll(() => fake.close());

  it('measures the cost: the event export against audits, for the same 1,000 histories', async () => {
    const tickets = [...fake.world.tickets.values()];
    const audits = tickets.reduce((n, t) => n + t.audits.length, 0);
    const measure = async (cursor: string | null, backfill: string) => {
      fake.resetCounters();
      const run = await syncZendesk(configFor(fake, { incrementalPerMinute: 1000, ticketsPerPage: 1000, eventsPerPage: 1000, backfill }), cursor, ctx);
      expect(sortById(run.byId.values())).toEqual(sortById(clean.byId.values()));
      const by = requestsBy(fake);
      return { ...by, total: Object.values(by).reduce((a, b) => a + b, 0) };
    };
    const full = await measure(null, 'auto');
    // A sync whose every history lies before its window: the tickets export from the start, the
    // event export from the end (as after a crash late in a first sync). Backfill by audits, by
    // re-reading the event export, and as planned.
    const late = JSON.parse(clean.cursor!) as { tickets: object; events: object };
    const allBefore = JSON.stringify({ ...late, tickets: { cursor: null, startTime: 0, skipThrough: null } });
    const byAudits = await measure(allBefore, 'audits');
    const byEvents = await measure(allBefore, 'events');
    const planned = await measure(allBefore, 'auto');
    console.info(
      `[zendesk] requests for ${tickets.length} tickets (${audits} audits):` +
        ` full sync via the event export ${full.total} (${full['incremental/tickets-cursor']} ticket pages, ${full['incremental/ticket-events']} event pages, ${full['users/list']} users);` +
        ` histories by audits ${byAudits.total}; by re-reading events ${byEvents.total}; as planned ${planned.total}`,
    );
    expect(full['ticket-audits/list']).toBe(0);
    expect(full.total).toBe(1 + Math.ceil(audits / 1000) + 1);
    expect(byAudits['ticket-audits/list']).toBe(tickets.length);
    expect(byEvents['ticket-audits/list']).toBe(0);
    expect(planned.total).toBe(byEvents.total);
    expect(full.total * 50).toBeLessThan(byAudits.total);
  });

  it.each([
    ['after the first page, histories by audits', 1, 'audits'],
    ['after 4 pages, histories by re-reading the event export', 4, 'events'],
    ['after 7 pages, as planned', 7, 'auto'],
  ])('resumes a sync killed %s, and ends identical', async (_name, killAfter, backfill) => {
    const config = configFor(fake, { incrementalPerMinute: 1000, backfill });
    const killed = await syncZendesk(config, null, ctx, killAfter);
    expect(killed.pages).toBe(killAfter);
    const resumed = await syncZendesk(config, killed.cursor, ctx, Infinity, killed);
    expect(sortById(resumed.byId.values())).toEqual(sortById(clean.byId.values()));
    expect((await syncZendesk(config, resumed.cursor, ctx)).all).toEqual([]);
    expect(fake.violations).toEqual([]);
  });

  it('hands out exactly what changed; a change in the last minute waits for the next sync', async () => {
    const world = fake.world;
    const tickets = [...world.tickets.values()];
    const agent = [...world.users.values()].find((u) => u.role === 'agent')!;
    const customer = [...world.users.values()].find((u) => u.role === 'end-user')!;
    const old = tickets.find((t) => t.status === 'open' && t.audits.length > 3)!;
    const touched = tickets.find((t) => t.status === 'closed')!;

    // A system update with no audit, then an agent's reply: both in the last minute.
    world.touch(touched, world.tick(5));
    world.update(old, { authorId: agent.id, at: world.tick(5), status: 'pending', comment: { authorId: agent.id, body: 'On it', public: true } });
    fake.resetCounters();
    const early = await syncZendesk(fullPages, clean.cursor, ctx);
    expect(early.all.map((c) => c.externalId)).toEqual([]);

    // Two minutes on, a new ticket too.
    const fresh = world.createTicket({ at: world.tick(10), requesterId: customer.id, subject: 'New one', priority: 'urgent' });
    world.tick(120);
    const later = await syncZendesk(fullPages, early.cursor, ctx);
    expect(later.all.map((c) => c.externalId).sort()).toEqual([old, touched, fresh].map((t) => String(t.id)).sort());
    for (const t of [old, touched, fresh]) expect(later.byId.get(String(t.id))).toEqual(expectedCase(world, t, fake.url));
    expect(later.byId.get(String(touched.id))).toEqual(clean.byId.get(String(touched.id)));
    // Two histories older than the window, one ticket new: a re-read or two audits, never more.
    expect(fake.count('ticket-audits/list')).toBeLessThanOrEqual(2);
    expect(fake.violations).toEqual([]);
  });
});

describe('Zendesk fetchChanges failures', () => {
  let fake: FakeZendesk;
  let cfg: ZendeskConfig;
  beforeAll(async () => {
    fake = await startFakeZendesk({ world: generateWorld({ seed: 3, tickets: 40 }), incrementalLimit: 1000, incrementalWindowMs: WINDOW_MS, retryAfterSeconds: 7, slowMs: 1500 });
    cfg = configFor(fake, { incrementalPerMinute: 1000 });
  });
  afterAll(() => fake.close());

  const failure = async (config: ZendeskConfig, context: ConnectorContext = { fetch, log: quiet }, cursor: string | null = null): Promise<ConnectorError> => {
    try {
      await syncZendesk(config, cursor, context);
    } catch (error) {
      if (error instanceof ConnectorError) return error;
      throw error;
    }
    throw new Error('expected the sync to fail');
  };

  it('turns a 429 into rate_limited with its Retry-After, and a 503 into unavailable', async () => {
    fake.injectFault('rate_limit', 1, (r) => r.operationId === 'incremental/ticket-events');
    expect(await failure(cfg)).toMatchObject({ code: 'rate_limited', retryAfterMs: 7000 });
    fake.injectFault('server_error', 1, (r) => r.operationId === 'users/list');
    expect((await failure(cfg)).code).toBe('unavailable');
  });

  it('turns a timeout into unavailable, and refused credentials into unauthorized', async () => {
    fake.injectFault('slow', 1);
    expect((await failure(cfg, { fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(200) }), log: quiet })).code).toBe('unavailable');
    expect((await failure({ ...cfg, apiToken: 'wrong' })).code).toBe('unauthorized');
    expect((await failure({ ...cfg, email: undefined, apiToken: undefined, oauthToken: 'wrong' })).code).toBe('unauthorized');
  });

  it('syncs with an OAuth token too', async () => {
    const run = await syncZendesk({ ...cfg, email: undefined, apiToken: undefined, oauthToken: fake.oauthToken }, null, { fetch, log: quiet });
    expect(run.byId.size).toBe(40);
  });

  it('copes with an export that gives no after_cursor at its end: the last page is read again, past what was done', async () => {
    const noCursor = await startFakeZendesk({ world: generateWorld({ seed: 4, tickets: 30 }), incrementalLimit: 1000, incrementalWindowMs: WINDOW_MS, noCursorAtEnd: true });
    try {
      const config = configFor(noCursor, { incrementalPerMinute: 1000, ticketsPerPage: 7 });
      const once = await syncZendesk(config, null, { fetch, log: quiet });
      expect(once.byId.size).toBe(30);
      noCursor.resetCounters();
      expect((await syncZendesk(config, once.cursor, { fetch, log: quiet })).all).toEqual([]);
      expect(noCursor.count('ticket-audits/list') + noCursor.count('incremental/ticket-events')).toBe(0);
      const agent = [...noCursor.world.users.values()].find((u) => u.role === 'agent')!;
      const open = [...noCursor.world.tickets.values()].find((t) => t.status !== 'closed')!;
      noCursor.world.update(open, { authorId: agent.id, at: noCursor.world.tick(), priority: 'urgent' });
      noCursor.world.tick(120);
      const later = await syncZendesk(config, once.cursor, { fetch, log: quiet });
      expect(later.all.map((c) => c.externalId)).toEqual([String(open.id)]);
      expect(later.all[0]!.rawPriority).toBe('urgent');
    } finally {
      await noCursor.close();
    }
  });

  it('reads a second holding more events than a page (a bulk update) once, and goes on past it', async () => {
    const bulk = await startFakeZendesk({ world: generateWorld({ seed: 5, tickets: 40, bulkSameSecond: 25 }), incrementalLimit: 1000, incrementalWindowMs: WINDOW_MS });
    try {
      const world = bulk.world;
      const agent = [...world.users.values()].find((u) => u.role === 'agent')!;
      const after = world.update(world.tickets.get(1)!, { authorId: agent.id, at: world.tick(), addTags: ['after_bulk'] })!;
      world.tick(120);
      const run = await syncZendesk(configFor(bulk, { incrementalPerMinute: 1000, ticketsPerPage: 10, eventsPerPage: 10 }), null, { fetch, log: quiet });
      expect(sortById(run.byId.values())).toEqual([...world.tickets.values()].map((t) => expectedCase(world, t, bulk.url)));
      expect(JSON.parse(run.cursor!).events.startTime).toBe(Math.floor(Date.parse(after.createdAt) / 1000));
      expect(bulk.violations).toEqual([]);
    } finally {
      await bulk.close();
    }
  });

  it('refuses a cursor that is not its own', async () => {
    expect((await failure(cfg, undefined, '{"since":"yesterday"}')).code).toBe('bad_payload');
  });

  it('ends with exactly the undisturbed result when the API fails on random requests', async () => {
    const undisturbed = await syncZendesk(cfg, null, { fetch, log: quiet });
    fake.setLimits({ retryAfterSeconds: 0 });
    fake.setRandomFaults({ seed: 11, probability: { server_error: 0.15, rate_limit: 0.05, slow: 0.03 } });
    const { ctx, http } = limitedCtx();
    const disturbed = await syncZendesk({ ...cfg, ticketsPerPage: 5, eventsPerPage: 20 }, null, ctx);
    fake.setRandomFaults(null);
    expect(fake.faultsServed.server_error).toBeGreaterThan(2);
    expect(http.stats.retries).toBeGreaterThan(2);
    expect(sortById(disturbed.byId.values())).toEqual(sortById(undisturbed.byId.values()));
  });
});

