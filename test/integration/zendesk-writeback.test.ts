// Writeback against the fake Zendesk API: SLA tags added and removed, the "SLA due" field, one
// safe_update PUT, nothing sent when nothing changed, and an agent's concurrent edit never
// overwritten. Then at scale: 1,000 tickets synced, evaluated, written back; a second pass writes nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { zendeskConnector } from '../../src/connectors/zendesk/index.ts';
import type { ZendeskConfig } from '../../src/connectors/zendesk/index.ts';
import { DEFAULT_PRIORITY_SEVERITIES } from '../../src/connectors/zendesk/config.ts';
import type { ConnectorContext, ExternalRef, SlaSnapshot, WritebackOutcome, WritebackState } from '../../src/connectors/types.ts';
import { compilePolicy, formatInstant } from '../../src/core/metrics.ts';
import type { MetricState, MetricStateName, Policy } from '../../src/core/types.ts';
import { evaluateEvents, priorityMap, toStoreCase } from '../../src/sync/evaluate.ts';
import { syncZendesk } from '../fakes/zendesk/expected.ts';
import { startFakeZendesk } from '../fakes/zendesk/server.ts';
import type { FakeZendesk } from '../fakes/zendesk/server.ts';
import { FakeZendeskWorld, SLA_DUE_FIELD_ID, generateWorld } from '../fakes/zendesk/world.ts';
import type { FakeTicket, FakeUser } from '../fakes/zendesk/world.ts';

const ctx: ConnectorContext = { fetch, log: () => {} };

function metric(state: MetricStateName, dueAt: string | null): MetricState {
  const done = state === 'met';
  return {
    state,
    severity: 'S2',
    targetSeconds: 4 * 3600,
    elapsedSeconds: state === 'breached' ? 5 * 3600 : 3600,
    remainingSeconds: state === 'breached' ? 0 : 3 * 3600,
    dueAt,
    atRiskAt: null,
    breachedAt: state === 'breached' ? dueAt : null,
    completedAt: done ? '2025-03-03T10:00:00Z' : null,
  };
}

function snapshot(firstResponse: MetricState, resolution: MetricState): SlaSnapshot {
  return { evaluation: { severity: 'S2', status: 'open', metrics: { firstResponse, resolution } }, timezones: { firstResponse: 'UTC', resolution: 'UTC' }, evaluatedAt: '2025-03-03T12:00:00Z' };
}

const atRisk = snapshot(metric('met', '2025-03-03T10:00:00Z'), metric('at_risk', '2025-03-03T17:00:00Z'));
const breached = snapshot(metric('breached', '2025-03-03T11:00:00Z'), metric('at_risk', '2025-03-03T17:00:00Z'));
const healthy = snapshot(metric('met', '2025-03-03T10:00:00Z'), metric('met', '2025-03-03T17:00:00Z'));

