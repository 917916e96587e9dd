// The Zendesk pipeline through the store (issue 5 acceptance, at the level pipeline-github.test.ts
// holds GitHub to): a config applied for the fake account, 1,000 tickets synced by runSync over many
// cursor pages with their events, written back by the workers' runWriteback; a second sync brings back
// the tickets our updates touched and writes nothing. The fake allows 10 incremental requests a window
// (Zendesk: a minute; here a second) and answers 429 + Retry-After beyond: the sync keeps under it
// by itself, and without its own throttle, and through injected faults, still ends with the full store.
// On PGlite, and on Postgres when DATABASE_URL is set.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLA_TAGS } from '../../src/connectors/zendesk/writeback.ts';
import { formatInstant } from '../../src/core/metrics.ts';
import { listWritebackPending } from '../../src/store/cases-repo.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { applyConfig } from '../../src/sync/config.ts';
import { loadConnectionRuntime } from '../../src/sync/connection.ts';
import { runSync } from '../../src/sync/run-sync.ts';
import { expectedCase } from '../fakes/zendesk/expected.ts';
import { startFakeZendesk } from '../fakes/zendesk/server.ts';
import type { FakeZendesk } from '../fakes/zendesk/server.ts';
import { SLA_DUE_FIELD_ID, generateWorld } from '../fakes/zendesk/world.ts';
import { storeBackends } from '../helpers/db.ts';
import {
  VENDOR_ENV,
  ZENDESK_CONNECTION,
  ZENDESK_INCREMENTAL_LIMIT,
  ZENDESK_WINDOW_MS,
  earliestDue,
  snapshotOf,
  wantedMarks,
  writeBackPending,
  zendeskPipelineConfig,
} from '../helpers/vendor-pipeline.ts';

const env = VENDOR_ENV;
const SLA_TAG_NAMES: readonly string[] = Object.values(SLA_TAGS);
const DONE = new Set(['solved', 'closed']);
/** "SLA due" as the ticket must hold it: an ISO instant in UTC. */
const dueText = (states: Parameters<typeof earliestDue>[0]): string | null => {
  const due = earliestDue(states);
  return due === null ? null : formatInstant(due);
};

const incrementalRequests = (fake: FakeZendesk): number => fake.count('incremental/tickets-cursor') + fake.count('incremental/ticket-events');

