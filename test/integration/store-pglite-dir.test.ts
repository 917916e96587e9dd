// The embedded store persists under the data dir: what one process writes, the next one reads.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CaseEvaluation } from '../../src/core/types.ts';
import {
  getCase,
  getCaseTimeline,
  getMetricStates,
  getConnectionByName,
  getSyncCursor,
  migrateDatabase,
  openDatabase,
  saveMetricStates,
  saveSyncCursor,
  upsertCasesWithEvents,
  upsertConnection,
  withTransaction,
} from '../../src/store/index.ts';
import type { CaseInput } from '../../src/store/index.ts';

const CASE: CaseInput = {
  externalId: 'I_kwDOA1',
  externalKey: 'acme/api#12',
  url: 'https://github.com/acme/api/issues/12',
  title: 'Login fails on Safari',
  rawPriority: 'P1',
  severity: 'S1',
  status: 'solved',
  createdAt: '2026-10-25T00:30:00Z',
  updatedAt: '2026-10-25T03:00:00Z',
  events: [
    { at: '2026-10-25T00:30:00Z', type: 'created', status: 'open', severity: 'S1' },
    { at: '2026-10-25T01:10:00Z', type: 'agent_reply', data: { commentId: 99 } },
    { at: '2026-10-25T03:00:00Z', type: 'status', status: 'solved' },
  ],
};

const EVALUATION: CaseEvaluation = {
  severity: 'S1',
  status: 'solved',
  metrics: {
    firstResponse: {
      state: 'breached', severity: 'S1', targetSeconds: 1800, elapsedSeconds: 2400, remainingSeconds: 0,
      dueAt: '2026-10-25T01:00:00Z', atRiskAt: '2026-10-25T00:52:30Z', breachedAt: '2026-10-25T01:00:00Z',
      completedAt: '2026-10-25T01:10:00Z',
    },
    resolution: {
      state: 'met', severity: 'S1', targetSeconds: 14400, elapsedSeconds: 9000, remainingSeconds: 5400,
      dueAt: null, atRiskAt: null, breachedAt: null, completedAt: '2026-10-25T03:00:00Z',
    },
  },
};

describe('PGlite under the data dir', () => {
  let dataDir: string | undefined;
  afterEach(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps what was written after close and reopen', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'sla-sync-store-'));

    const first = await openDatabase({ dataDir });
    expect(first).toMatchObject({ kind: 'pglite', dataDir: path.join(dataDir, 'pglite') });
    await migrateDatabase(first);
    const [caseId] = await withTransaction(first, async (tx) => {
      const connection = await upsertConnection(tx, { name: 'acme-github', source: 'github', config: { repos: ['acme/api'] } });
      const ids = await upsertCasesWithEvents(tx, connection.id, [CASE]);
      await saveMetricStates(tx, ids[0]!, EVALUATION, '2026-10-25T04:00:00Z');
      await saveSyncCursor(tx, connection.id, '2026-10-25T03:00:00Z');
      return ids;
    });
    const stored = await getCase(first.db, caseId!);
    await first.close();
    expect(existsSync(path.join(dataDir, 'pglite', 'PG_VERSION'))).toBe(true);

    const second = await openDatabase({ dataDir });
    try {
      await migrateDatabase(second);
      const connection = await getConnectionByName(second.db, 'acme-github');
      expect(connection?.config).toEqual({ repos: ['acme/api'] });
      expect(await getCase(second.db, caseId!)).toEqual(stored);
      expect((await getCaseTimeline(second.db, caseId!)).events).toEqual(CASE.events.map(({ data: _d, ...e }) => e));
      expect(await getMetricStates(second.db, caseId!)).toEqual({ evaluatedAt: '2026-10-25T04:00:00Z', metrics: EVALUATION.metrics });
      expect((await getSyncCursor(second.db, connection!.id))?.cursor).toBe('2026-10-25T03:00:00Z');
    } finally {
      await second.close();
    }
  });
});
