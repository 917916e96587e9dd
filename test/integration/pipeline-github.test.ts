// The sync pipeline end to end against the fake GitHub API (issue 3 acceptance): 1,000 issues
// synced page by page, evaluated, written back; a second sync makes zero write calls; faults on
// random requests end in exactly the store of an undisturbed run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatInstant } from '../../src/core/metrics.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { getMetricStates } from '../../src/store/metric-states-repo.ts';
import { getCase, listWritebackPending } from '../../src/store/cases-repo.ts';
import { listWritebackLog } from '../../src/store/writeback-log-repo.ts';
import { applyConfig } from '../../src/sync/config.ts';
import { loadConnectionRuntime } from '../../src/sync/connection.ts';
import type { ConnectionRuntime } from '../../src/sync/connection.ts';
import { runSync } from '../../src/sync/run-sync.ts';
import { runWriteback, runWritebacks } from '../../src/sync/writeback.ts';
import { startFakeGithub } from '../fakes/github/server.ts';
import type { FakeGithub } from '../fakes/github/server.ts';
import { generateWorld } from '../fakes/github/world.ts';
import { storeBackends } from '../helpers/db.ts';
import { storeSnapshot } from '../helpers/snapshot.ts';
import { PIPELINE_ENV, REPOS, pipelineConfig } from '../helpers/github-pipeline.ts';

async function writeBackAll(handle: DatabaseHandle, runtime: ConnectionRuntime, nowMs: number) {
  const outcomes = { written: 0, calls: 0, skipped: 0 };
  for (const caseId of await listWritebackPending(handle.db)) {
    const run = await runWriteback(handle, async () => runtime, caseId, nowMs);
    if (run.outcome) {
      outcomes.calls += run.outcome.calls;
      if (run.outcome.calls > 0) outcomes.written++;
    } else outcomes.skipped++;
  }
  return outcomes;
}

