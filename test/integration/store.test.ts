// The store repositories on every available backend: PGlite in memory always, and Postgres when
// DATABASE_URL is set (test/helpers/db.ts gives each run a database of its own).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CaseEvaluation, Policy } from '../../src/core/types.ts';
import type { CaseInput, DatabaseHandle } from '../../src/store/index.ts';
import {
  MIGRATIONS_FOLDER,
  appendWritebackLog,
  deleteConnection,
  deletePolicy,
  getCase,
  getCaseTimeline,
  getConnection,
  getConnectionByName,
  getMetricStates,
  getPolicy,
  getPolicyByName,
  getSyncCursor,
  listConnections,
  listPolicies,
  listPriorityMappings,
  listWritebackLog,
  migrateDatabase,
  recordSyncRun,
  saveMetricStates,
  saveSyncCursor,
  setPriorityMappings,
  storeCases,
  upsertCasesWithEvents,
  upsertConnection,
  upsertPolicy,
  withTransaction,
} from '../../src/store/index.ts';
import {
  caseEvents,
  cases,
  connections,
  metricStates,
  priorityMappings,
  syncCursors,
  writebackLog,
} from '../../src/store/schema/index.ts';
import { resetStore, storeBackends } from '../helpers/db.ts';

const POLICY: Policy = {
  calendar: {
    timezone: 'America/New_York',
    week: { mon: [['09:00', '12:00'], ['13:00', '17:30']], fri: [['09:00', '24:00']] },
    holidays: ['2026-12-25'],
  },
  severities: {
    S1: { firstResponseMinutes: 30, resolutionMinutes: 240, calendar: '24x7', objectivePercent: 100 },
    S3: { firstResponseMinutes: 240, resolutionMinutes: 1440 },
  },
  defaultSeverity: 'S3',
  pauseStatuses: ['pending', 'on_hold'],
  pauseFirstResponse: false,
  atRiskPercent: 75,
};

function caseInput(externalId: string, overrides: Partial<CaseInput> = {}): CaseInput {
  return {
    externalId,
    externalKey: `#${externalId}`,
    url: `https://example.zendesk.com/agent/tickets/${externalId}`,
    title: `Ticket ${externalId}`,
    rawPriority: 'high',
    severity: 'S2',
    status: 'open',
    createdAt: '2026-12-24T21:30:00Z',
    updatedAt: '2026-12-28T14:20:00Z',
    events: [
      { at: '2026-12-24T21:30:00Z', type: 'created', status: 'open', severity: 'S2', data: { via: 'web' } },
      { at: '2026-12-28T14:00:00Z', type: 'status', status: 'pending' },
      { at: '2026-12-28T14:20:00.250Z', type: 'status', status: 'open' },
      { at: '2026-12-28T14:25:00Z', type: 'agent_reply', data: { commentId: 42, author: 'ana' } },
      { at: '2026-12-28T14:26:00Z', type: 'severity', severity: 'S1' },
    ],
    ...overrides,
  };
}

const EVALUATION: CaseEvaluation = {
  severity: 'S2',
  status: 'open',
  metrics: {
    firstResponse: {
      state: 'breached',
      severity: 'S2',
      targetSeconds: 3600,
      elapsedSeconds: 5400.25,
      remainingSeconds: 0,
      dueAt: '2026-12-28T14:30:00Z',
      atRiskAt: '2026-12-28T14:15:00Z',
      breachedAt: '2026-12-28T14:30:00Z',
      completedAt: null,
    },
    resolution: {
      state: 'running',
      severity: 'S2',
      targetSeconds: 14400,
      elapsedSeconds: 4200.1,
      remainingSeconds: 10199.9,
      dueAt: '2026-12-28T17:50:00.001Z',
      atRiskAt: null,
      breachedAt: null,
      completedAt: null,
    },
  },
};

/** The core events of a case input: what getCaseTimeline must give back. */
function coreEvents(input: CaseInput) {
  return input.events.map(({ data: _data, ...event }) => event);
}