describe.each(storeBackends())('the Zendesk pipeline through the store on $name', (backend) => {
  let handle: DatabaseHandle;
  let fake: FakeZendesk;
  let nowMs: number;

  beforeAll(async () => {
    // 150 tickets updated in one second at the end (a bulk update): that second spans export pages.
    const world = generateWorld({ seed: 42, tickets: 1000, bulkSameSecond: 150 });
    fake = await startFakeZendesk({ world, incrementalLimit: ZENDESK_INCREMENTAL_LIMIT, incrementalWindowMs: ZENDESK_WINDOW_MS });
    nowMs = world.clockMs;
    handle = await backend.open();
    await applyConfig(handle, zendeskPipelineConfig(fake));
  }, 120_000);
  afterAll(async () => {
    await fake?.close();
    await handle?.close();
  });

  it('syncs 1,000 tickets within 10 incremental requests a window, writes back tags and SLA due, and a second sync writes nothing', async () => {
    const tickets = [...fake.world.tickets.values()];
    expect(tickets.length).toBe(1000);

    const runtime = await loadConnectionRuntime(handle.db, ZENDESK_CONNECTION, { env });
    const first = await runSync(handle, runtime, { now: () => nowMs });
    expect(first.pages).toBeGreaterThanOrEqual(10);
    expect(first.cases).toBeGreaterThanOrEqual(tickets.length); // a ticket changed mid-export comes twice
    // Several windows' worth of requests, and the fake never let more than the limit through one.
    expect(incrementalRequests(fake)).toBeGreaterThan(3 * ZENDESK_INCREMENTAL_LIMIT);
    expect(fake.maxIncrementalInWindow()).toBeLessThanOrEqual(ZENDESK_INCREMENTAL_LIMIT);
    // Histories from the event export: never one request per ticket.
    expect(fake.count('ticket-audits/list')).toBe(0);
    expect(fake.violations).toEqual([]);
    expect(fake.writeCalls).toBe(0);

    // Each ticket stored once, as the fake world has it.
    const synced = await snapshotOf(handle, ZENDESK_CONNECTION);
    expect(synced.cases.length).toBe(tickets.length);
    const summary = (c: { externalId: string; externalKey: string; title: string; rawPriority: string | null; status: string; attributes: unknown }) => ({
      externalId: c.externalId,
      externalKey: c.externalKey,
      title: c.title,
      rawPriority: c.rawPriority,
      status: c.status,
      attributes: c.attributes,
    });
    const byId = new Map(synced.cases.map((c) => [c.externalId, c]));
    for (const t of tickets) expect(summary(byId.get(String(t.id))!)).toEqual(summary(expectedCase(fake.world, t, fake.url) as Parameters<typeof summary>[0]));
    expect(synced.cases.every((c) => c.states.length === 2)).toBe(true);

    const written = await writeBackPending(handle, { env }, nowMs);
    expect(written.checked).toBe(tickets.length);
    expect(written.written).toBeGreaterThan(50);
    expect(fake.writeCalls).toBe(written.calls);
    expect(fake.commentsWritten).toBe(0);
    expect(fake.violations).toEqual([]);
    expect(await listWritebackPending(handle.db)).toEqual([]);

    // Every open case's ticket shows exactly the SLA tags and "SLA due" its stored states call for; a
    // ticket solved or closed before sla-sync wrote to it is left alone (history).
    const stored = await snapshotOf(handle, ZENDESK_CONNECTION);
    let breachedOpen = 0;
    let atRiskOpen = 0;
    for (const c of stored.cases) {
      const ticket = fake.world.tickets.get(Number(c.externalId))!;
      const slaTags = ticket.tags.filter((t) => SLA_TAG_NAMES.includes(t)).sort();
      if (DONE.has(c.status)) {
        expect({ key: c.externalKey, slaTags }).toEqual({ key: c.externalKey, slaTags: [] });
        continue;
      }
      const wanted = wantedMarks(c.states, SLA_TAGS);
      if (wanted.includes(SLA_TAGS.breached)) breachedOpen++;
      if (wanted.includes(SLA_TAGS.atRisk)) atRiskOpen++;
      expect({ key: c.externalKey, slaTags, due: ticket.customFields[String(SLA_DUE_FIELD_ID)] ?? null }).toEqual({
        key: c.externalKey,
        slaTags: wanted,
        due: dueText(c.states),
      });
    }
    expect(breachedOpen).toBeGreaterThan(50);
    console.info(
      `[zendesk store] ${first.pages} pages, ${incrementalRequests(fake)} incremental requests (max ${fake.maxIncrementalInWindow()} a window, ${fake.incrementalRefused} refused); ` +
        `${written.written} tickets written, ${written.historical} historical; open: ${breachedOpen} breached, ${atRiskOpen} at risk`,
    );

    // Our updates are audits too: two minutes on (the event export leaves out the last minute), the
    // next sync hands exactly those tickets out again, with our tags on them.
    const updated = new Set(fake.requests.filter((r) => r.operationId === 'tickets/update' && r.status === 200).map((r) => r.path));
    expect(updated.size).toBe(written.written);
    fake.world.tick(120);
    fake.resetCounters();
    const second = await runSync(handle, runtime, { now: () => nowMs });
    expect(second.cases).toBeGreaterThanOrEqual(updated.size);
    expect((await listWritebackPending(handle.db)).length).toBe(updated.size);
    const again = await writeBackPending(handle, { env }, nowMs);
    expect(again.checked).toBe(updated.size);
    expect(again.calls).toBe(0);
    expect(fake.writeCalls).toBe(0);
    expect(fake.commentsWritten).toBe(0);
    expect(fake.maxIncrementalInWindow()).toBeLessThanOrEqual(ZENDESK_INCREMENTAL_LIMIT);
    expect(fake.violations).toEqual([]);
  }, 180_000);

  it('without its own throttle and through injected faults, meets 429 + Retry-After and ends with the same store', async () => {
    const clean = await snapshotOf(handle, ZENDESK_CONNECTION);
    const disturbed = await backend.open();
    try {
      // The connection's own throttle set far above the fake's 10 a window: the fake's 429s decide.
      // One ticket page of 1,000 whose events take dozens of requests in a row: far more than 10 a
      // window however slowly the store works.
      await applyConfig(disturbed, zendeskPipelineConfig(fake, { incrementalPerMinute: 1000, ticketsPerPage: 1000, eventsPerPage: 200 }));
      fake.resetCounters();
      // Still 10 a window, the window two seconds: more than 5 requests a second, which even a busy
      // machine sends in a row, is over the limit.
      fake.setLimits({ incrementalWindowMs: 2 * ZENDESK_WINDOW_MS, retryAfterSeconds: 1, slowMs: 2500 });
      fake.injectFault('server_error', 2, (r) => r.operationId === 'incremental/tickets-cursor');
      fake.injectFault('rate_limit', 1, (r) => r.operationId === 'incremental/ticket-events');
      fake.injectFault('slow', 1, (r) => r.operationId === 'users/list');
      fake.setRandomFaults({ seed: 11, probability: { server_error: 0.1, rate_limit: 0.03, slow: 0.03 } });
      const runtime = await loadConnectionRuntime(disturbed.db, ZENDESK_CONNECTION, { env, rateLimit: { timeoutMs: 1000, backoffMs: 5, maxRetries: 8 } });
      await runSync(disturbed, runtime, { now: () => nowMs });
      fake.setRandomFaults(null);
      expect(fake.incrementalRefused).toBeGreaterThan(0);
      expect(fake.maxIncrementalInWindow()).toBeLessThanOrEqual(ZENDESK_INCREMENTAL_LIMIT);
      expect(fake.faultsServed.server_error).toBeGreaterThanOrEqual(2);
      expect(fake.faultsServed.rate_limit).toBeGreaterThanOrEqual(1);
      expect(fake.faultsServed.slow).toBeGreaterThanOrEqual(1);
      // Every 429, the limit's and the injected ones, was waited out and the request sent again.
      expect(runtime.http.stats.rateLimited).toBe(fake.requests.filter((r) => r.status === 429).length);
      expect(fake.violations).toEqual([]);
      expect(fake.writeCalls).toBe(0);

      const after = await snapshotOf(disturbed, ZENDESK_CONNECTION);
      expect(after.cases.length).toBe(fake.world.tickets.size);
      expect(after.cases).toEqual(clean.cases);
      // Both stand at the same place in both exports; only the density estimate, which the clean
      // store's second sync added to, differs.
      const position = (cursor: string | null) => {
        const { tickets, events } = JSON.parse(cursor!) as { tickets: unknown; events: unknown };
        return { tickets, events };
      };
      expect(position(after.cursor)).toEqual(position(clean.cursor));
      console.info(`[zendesk store] unthrottled: ${fake.incrementalRefused} refused by the limit, faults served ${JSON.stringify(fake.faultsServed)}, ${runtime.http.stats.retries} retries`);
    } finally {
      fake.setRandomFaults(null);
      fake.setLimits({ incrementalWindowMs: ZENDESK_WINDOW_MS });
      await disturbed.close();
    }
  }, 180_000);
});
