// The fake Zendesk API itself: it refuses what Zendesk would refuse (and records it), pages with the
// published envelopes, leaves out the last minute, limits the incremental exports, honours safe_update.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeZendesk } from '../fakes/zendesk/server.ts';
import type { FakeZendesk } from '../fakes/zendesk/server.ts';
import { generateWorld, seconds } from '../fakes/zendesk/world.ts';

describe('the fake Zendesk API', () => {
  let fake: FakeZendesk;
  let auth: string;
  beforeAll(async () => {
    fake = await startFakeZendesk({ world: generateWorld({ seed: 1, tickets: 30, bulkSameSecond: 12 }), incrementalLimit: 1000 });
    auth = `Basic ${Buffer.from(`${fake.email}/token:${fake.apiToken}`).toString('base64')}`;
  });
  afterAll(() => fake.close());

  const call = async (method: string, path: string, body?: unknown, authorization = auth) => {
    const before = fake.violations.length;
    const res = await fetch(`${fake.url}${path}`, {
      method,
      headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown>, problems: fake.violations.slice(before).flatMap((v) => v.problems) };
  };

  it.each([
    ['an endpoint that does not exist', 'GET', '/api/v2/tickets/1/history.json', undefined, 404, 'no endpoint GET /api/v2/tickets/1/history.json in the API reference'],
    ['an undeclared parameter', 'GET', '/api/v2/incremental/ticket_events.json?start_time=0&sort_by=id', undefined, 400, 'query parameter "sort_by" is not declared for incremental/ticket-events'],
    ['a sideload the export refuses', 'GET', '/api/v2/incremental/tickets/cursor.json?start_time=0&include=last_audits', undefined, 400, 'query parameter include: "last_audits" has ["last_audits"], not among ["users","groups","organizations","metric_sets","dates","sharing_agreements","comment_count","incident_counts","ticket_forms","metric_events","slas","brands"]'],
    ['start_time=undefined (the node-zendesk bug)', 'GET', '/api/v2/incremental/tickets/cursor.json?start_time=undefined', undefined, 400, 'query parameter start_time: "undefined" is not an integer in 0..9007199254740991'],
    ['both start_time and cursor', 'GET', '/api/v2/incremental/tickets/cursor.json?start_time=0&cursor=abc', undefined, 400, 'exactly one of start_time and cursor is required'],
    ['a cursor it never issued', 'GET', '/api/v2/incremental/tickets/cursor.json?cursor=bm9wZQ', undefined, 400, 'cursor "bm9wZQ" is not a cursor this API issued'],
    ['a start_time in the last minute', 'GET', `/api/v2/incremental/ticket_events.json?start_time=${Math.floor(Date.now() / 1000) + 10 ** 6}`, undefined, 400, 'start_time is less than a minute in the past'],
    ['more than 100 audits a page', 'GET', '/api/v2/tickets/1/audits.json?per_page=500', undefined, 400, 'query parameter per_page: "500" is not an integer in 1..100'],
    ['an update property it does not know', 'PUT', '/api/v2/tickets/1.json', { ticket: { add_tags: ['x'] } }, 400, 'body.ticket.add_tags: is not handled by the fake (or not a ticket property)'],
    ['safe_update without updated_stamp', 'PUT', '/api/v2/tickets/1.json', { ticket: { additional_tags: ['x'], safe_update: true } }, 400, 'body.ticket.updated_stamp: is required with safe_update'],
    ['an update not wrapped in "ticket"', 'PUT', '/api/v2/tickets/1.json', { additional_tags: ['x'] }, 400, 'body: expected {"ticket": {...}}'],
  ])('refuses and records %s', async (_name, method, path, body, status, problem) => {
    const res = await call(method, path, body);
    expect(res.status).toBe(status);
    expect(res.problems).toContain(problem);
  });

  it('requires credentials: Basic email/token:token or Bearer', async () => {
    expect((await call('GET', '/api/v2/tickets/1.json', undefined, '')).status).toBe(401);
    expect((await call('GET', '/api/v2/tickets/1.json', undefined, `Basic ${Buffer.from(`${fake.email}/token:wrong`).toString('base64')}`)).json).toEqual({ error: "Couldn't authenticate you" });
    expect((await call('GET', '/api/v2/tickets/1.json', undefined, `Bearer ${fake.oauthToken}`)).status).toBe(200);
  });

  it('pages the ticket export by cursor, in order of last change, with the published envelope', async () => {
    const seen: number[] = [];
    let res = await call('GET', '/api/v2/incremental/tickets/cursor.json?start_time=0&per_page=7&include=users');
    expect(Object.keys(res.json).sort()).toEqual(['after_cursor', 'after_url', 'before_cursor', 'before_url', 'end_of_stream', 'tickets', 'users']);
    for (;;) {
      const tickets = res.json['tickets'] as { id: number; generated_timestamp: number }[];
      seen.push(...tickets.map((t) => t.id));
      if (res.json['end_of_stream']) break;
      res = await call('GET', `/api/v2/incremental/tickets/cursor.json?cursor=${encodeURIComponent(String(res.json['after_cursor']))}&per_page=7`);
    }
    const order = [...fake.world.tickets.values()].sort((a, b) => a.generatedTimestamp - b.generatedTimestamp || a.id - b.id).map((t) => t.id);
    expect(seen).toEqual(order);
    // At the end, the after_cursor polls for later changes: nothing yet.
    const after = await call('GET', `/api/v2/incremental/tickets/cursor.json?cursor=${encodeURIComponent(String(res.json['after_cursor']))}`);
    expect(after.json).toMatchObject({ tickets: [], end_of_stream: true, after_cursor: res.json['after_cursor'] });
  });

  it('pages the ticket events by time, a page finishing its last second, comments only with the sideload', async () => {
    const all = [...fake.world.tickets.values()].flatMap((t) => t.audits);
    const first = await call('GET', '/api/v2/incremental/ticket_events.json?start_time=0&per_page=5&include=comment_events');
    expect(Object.keys(first.json).sort()).toEqual(['count', 'end_of_stream', 'end_time', 'next_page', 'ticket_events']);
    // The bulk update: 12 audits in one second come in one page, whatever per_page says.
    const bulkSecond = Math.max(...all.map((a) => seconds(a.createdAt)));
    const bulk = await call('GET', `/api/v2/incremental/ticket_events.json?start_time=${bulkSecond}&per_page=5`);
    expect(bulk.json).toMatchObject({ count: 12, end_time: bulkSecond, end_of_stream: true });
    const comments = (body: Record<string, unknown>) => (body['ticket_events'] as { child_events: { event_type: string; author_id?: number; comment_public?: boolean }[] }[]).flatMap((e) => e.child_events.filter((c) => c.event_type === 'Comment'));
    const page = await call('GET', '/api/v2/incremental/ticket_events.json?start_time=0&per_page=50');
    expect(comments(page.json).every((c) => c.author_id === undefined && typeof c.comment_public === 'boolean')).toBe(true);
    const withComments = await call('GET', '/api/v2/incremental/ticket_events.json?start_time=0&per_page=50&include=comment_events');
    expect(comments(withComments.json).every((c) => typeof c.author_id === 'number')).toBe(true);
  });

  it('leaves the last minute out of the ticket events', async () => {
    const world = fake.world;
    const ticket = world.tickets.get(1)!;
    const agent = [...world.users.values()].find((u) => u.role === 'agent')!;
    const recent = world.update(ticket, { authorId: agent.id, at: world.tick(), addTags: ['late'] })!;
    const from = seconds(recent.createdAt) - 3600;
    const ids = async () => ((await call('GET', `/api/v2/incremental/ticket_events.json?start_time=${from}`)).json['ticket_events'] as { id: number }[]).map((e) => e.id);
    expect(await ids()).not.toContain(recent.id);
    world.tick(61);
    expect(await ids()).toContain(recent.id);
  });

  it('lists audits and users with offset pagination', async () => {
    const ticket = [...fake.world.tickets.values()].find((t) => t.audits.length >= 3)!;
    const page1 = await call('GET', `/api/v2/tickets/${ticket.id}/audits.json?per_page=2`);
    expect(page1.json).toMatchObject({ count: ticket.audits.length, previous_page: null });
    expect(String(page1.json['next_page'])).toContain('page=2');
    const agents = await call('GET', '/api/v2/users.json?role[]=agent&role[]=admin');
    expect((agents.json['users'] as { role: string }[]).every((u) => u.role !== 'end-user')).toBe(true);
    expect(agents.json['count']).toBe([...fake.world.users.values()].filter((u) => u.role !== 'end-user').length);
  });

  it('honours safe_update (409 on a stale stamp), refuses closed tickets (422), and counts writes', async () => {
    const ticket = [...fake.world.tickets.values()].find((t) => t.status === 'open')!;
    const closed = [...fake.world.tickets.values()].find((t) => t.status === 'closed')!;
    const writes = fake.writeCalls;
    const stale = await call('PUT', `/api/v2/tickets/${ticket.id}.json`, { ticket: { additional_tags: ['x'], safe_update: true, updated_stamp: '2020-01-01T00:00:00Z' } });
    expect(stale).toMatchObject({ status: 409, json: { error: 'UpdateConflict' } });
    expect(ticket.tags).not.toContain('x');
    const fresh = await call('PUT', `/api/v2/tickets/${ticket.id}.json`, { ticket: { additional_tags: ['x'], safe_update: true, updated_stamp: ticket.updatedAt } });
    expect(fresh.status).toBe(200);
    expect((fresh.json['ticket'] as { tags: string[]; updated_at: string }).tags).toContain('x');
    expect((await call('PUT', `/api/v2/tickets/${closed.id}.json`, { ticket: { additional_tags: ['x'] } })).status).toBe(422);
    expect(fake.writeCalls - writes).toBe(3);
  });

  it('limits the incremental exports per window with 429 + Retry-After, and nothing else', async () => {
    const limited = await startFakeZendesk({ world: fake.world, incrementalLimit: 3, incrementalWindowMs: 60_000 });
    try {
      const get = (path: string) => fetch(`${limited.url}${path}`, { headers: { authorization: auth } });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await get('/api/v2/incremental/ticket_events.json?start_time=0')).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await get('/api/v2/incremental/tickets/cursor.json?start_time=0');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
      expect((await get('/api/v2/tickets/1/audits.json')).status).toBe(200);
      expect(limited.maxIncrementalInWindow()).toBe(3);
      expect(limited.incrementalRefused).toBe(2);
    } finally {
      await limited.close();
    }
  });

  it('serves injected faults', async () => {
    fake.injectFault('rate_limit', 1, (r) => r.operationId === 'users/list');
    fake.injectFault('server_error', 1);
    const limited = await call('GET', '/api/v2/users.json');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect((await call('GET', '/api/v2/tickets/1.json')).status).toBe(503);
    expect((await call('GET', '/api/v2/tickets/1.json')).status).toBe(200);
  });
});
