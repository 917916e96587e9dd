// The Zendesk connection config (zod), the sync cursor, the backfill cost model and the incremental
// throttle, alone.
import { describe, expect, it } from 'vitest';
import { SlidingWindowThrottle } from '../../src/connectors/zendesk/client.ts';
import { initialCursor, parseCursor, planBackfill } from '../../src/connectors/zendesk/changes.ts';
import { zendeskConfigSchema } from '../../src/connectors/zendesk/config.ts';
import { zendeskConnector } from '../../src/connectors/zendesk/index.ts';
import { SECRET_FIELDS } from '../../src/connectors/registry.ts';

describe('zendeskConfigSchema', () => {
  it('applies the documented defaults and builds the URL from the subdomain', () => {
    expect(zendeskConfigSchema.parse({ subdomain: 'acme', email: 'admin@acme.com', apiToken: 'tok' })).toEqual({
      subdomain: 'acme',
      baseUrl: 'https://acme.zendesk.com',
      email: 'admin@acme.com',
      apiToken: 'tok',
      statusMap: { new: 'new', open: 'open', pending: 'pending', hold: 'on_hold', solved: 'solved', closed: 'closed', deleted: 'closed' },
      agentRoles: ['agent', 'admin'],
      incrementalPerMinute: 10,
      incrementalWindowSeconds: 60,
      ticketsPerPage: 1000,
      eventsPerPage: 1000,
      backfill: 'auto',
    });
  });

  it('takes a base URL instead (a proxy or a fake), an OAuth token instead of email + token, and status overrides', () => {
    const cfg = zendeskConfigSchema.parse({ baseUrl: 'http://127.0.0.1:4321/', oauthToken: 'o', statusMap: { new: 'open', hold: 'pending' } });
    expect(cfg.baseUrl).toBe('http://127.0.0.1:4321');
    expect(cfg.statusMap).toMatchObject({ new: 'open', hold: 'pending', open: 'open' });
  });

  it.each([
    ['neither subdomain nor baseUrl', { subdomain: undefined }, 'subdomain'],
    ['both subdomain and baseUrl', { baseUrl: 'https://support.acme.com' }, 'subdomain'],
    ['a full host as subdomain', { subdomain: 'acme.zendesk.com' }, 'subdomain'],
    ['a token without its email', { email: undefined }, 'email'],
    ['no credentials', { email: undefined, apiToken: undefined }, 'apiToken'],
    ['both kinds of credentials', { oauthToken: 'o' }, 'oauthToken'],
    ['an unknown Zendesk status', { statusMap: { waiting: 'pending' } }, 'statusMap'],
    ['an unknown engine status', { statusMap: { hold: 'paused' } }, 'statusMap.hold'],
    ['more than Zendesk pages hold', { ticketsPerPage: 5000 }, 'ticketsPerPage'],
    ['a misspelt field', { agentId: [1] }, ''],
  ])('refuses %s', (_name, fields, path) => {
    const result = zendeskConfigSchema.safeParse({ subdomain: 'acme', email: 'admin@acme.com', apiToken: 't', ...fields });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('declares its secrets and the implied priority mapping', () => {
    expect(SECRET_FIELDS.zendesk).toEqual(['apiToken', 'oauthToken', 'webhookSecret', 'sidebarSecret']);
    const cfg = zendeskConfigSchema.parse({ subdomain: 'acme', oauthToken: 'o', prioritySeverities: { low: 'S3' } });
    expect(zendeskConnector.priorityMappingsFromConfig(cfg)).toEqual({ urgent: 'S1', high: 'S2', normal: 'S3', low: 'S3' });
  });
});

describe('the Zendesk cursor', () => {
  it('starts at the beginning, or at syncFrom', () => {
    expect(initialCursor({})).toEqual({ v: 1, tickets: { cursor: null, startTime: 0, skipThrough: null }, events: { startTime: 0, seen: [] }, density: { events: 0, seconds: 0 } });
    expect(parseCursor(null, { syncFrom: '2025-01-01T00:00:00Z' }).events.startTime).toBe(1_735_689_600);
  });

  it('round-trips, and refuses a cursor that is not its own', () => {
    const c = { ...initialCursor({}), tickets: { cursor: 'MTU3NjYxMzUzOS4wfHw0Njd8', startTime: 0, skipThrough: null } };
    expect(parseCursor(JSON.stringify(c), {})).toEqual(c);
    expect(() => parseCursor('{"since":"yesterday"}', {})).toThrow(expect.objectContaining({ code: 'bad_payload' }));
    expect(() => parseCursor('nope', {})).toThrow(expect.objectContaining({ code: 'bad_payload' }));
  });
});

describe('planBackfill: re-read the event export or fetch audits, whichever costs fewer requests', () => {
  const day = 86_400;
  const now = 100 * day;
  const tickets = (ages: number[]) => ages.map((age, i) => ({ id: i + 1, createdSec: now - age }));

  it.each([
    // 1,000 events a day, 1,000 a page: re-reading 3 days costs 3 requests, audits for 20 tickets 20.
    ['20 tickets of the last 3 days, a quiet account', tickets(Array.from({ length: 20 }, (_, i) => (i % 3) * day + 3600)), 1000 / day, { rescanFrom: now - 2 * day - 3600, audits: 0, cost: 3 }],
    // 100,000 events a day: re-reading the last hour (5 pages) for its 7 tickets beats 7 audits.
    ['the same tickets on a busy account', tickets(Array.from({ length: 20 }, (_, i) => (i % 3) * day + 3600)), 100_000 / day, { rescanFrom: now - 3600, audits: 13, cost: 18 }],
    // 1,000,000 events a day: even the last hour is 42 pages; audits.
    ['the same tickets on a very busy account', tickets(Array.from({ length: 20 }, (_, i) => (i % 3) * day + 3600)), 1_000_000 / day, { rescanFrom: null, audits: 20, cost: 20 }],
    // One ticket a year old would cost 365 pages: it gets its audits, the recent ones a short re-read.
    ['recent tickets and one very old', tickets([3600, 7200, 10_800, 14_400, 365 * day]), 1000 / day, { rescanFrom: now - 14_400, audits: 1, cost: 2 }],
    ['no density known yet', tickets([3600, 7200]), 0, { rescanFrom: null, audits: 2, cost: 2 }],
    ['one ticket: a tie goes to audits (the incremental budget is the scarce one)', tickets([3600]), 1000 / day, { rescanFrom: null, audits: 1, cost: 1 }],
  ])('%s', (_name, list, density, expected) => {
    const plan = planBackfill(list, now, density, 1000, 'auto');
    expect({ rescanFrom: plan.rescanFrom, audits: plan.audits.length, cost: plan.cost }).toEqual(expected);
  });

  it('does what the config forces', () => {
    const list = tickets([3600, 2 * day]);
    expect(planBackfill(list, now, 100_000 / day, 1000, 'events')).toMatchObject({ rescanFrom: now - 2 * day, audits: [] });
    expect(planBackfill(list, now, 1 / day, 1000, 'audits')).toMatchObject({ rescanFrom: null, audits: [1, 2] });
  });
});

describe('SlidingWindowThrottle', () => {
  it('lets `limit` requests start per window and holds the next until the oldest is a window behind', async () => {
    let clock = 0;
    const waits: number[] = [];
    const throttle = new SlidingWindowThrottle(3, 1000, () => clock, async (ms) => {
      waits.push(ms);
      clock += ms;
    });
    const starts: number[] = [];
    for (let i = 0; i < 7; i++) {
      await throttle.acquire();
      starts.push(clock);
      clock += 10;
    }
    // A margin (200 ms for a short window) covers a trip to the server slower than the next one.
    expect(starts).toEqual([0, 10, 20, 1200, 1210, 1220, 2400]);
    for (let i = 3; i < starts.length; i++) expect(starts[i]! - starts[i - 3]!).toBeGreaterThanOrEqual(1000);
    expect(waits.length).toBe(2);
  });

  it('gives up when the caller aborts', async () => {
    const throttle = new SlidingWindowThrottle(1, 60_000);
    await throttle.acquire();
    const controller = new AbortController();
    const waiting = throttle.acquire(controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });
});