describe.each(storeBackends())('store on $name', (backend) => {
  let handle: DatabaseHandle;

  beforeAll(async () => {
    handle = await backend.open();
  });
  afterAll(async () => {
    await handle.close();
  });
  beforeEach(async () => {
    await resetStore(handle.db);
  });

  async function rowCount(table: typeof cases | typeof caseEvents | typeof metricStates | typeof syncCursors | typeof priorityMappings | typeof writebackLog) {
    const [row] = await handle.db.select({ n: count() }).from(table);
    return row!.n;
  }

  async function newConnection(name = 'zendesk-main') {
    return upsertConnection(handle.db, { name, source: 'zendesk', config: { subdomain: 'example', token: 'env:ZD_TOKEN' } });
  }

  it('applies migrations once: a second run changes nothing and keeps the data', async () => {
    const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
      entries: unknown[];
    };
    const connection = await newConnection();
    await migrateDatabase(handle);
    await migrateDatabase(handle);
    const applied = await handle.db.execute(sql`select hash from drizzle.__drizzle_migrations`);
    const appliedRows = Array.isArray(applied) ? applied : (applied as { rows: unknown[] }).rows;
    expect(appliedRows).toHaveLength(journal.entries.length);
    expect(journal.entries.length).toBeGreaterThan(0);
    expect(await getConnection(handle.db, connection.id)).toEqual(connection);
  });

  describe('policies', () => {
    it('upserts by name, keeping the id, and round-trips the definition', async () => {
      const first = await upsertPolicy(handle.db, 'standard', POLICY);
      expect(first.definition).toEqual(POLICY);
      expect(first.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/);

      const changed: Policy = { ...POLICY, defaultSeverity: 'S4', atRiskPercent: 80 };
      const second = await upsertPolicy(handle.db, 'standard', changed);
      expect(second.id).toBe(first.id);
      expect(second.createdAt).toBe(first.createdAt);
      expect(await getPolicy(handle.db, first.id)).toEqual(second);
      expect((await getPolicyByName(handle.db, 'standard'))?.definition).toEqual(changed);
      expect(await getPolicy(handle.db, first.id + 1000)).toBeNull();

      await upsertPolicy(handle.db, 'a-first', POLICY);
      expect((await listPolicies(handle.db)).map((p) => p.name)).toEqual(['a-first', 'standard']);
    });

    it('refuses to delete a policy in use, deletes it once free', async () => {
      const policy = await upsertPolicy(handle.db, 'standard', POLICY);
      const connection = await upsertConnection(handle.db, {
        name: 'gh', source: 'github', config: {}, policyId: policy.id,
      });
      expect(await deletePolicy(handle.db, policy.id)).toBe('in_use');
      expect(await getPolicy(handle.db, policy.id)).not.toBeNull();

      await upsertConnection(handle.db, { name: connection.name, source: 'github', config: {}, policyId: null });
      expect(await deletePolicy(handle.db, policy.id)).toBe('deleted');
      expect(await deletePolicy(handle.db, policy.id)).toBe('not_found');
    });
  });

  describe('connections and priority mappings', () => {
    it('upserts by name; an omitted enabled or policyId keeps the stored value', async () => {
      const policy = await upsertPolicy(handle.db, 'standard', POLICY);
      const created = await upsertConnection(handle.db, {
        name: 'jira-cloud', source: 'jira', config: { site: 'acme', nested: { labels: ['a', 'b'], n: 1.5 } },
        policyId: policy.id, enabled: false,
      });
      expect(created).toMatchObject({
        name: 'jira-cloud', source: 'jira', policyId: policy.id, enabled: false,
        config: { site: 'acme', nested: { labels: ['a', 'b'], n: 1.5 } },
      });

      const updated = await upsertConnection(handle.db, { name: 'jira-cloud', source: 'jira', config: { site: 'acme2' } });
      expect(updated.id).toBe(created.id);
      expect(updated).toMatchObject({ config: { site: 'acme2' }, policyId: policy.id, enabled: false });
      expect(await getConnectionByName(handle.db, 'jira-cloud')).toEqual(updated);

      // Stored as a JSON object, not as a JSON string holding one (a classic postgres.js pitfall).
      const [typeRow] = await handle.db
        .select({ t: sql<string>`jsonb_typeof(${connections.config})` })
        .from(connections)
        .where(eq(connections.id, created.id));
      expect(typeRow?.t).toBe('object');

      const other = await newConnection('a-zendesk');
      expect(other).toMatchObject({ enabled: true, policyId: null });
      expect((await listConnections(handle.db)).map((c) => c.name)).toEqual(['a-zendesk', 'jira-cloud']);

      expect(await deleteConnection(handle.db, other.id)).toBe(true);
      expect(await deleteConnection(handle.db, other.id)).toBe(false);
      expect(await getConnection(handle.db, other.id)).toBeNull();
    });

    it('sets and replaces priority mappings per connection', async () => {
      const a = await newConnection('a');
      const b = await newConnection('b');
      await setPriorityMappings(handle.db, a.id, [
        { rawPriority: 'urgent', severity: 'S1' },
        { rawPriority: 'high', severity: 'S3' },
        { rawPriority: 'high', severity: 'S2' },
      ]);
      await setPriorityMappings(handle.db, b.id, [{ rawPriority: 'urgent', severity: 'S2' }]);
      expect(await listPriorityMappings(handle.db, a.id)).toEqual([
        { rawPriority: 'high', severity: 'S2' },
        { rawPriority: 'urgent', severity: 'S1' },
      ]);

      await setPriorityMappings(handle.db, a.id, [{ rawPriority: 'low', severity: 'S4' }]);
      expect(await listPriorityMappings(handle.db, a.id)).toEqual([{ rawPriority: 'low', severity: 'S4' }]);
      expect(await listPriorityMappings(handle.db, b.id)).toEqual([{ rawPriority: 'urgent', severity: 'S2' }]);

      await setPriorityMappings(handle.db, a.id, []);
      expect(await listPriorityMappings(handle.db, a.id)).toEqual([]);
    });
  });

  describe('cases and their events', () => {
    it('round-trips a timeline exactly as core reads it, in array order', async () => {
      const connection = await newConnection();
      const input = caseInput('101', {
        events: [
          { at: '2026-03-08T06:59:59.999Z', type: 'created' },
          { at: '2026-03-08T07:00:00Z', type: 'severity', severity: 'S4' },
          // Same instant as the next one: order comes from the array, not from the time.
          { at: '2026-03-08T08:00:00Z', type: 'status', status: 'solved' },
          { at: '2026-03-08T08:00:00Z', type: 'status', status: 'open' },
          { at: '2026-03-08T07:30:00Z', type: 'agent_reply' },
        ],
      });
      const [id] = await upsertCasesWithEvents(handle.db, connection.id, [input]);
      const timeline = await getCaseTimeline(handle.db, id!);
      expect(timeline.events).toEqual(coreEvents(input));
      // Exactly: no extra keys (no undefined status on a bare created event), same key order.
      expect(JSON.stringify(timeline.events)).toBe(JSON.stringify(coreEvents(input)));
    });

    it('is idempotent: the same page twice gives the same ids and leaves event rows untouched', async () => {
      const connection = await newConnection();
      const page = [caseInput('1'), caseInput('2', { rawPriority: null, severity: 'S4', status: 'new' })];
      const ids = await upsertCasesWithEvents(handle.db, connection.id, page);
      const eventRows = await handle.db.select().from(caseEvents).orderBy(caseEvents.id);

      const again = await upsertCasesWithEvents(handle.db, connection.id, page);
      expect(again).toEqual(ids);
      expect(await rowCount(cases)).toBe(2);
      expect(await handle.db.select().from(caseEvents).orderBy(caseEvents.id)).toEqual(eventRows);
      expect(eventRows).toHaveLength(10);

      const stored = await getCase(handle.db, ids[1]!);
      const { events: _events, ...fields } = page[1]!;
      expect(stored).toMatchObject({ ...fields, id: ids[1], connectionId: connection.id });
      expect(stored?.syncedAt).toMatch(/Z$/);
    });

    it('replaces a history: changed events are updated, extra ones removed, new ones added', async () => {
      const connection = await newConnection();
      const [id] = await upsertCasesWithEvents(handle.db, connection.id, [caseInput('7')]);

      const shorter = caseInput('7', {
        title: 'Renamed',
        events: [
          { at: '2026-12-24T21:30:00Z', type: 'created', status: 'new', severity: 'S3' },
          { at: '2026-12-28T14:00:00Z', type: 'status', status: 'solved' },
        ],
      });
      expect(await upsertCasesWithEvents(handle.db, connection.id, [shorter])).toEqual([id]);
      expect((await getCaseTimeline(handle.db, id!)).events).toEqual(coreEvents(shorter));
      expect((await getCase(handle.db, id!))?.title).toBe('Renamed');
      expect(await rowCount(caseEvents)).toBe(2);

      const longer = caseInput('7');
      await upsertCasesWithEvents(handle.db, connection.id, [longer]);
      expect((await getCaseTimeline(handle.db, id!)).events).toEqual(coreEvents(longer));

      await upsertCasesWithEvents(handle.db, connection.id, [caseInput('7', { events: [] })]);
      expect((await getCaseTimeline(handle.db, id!)).events).toEqual([]);
    });

    it('tells which cases a store created, and still trims the history of one it only updated', async () => {
      const connection = await newConnection();
      const first = await withTransaction(handle, (tx) => storeCases(tx, connection.id, [caseInput('1'), caseInput('2')], { inCallersTransaction: true }));
      expect([...first.created].sort()).toEqual([...first.ids].sort());
      const shorter = caseInput('2', { events: caseInput('2').events.slice(0, 2) });
      const second = await withTransaction(handle, (tx) => storeCases(tx, connection.id, [caseInput('3'), shorter], { inCallersTransaction: true }));
      expect([...second.created]).toEqual([second.ids[0]]);
      expect(second.ids[1]).toBe(first.ids[1]);
      expect(await getCaseTimeline(handle.db, first.ids[1]!)).toEqual({ events: coreEvents(shorter) });
      expect(await getCaseTimeline(handle.db, second.ids[0]!)).toEqual({ events: coreEvents(caseInput('3')) });
    });

    it('keys cases by connection and external id', async () => {
      const a = await newConnection('a');
      const b = await newConnection('b');
      const [inA] = await upsertCasesWithEvents(handle.db, a.id, [caseInput('55')]);
      const [inB] = await upsertCasesWithEvents(handle.db, b.id, [caseInput('55')]);
      expect(inA).not.toBe(inB);
      expect((await getCase(handle.db, inB!))?.connectionId).toBe(b.id);

      // The same external id twice in one page is one case, with the last version.
      const ids = await upsertCasesWithEvents(handle.db, a.id, [
        caseInput('9', { title: 'old' }),
        caseInput('10'),
        caseInput('9', { title: 'new' }),
      ]);
      expect(ids[0]).toBe(ids[2]);
      expect((await getCase(handle.db, ids[0]!))?.title).toBe('new');
      expect(await rowCount(cases)).toBe(4);

      // The database itself refuses a second row for one connection and external id.
      const row = {
        connectionId: a.id, externalId: '55', externalKey: '#55', url: 'u', title: 't', severity: 'S2' as const,
        status: 'open' as const, createdAt: new Date(), updatedAt: new Date(),
      };
      await expect(handle.db.insert(cases).values(row)).rejects.toThrow();
      await expect(
        handle.db.insert(caseEvents).values({ caseId: inA!, seq: 99, at: new Date(), type: 'status', status: null }),
      ).rejects.toThrow();
    });

    it('stores pages larger than one statement can carry', async () => {
      const connection = await newConnection();
      const events = Array.from({ length: 12 }, (_, i) => ({
        at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
        type: 'agent_reply' as const,
      }));
      const page = Array.from({ length: 1_000 }, (_, i) => caseInput(String(i), { events }));
      const ids = await upsertCasesWithEvents(handle.db, connection.id, page);
      expect(new Set(ids).size).toBe(1_000);
      expect(await rowCount(caseEvents)).toBe(12_000);
      expect((await getCaseTimeline(handle.db, ids[999]!)).events).toHaveLength(12);
    });
  });

  describe('metric states', () => {
    it('round-trips an evaluation and replaces it on the next save', async () => {
      const connection = await newConnection();
      const [caseId] = await upsertCasesWithEvents(handle.db, connection.id, [caseInput('1')]);
      expect(await getMetricStates(handle.db, caseId!)).toBeNull();

      await saveMetricStates(handle.db, caseId!, EVALUATION, '2026-12-28T15:00:00Z');
      expect(await getMetricStates(handle.db, caseId!)).toEqual({
        evaluatedAt: '2026-12-28T15:00:00Z',
        metrics: EVALUATION.metrics,
      });

      const later: CaseEvaluation = {
        ...EVALUATION,
        metrics: {
          ...EVALUATION.metrics,
          resolution: {
            ...EVALUATION.metrics.resolution,
            state: 'met', elapsedSeconds: 1 / 3, remainingSeconds: 14400 - 1 / 3, completedAt: '2026-12-28T16:00:00Z',
            dueAt: null,
          },
        },
      };
      await withTransaction(handle, (tx) => saveMetricStates(tx, caseId!, later, '2026-12-28T16:00:00.500Z'));
      expect(await getMetricStates(handle.db, caseId!)).toEqual({
        evaluatedAt: '2026-12-28T16:00:00.500Z',
        metrics: later.metrics,
      });
      expect(await rowCount(metricStates)).toBe(2);
    });

    it("keeps copies of the case's connection, policy and customer on its states, however they are written", async () => {
      const connection = await newConnection();
      const policy = await upsertPolicy(handle.db, 'standard', POLICY);
      const other = await upsertPolicy(handle.db, 'premium', POLICY);
      const [saved, raw] = await upsertCasesWithEvents(handle.db, connection.id, [
        caseInput('1', { agreement: { customerId: null, ruleId: null, policyId: policy.id } }),
        caseInput('2', { agreement: { customerId: null, ruleId: null, policyId: policy.id } }),
      ]);
      const copies = async (caseId: number) =>
        handle.db
          .select({ connectionId: metricStates.connectionId, policyId: metricStates.policyId })
          .from(metricStates)
          .where(eq(metricStates.caseId, caseId));
      // The store's writer fills them in its statement...
      await saveMetricStates(handle.db, saved!, EVALUATION, '2026-12-28T15:00:00Z');
      // ...and any other writer that leaves them out gets them from the trigger.
      await handle.db.execute(sql`
        insert into metric_states (case_id, metric, state, severity, target_seconds, elapsed_seconds, remaining_seconds, evaluated_at)
        values (${raw}, 'firstResponse', 'running', 'S2', 3600, 0, 3600, now()), (${raw}, 'resolution', 'running', 'S2', 14400, 0, 14400, now())`);
      const expected = [{ connectionId: connection.id, policyId: policy.id }, { connectionId: connection.id, policyId: policy.id }];
      expect(await copies(saved!)).toEqual(expected);
      expect(await copies(raw!)).toEqual(expected);
      // A case that moves to another policy takes its states along.
      await upsertCasesWithEvents(handle.db, connection.id, [caseInput('1', { agreement: { customerId: null, ruleId: null, policyId: other.id } })]);
      expect(await copies(saved!)).toEqual(expected.map((e) => ({ ...e, policyId: other.id })));
      // A state of no case is refused, as before.
      const orphan = saveMetricStates(handle.db, 999_999, EVALUATION, '2026-12-28T15:00:00Z');
      await expect(orphan).rejects.toThrow();
      expect(await rowCount(metricStates)).toBe(4);
    });
  });

  describe('sync cursors and transactions', () => {
    it('commits a page and its cursor together', async () => {
      const connection = await newConnection();
      expect(await getSyncCursor(handle.db, connection.id)).toBeNull();
      await withTransaction(handle, async (tx) => {
        await upsertCasesWithEvents(tx, connection.id, [caseInput('1')]);
        await saveSyncCursor(tx, connection.id, '2026-12-28T14:20:00Z|1');
      });
      expect(await getSyncCursor(handle.db, connection.id)).toMatchObject({
        cursor: '2026-12-28T14:20:00Z|1', lastRunAt: null, lastError: null,
      });

      await recordSyncRun(handle.db, connection.id, '2026-12-28T15:00:00Z', 'HTTP 429 from zendesk');
      expect(await getSyncCursor(handle.db, connection.id)).toMatchObject({
        cursor: '2026-12-28T14:20:00Z|1', lastRunAt: '2026-12-28T15:00:00Z', lastError: 'HTTP 429 from zendesk',
      });
      await recordSyncRun(handle.db, connection.id, '2026-12-28T16:00:00Z', null);
      expect(await getSyncCursor(handle.db, connection.id)).toMatchObject({
        cursor: '2026-12-28T14:20:00Z|1', lastRunAt: '2026-12-28T16:00:00Z', lastError: null,
      });
    });

    it('rolls back a failed page with its cursor: nothing lost, nothing half-written', async () => {
      const connection = await newConnection();
      const [id] = await withTransaction(handle, async (tx) => {
        const ids = await upsertCasesWithEvents(tx, connection.id, [caseInput('1')]);
        await saveSyncCursor(tx, connection.id, 'page-1');
        return ids;
      });
      const caseBefore = await getCase(handle.db, id!);
      const timelineBefore = await getCaseTimeline(handle.db, id!);
      const cursorBefore = await getSyncCursor(handle.db, connection.id);

      const failure = new Error('connection reset while fetching page 3');
      await expect(
        withTransaction(handle, async (tx) => {
          await upsertCasesWithEvents(tx, connection.id, [
            caseInput('1', { title: 'changed', events: [{ at: '2026-12-24T21:30:00Z', type: 'created' }] }),
            caseInput('2'),
          ]);
          await saveSyncCursor(tx, connection.id, 'page-2');
          // Inside the transaction the new state is visible...
          expect((await getSyncCursor(tx, connection.id))?.cursor).toBe('page-2');
          throw failure;
        }),
      ).rejects.toBe(failure);

      // ...and after the rollback none of it is.
      expect(await getSyncCursor(handle.db, connection.id)).toEqual(cursorBefore);
      expect(await getCase(handle.db, id!)).toEqual(caseBefore);
      expect(await getCaseTimeline(handle.db, id!)).toEqual(timelineBefore);
      expect(await rowCount(cases)).toBe(1);
      expect(await rowCount(caseEvents)).toBe(5);
    });
  });

  describe('writeback log', () => {
    it('appends entries and lists them newest first, by case or connection', async () => {
      const a = await newConnection('a');
      const b = await newConnection('b');
      const [caseA] = await upsertCasesWithEvents(handle.db, a.id, [caseInput('1')]);
      const first = await appendWritebackLog(handle.db, {
        connectionId: a.id, caseId: caseA!, action: 'labels', payload: { add: ['sla: breached'], remove: [] }, outcome: 'ok',
      });
      expect(first).toMatchObject({
        connectionId: a.id, caseId: caseA, action: 'labels', payload: { add: ['sla: breached'], remove: [] },
        outcome: 'ok', error: null,
      });
      const second = await appendWritebackLog(handle.db, {
        connectionId: a.id, caseId: null, action: 'create-labels', payload: ['sla: at risk'], outcome: 'failed',
        error: 'HTTP 403',
      });
      await appendWritebackLog(handle.db, { connectionId: b.id, caseId: null, action: 'comment', payload: 'x', outcome: 'skipped' });

      expect((await listWritebackLog(handle.db, { connectionId: a.id })).map((e) => e.id)).toEqual([second.id, first.id]);
      expect(await listWritebackLog(handle.db, { caseId: caseA! })).toEqual([first]);
      expect(await listWritebackLog(handle.db)).toHaveLength(3);
      expect(await listWritebackLog(handle.db, { limit: 1 })).toHaveLength(1);
    });
  });

  describe('deletes', () => {
    it('deleting a connection removes everything that belongs to it, and only that', async () => {
      const a = await newConnection('a');
      const b = await newConnection('b');
      const [caseA] = await upsertCasesWithEvents(handle.db, a.id, [caseInput('1')]);
      const [caseB] = await upsertCasesWithEvents(handle.db, b.id, [caseInput('1')]);
      for (const [connection, caseId] of [[a.id, caseA!], [b.id, caseB!]] as const) {
        await saveMetricStates(handle.db, caseId, EVALUATION, '2026-12-28T15:00:00Z');
        await saveSyncCursor(handle.db, connection, 'c');
        await setPriorityMappings(handle.db, connection, [{ rawPriority: 'high', severity: 'S2' }]);
        await appendWritebackLog(handle.db, { connectionId: connection, caseId, action: 'labels', payload: {}, outcome: 'ok' });
      }

      expect(await deleteConnection(handle.db, a.id)).toBe(true);
      for (const table of [cases, metricStates, syncCursors, priorityMappings, writebackLog]) {
        expect(await rowCount(table)).toBe(table === metricStates ? 2 : 1);
      }
      expect(await rowCount(caseEvents)).toBe(5);
      expect((await getCaseTimeline(handle.db, caseB!)).events).toEqual(coreEvents(caseInput('1')));
      expect(await getCase(handle.db, caseA!)).toBeNull();
    });

    it('deleting a case removes its events and metric states', async () => {
      const connection = await newConnection();
      const [id] = await upsertCasesWithEvents(handle.db, connection.id, [caseInput('1')]);
      await saveMetricStates(handle.db, id!, EVALUATION, '2026-12-28T15:00:00Z');
      await handle.db.delete(cases).where(eq(cases.id, id!));
      expect(await rowCount(caseEvents)).toBe(0);
      expect(await rowCount(metricStates)).toBe(0);
      expect(await getConnection(handle.db, connection.id)).not.toBeNull();
    });
  });
});