describe('Zendesk writeback against the fake API', () => {
  let fake: FakeZendesk;
  let cfg: ZendeskConfig;
  let world: FakeZendeskWorld;
  let ticket: FakeTicket;
  let agent: FakeUser;

  /** The ref as the store has it after a sync: the ticket read now. */
  const readRef = async (t: FakeTicket = ticket): Promise<ExternalRef> => {
    const c = (await zendeskConnector.fetchCase(cfg, { externalId: String(t.id), externalKey: `#${t.id}`, attributes: {} }, ctx))!;
    return { externalId: c.externalId, externalKey: c.externalKey, attributes: c.attributes };
  };
  const run = async (sla: SlaSnapshot, previous: WritebackState | null, ref: ExternalRef): Promise<WritebackOutcome> => {
    const before = fake.writeCalls;
    const result = await zendeskConnector.writeback(cfg, ref, sla, previous, ctx);
    if (!result.ok) throw result.error;
    expect(result.value.calls).toBe(fake.writeCalls - before); // the outcome counts what reached Zendesk
    return result.value;
  };

  beforeEach(async () => {
    await fake?.close();
    world = new FakeZendeskWorld({ startAt: '2025-03-03T09:00:00Z' });
    agent = world.addUser('Alice Agent', 'agent');
    const customer = world.addUser('Customer', 'end-user');
    ticket = world.createTicket({ at: world.tick(), requesterId: customer.id, subject: 'Printer on fire', priority: 'high', tags: ['printer'] });
    world.update(ticket, { authorId: agent.id, status: 'open' });
    fake = await startFakeZendesk({ world });
    cfg = zendeskConnector.configSchema.parse({ baseUrl: fake.url, email: fake.email, apiToken: fake.apiToken, slaDueFieldId: SLA_DUE_FIELD_ID });
  });
  afterAll(() => fake.close());

  it('adds the tag and sets "SLA due" in one guarded PUT; the second time it sends nothing', async () => {
    const staleRef = await readRef(); // what the store knows until its next sync
    const first = await run(atRisk, null, staleRef);
    expect(first.actions).toEqual(['tag +sla_at_risk', 'SLA due = 2025-03-03T17:00:00Z']);
    expect(first.calls).toBe(1);
    expect(ticket.tags).toEqual(['printer', 'sla_at_risk']);
    expect(ticket.customFields[String(SLA_DUE_FIELD_ID)]).toBe('2025-03-03T17:00:00Z');

    // Same states and due times, the same stale ref: nothing.
    const second = await run(atRisk, first.state, staleRef);
    expect(second).toEqual({ state: first.state, calls: 0, actions: [] });
    // After the store read the ticket again (our tag on it): still nothing.
    expect((await run(atRisk, second.state, await readRef())).calls).toBe(0);
    expect(fake.commentsWritten).toBe(0);
    expect(fake.violations).toEqual([]);
  });

  it('swaps the tags when a state changes and clears "SLA due" when nothing runs', async () => {
    const first = await run(atRisk, null, await readRef());
    const second = await run(breached, first.state, await readRef());
    expect(second.actions).toEqual(['tag +sla_breached', 'SLA due = 2025-03-03T11:00:00Z']);
    expect(ticket.tags).toEqual(['printer', 'sla_at_risk', 'sla_breached']);
    const third = await run(healthy, second.state, await readRef());
    expect(third.actions).toEqual(['tag -sla_at_risk', 'tag -sla_breached', 'SLA due = (cleared)']);
    expect(ticket.tags).toEqual(['printer']);
    expect(ticket.customFields[String(SLA_DUE_FIELD_ID)]).toBeNull();
    expect((await run(healthy, third.state, await readRef())).calls).toBe(0);
    // Each PUT carried safe_update with the ticket's own updated_at.
    const puts = fake.requests.filter((r) => r.method === 'PUT');
    expect(puts.every((r) => r.status === 200)).toBe(true);
  });

  it('puts back a tag a person took off, once the store has read the ticket again', async () => {
    const first = await run(atRisk, null, await readRef());
    world.update(ticket, { authorId: agent.id, removeTags: ['sla_at_risk'] });
    const again = await run(atRisk, first.state, await readRef());
    expect(again.actions).toEqual(['tag +sla_at_risk']);
    expect(ticket.tags).toContain('sla_at_risk');
  });

  it('never overwrites an agent\'s edit made after the store read the ticket: 409, read again, apply on top', async () => {
    const ref = await readRef();
    // The agent edits between our read and our write.
    world.update(ticket, { authorId: agent.id, priority: 'urgent', addTags: ['vip'], customFields: [{ id: SLA_DUE_FIELD_ID, value: 'call me' }] });
    const out = await run(atRisk, null, ref);
    expect(out.calls).toBe(2); // the refused PUT and the one on the fresh ticket
    expect(fake.requests.filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([409, 200]);
    expect(ticket.tags).toEqual(['printer', 'vip', 'sla_at_risk']);
    expect(ticket.priority).toBe('urgent');
    // Our field, set again on top of the agent's text: the one thing sla-sync owns.
    expect(ticket.customFields[String(SLA_DUE_FIELD_ID)]).toBe('2025-03-03T17:00:00Z');
  });

  it('gives up with `conflict` when the agent keeps editing, and nothing of ours lands', async () => {
    const ref = await readRef();
    fake.beforeUpdate = (t) => void world.update(t, { authorId: agent.id, addTags: [`edit_${world.tick()}`.replace(/\W/g, '_')] });
    const result = await zendeskConnector.writeback(cfg, ref, atRisk, null, ctx);
    fake.beforeUpdate = null;
    expect(result.ok ? null : result.error.code).toBe('conflict');
    expect(fake.requests.filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([409, 409]);
    expect(ticket.tags.filter((t) => t.startsWith('sla_'))).toEqual([]);
  });

  it('reads the ticket first when the case has no updated stamp, and leaves closed tickets alone', async () => {
    const bare = { externalId: String(ticket.id), externalKey: `#${ticket.id}`, attributes: {} };
    const out = await run(breached, null, bare);
    expect(out.calls).toBe(1);
    expect(fake.count('tickets/show')).toBe(1);
    world.update(ticket, { authorId: agent.id, status: 'closed' });
    const closed = await run(healthy, out.state, await readRef());
    expect(closed.calls).toBe(0);
    expect(ticket.tags).toContain('sla_breached');
  });

  it('maps failures to connector errors', async () => {
    const gone = await zendeskConnector.writeback(cfg, { externalId: '999', externalKey: '#999', attributes: { updatedStamp: '2025-03-03T09:00:00Z' } }, atRisk, null, ctx);
    expect(gone.ok ? null : gone.error.code).toBe('not_found');
    fake.injectFault('rate_limit', 1, (r) => r.method === 'PUT');
    const limited = await zendeskConnector.writeback(cfg, await readRef(), atRisk, null, ctx);
    expect(limited.ok ? null : limited.error).toMatchObject({ code: 'rate_limited', retryAfterMs: 1000 });
    const foreign = await zendeskConnector.writeback(cfg, { externalId: 'SUP-1', externalKey: 'SUP-1', attributes: {} }, atRisk, null, ctx);
    expect(foreign.ok ? null : foreign.error.code).toBe('bad_payload');
  });
});

describe('Zendesk writeback at scale: 1,000 tickets, then a second pass that writes nothing', () => {
  let fake: FakeZendesk;
  beforeAll(async () => {
    fake = await startFakeZendesk({ world: generateWorld({ seed: 42, tickets: 1000 }), incrementalLimit: 1000, incrementalWindowMs: 1000 });
  });
  afterAll(() => fake.close());

  const policy: Policy = {
    calendar: '24x7',
    severities: {
      S1: { firstResponseMinutes: 60, resolutionMinutes: 480 },
      S2: { firstResponseMinutes: 240, resolutionMinutes: 1440 },
      S3: { firstResponseMinutes: 480, resolutionMinutes: 2880 },
      S4: { firstResponseMinutes: 1440, resolutionMinutes: 7200 },
    },
    defaultSeverity: 'S3',
  };

  it('syncs, evaluates and writes back; after a re-sync a second writeback makes zero calls', async () => {
    const cfg = zendeskConnector.configSchema.parse({ baseUrl: fake.url, email: fake.email, apiToken: fake.apiToken, slaDueFieldId: SLA_DUE_FIELD_ID, incrementalPerMinute: 1000, incrementalWindowSeconds: 1 });
    const compiled = compilePolicy(policy);
    const mapping = priorityMap(Object.entries(DEFAULT_PRIORITY_SEVERITIES).map(([rawPriority, severity]) => ({ rawPriority, severity })));
    // Evaluated half a day after the last ticket was created: open tickets are at risk or breached.
    const nowMs = Math.max(...[...fake.world.tickets.values()].map((t) => Date.parse(t.createdAt))) + 12 * 3600_000;
    const states = new Map<string, WritebackState>();

    const writeBackAll = async (cases: Iterable<{ externalId: string; externalKey: string; attributes: Record<string, unknown> } & Parameters<typeof toStoreCase>[0]>) => {
      let calls = 0;
      for (const c of cases) {
        const previous = states.get(c.externalId) ?? null;
        if (previous === null && (c.status === 'solved' || c.status === 'closed')) continue; // history, as src/sync does
        const evaluation = evaluateEvents(compiled, toStoreCase(c, mapping, 'S3').events, mapping, nowMs);
        const sla: SlaSnapshot = { evaluation, timezones: { firstResponse: 'UTC', resolution: 'UTC' }, evaluatedAt: formatInstant(nowMs) };
        const result = await zendeskConnector.writeback(cfg, { externalId: c.externalId, externalKey: c.externalKey, attributes: c.attributes }, sla, previous, ctx);
        if (!result.ok) throw result.error;
        calls += result.value.calls;
        states.set(c.externalId, result.value.state);
      }
      return calls;
    };

    const first = await syncZendesk(cfg, null, ctx);
    expect(first.byId.size).toBe(1000);
    const written = await writeBackAll(first.byId.values());
    expect(written).toBeGreaterThan(50);
    expect(fake.writeCalls).toBe(written);
    const tagged = [...fake.world.tickets.values()].filter((t) => t.tags.includes('sla_breached') || t.tags.includes('sla_at_risk'));
    expect(tagged.length).toBeGreaterThan(50);

    // Our writes are audits too: two minutes on, the next sync hands those tickets out again.
    fake.world.tick(120);
    fake.resetCounters();
    const second = await syncZendesk(cfg, first.cursor, ctx);
    expect(second.byId.size).toBe(written);
    const latest = new Map([...first.byId, ...second.byId]);
    expect(await writeBackAll(latest.values())).toBe(0);
    expect(fake.writeCalls).toBe(0);
    expect(fake.commentsWritten).toBe(0);
    expect(fake.violations).toEqual([]);
  });
});