describe.each(storeBackends())('sync pipeline with GitHub on $name', (backend) => {
  let handle: DatabaseHandle;
  let fake: FakeGithub;
  let nowMs: number;
  const env = PIPELINE_ENV;

  beforeAll(async () => {
    process.env.SLA_SYNC_TEST_GITHUB_TOKEN = env.SLA_SYNC_TEST_GITHUB_TOKEN;
    process.env.SLA_SYNC_TEST_GITHUB_SECRET = env.SLA_SYNC_TEST_GITHUB_SECRET;
    const world = generateWorld({ seed: 7, repositories: REPOS, issuesPerRepo: 560, pullRequestShare: 0.1 });
    fake = await startFakeGithub({ world });
    nowMs = world.clockMs;
    handle = await backend.open();
    await applyConfig(handle, pipelineConfig(fake.url));
  }, 120_000);
  afterAll(async () => {
    await fake?.close();
    await handle?.close();
  });

  it('syncs 1,000 issues, writes back, and a second sync writes nothing', async () => {
    const issues = [...fake.world.repos.values()].flatMap((r) => r.issues).filter((i) => !i.isPullRequest);
    expect(issues.length).toBeGreaterThanOrEqual(1000);

    const runtime = await loadConnectionRuntime(handle.db, 'gh-main', { env });
    const first = await runSync(handle, runtime, { now: () => nowMs });
    expect(first.cases).toBe(issues.length);
    expect(first.pages).toBeGreaterThan(10);
    expect(fake.violations).toEqual([]);

    const states = await getMetricStates(handle.db, 1);
    expect(states?.evaluatedAt).toBe(formatInstant(nowMs));

    const written = await writeBackAll(handle, runtime, nowMs);
    expect(written.written).toBeGreaterThan(0);
    expect(fake.writeCalls).toBeGreaterThan(0);
    expect(fake.violations).toEqual([]);
    // Breached open issues carry the label at GitHub now.
    const breachedLabelled = issues.filter((i) => i.labels.includes('sla: breached'));
    expect(breachedLabelled.length).toBeGreaterThan(0);

    fake.resetCounters();
    const second = await runSync(handle, runtime, { now: () => nowMs });
    // Our own writes touched the issues we wrote to: they come back, and are found in line.
    expect(second.cases).toBeGreaterThan(0);
    const again = await writeBackAll(handle, runtime, nowMs);
    expect(again.calls).toBe(0);
    expect(fake.writeCalls).toBe(0);
  }, 180_000);

  it('ends with exactly the undisturbed store when the API fails on random requests', async () => {
    const clean = await storeSnapshot(handle.db, 1);
    const disturbedHandle = await backend.open();
    try {
      await applyConfig(disturbedHandle, pipelineConfig(fake.url));
      fake.setFaultTiming({ retryAfterSeconds: 1, slowMs: 1500 });
      // A first sync reads the history in bulk (a few dozen requests): faults are frequent enough to
      // hit it several times each.
      fake.setRandomFaults({ seed: 99, probability: { rate_limit: 0.05, secondary_rate_limit: 0.05, server_error: 0.2, slow: 0.06 } });
      const runtime = await loadConnectionRuntime(disturbedHandle.db, 'gh-main', {
        env,
        rateLimit: { timeoutMs: 400, backoffMs: 5, maxRetries: 8 },
      });
      await runSync(disturbedHandle, runtime, { now: () => nowMs });
      fake.setRandomFaults(null);
      expect(fake.faultsServed.rate_limit + fake.faultsServed.secondary_rate_limit).toBeGreaterThan(2);
      expect(fake.faultsServed.server_error).toBeGreaterThan(5);
      expect(fake.faultsServed.slow).toBeGreaterThan(2);
      expect(runtime.http.stats.retries).toBeGreaterThan(10);
      const disturbed = await storeSnapshot(disturbedHandle.db, 1);
      // The cursor differs only if GitHub's data changed; our writebacks did change updated_at, so
      // compare the cases (the whole world state at the end is the same for both runs).
      expect(disturbed.cases.length).toBe(clean.cases.length);
      expect(disturbed.cases).toEqual(clean.cases);
    } finally {
      fake.setRandomFaults(null);
      await disturbedHandle.close();
    }
  }, 180_000);

  it('writes back a batch of jobs together: a vendor failure leaves only its case pending, logged; a case gone is skipped', async () => {
    const batchHandle = await backend.open();
    try {
      await applyConfig(batchHandle, pipelineConfig(fake.url));
      // No retries: the failure below is the vendor's answer to the job, not something to wait out.
      const runtime = await loadConnectionRuntime(batchHandle.db, 'gh-main', { env, rateLimit: { maxRetries: 0 } });
      await runSync(batchHandle, runtime, { now: () => nowMs });
      const open: { id: number; repository: string; number: number }[] = [];
      for (const id of await listWritebackPending(batchHandle.db)) {
        const stored = await getCase(batchHandle.db, id);
        if (stored && stored.status !== 'closed' && stored.status !== 'solved') open.push({ id, repository: String(stored.attributes!['repository']), number: Number(stored.attributes!['number']) });
        if (open.length === 3) break;
      }
      const [victim, ...others] = open;
      // The store has no writeback state yet: each writeback looks for its status comment first.
      fake.setRandomFaults({ seed: 1, probability: { server_error: 1 }, only: (req) => req.method === 'GET' && req.path.endsWith(`/repos/${victim!.repository}/issues/${victim!.number}/comments`) });
      const gone = 1_000_000;
      const results = await runWritebacks(batchHandle, async () => runtime, [victim!.id, ...others.map((o) => o.id), gone], nowMs);
      fake.setRandomFaults(null);

      expect(results[0]).toMatchObject({ error: { code: 'unavailable' } });
      expect(results.slice(1, 3).every((r) => 'run' in r && r.run.outcome!.calls > 0)).toBe(true);
      expect(results[3]).toEqual({ run: { outcome: null, skipped: 'gone', timers: [] } });
      const pending = new Set(await listWritebackPending(batchHandle.db));
      expect(pending.has(victim!.id)).toBe(true);
      for (const o of others) expect(pending.has(o.id)).toBe(false);
      expect((await listWritebackLog(batchHandle.db, { caseId: victim!.id }))[0]).toMatchObject({ outcome: 'failed', action: 'writeback' });
      for (const o of others) expect((await listWritebackLog(batchHandle.db, { caseId: o.id }))[0]).toMatchObject({ outcome: 'ok' });
      expect(fake.violations).toEqual([]);

      // Its job's retry writes it back.
      const [retry] = await runWritebacks(batchHandle, async () => runtime, [victim!.id], nowMs);
      expect(retry).toMatchObject({ run: { outcome: { calls: expect.any(Number) } } });
      expect(await listWritebackPending(batchHandle.db)).not.toContain(victim!.id);
    } finally {
      fake.setRandomFaults(null);
      await batchHandle.close();
    }
  }, 180_000);
});
