// Writebacks of one case never overlap (the case's writeback lease): two started at once on an issue
// never written to, in one process or in two on one Postgres, leave ONE status comment; the one that
// found the case held is retried (a writeback job put back without using an attempt, or queued by the
// refresh) and then finds nothing to change; a lease its holder died with does not block for good.
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubIssueRef } from '../../src/connectors/github/mapper.ts';
import type { ExternalRef } from '../../src/connectors/types.ts';
import { caseIdsByExternalId, listWritebackPending } from '../../src/store/cases-repo.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { openDatabase } from '../../src/store/db.ts';
import { cases } from '../../src/store/schema/index.ts';
import { listWritebackLog } from '../../src/store/writeback-log-repo.ts';
import { applyConfig } from '../../src/sync/config.ts';
import type { ConnectionRuntime } from '../../src/sync/connection.ts';
import { loadConnectionRuntime } from '../../src/sync/connection.ts';
import { startWorkers } from '../../src/sync/jobs.ts';
import type { JobQueue } from '../../src/sync/queue.ts';
import { RetryJobLaterError, queueFor } from '../../src/sync/queue.ts';
import { refreshBatch } from '../../src/sync/refresh.ts';
import type { WritebackRun } from '../../src/sync/writeback.ts';
import { runWritebacks, writebackRefreshed } from '../../src/sync/writeback.ts';
import { startFakeGithub } from '../fakes/github/server.ts';
import type { FakeGithub } from '../fakes/github/server.ts';
import { FakeWorld, iso } from '../fakes/github/world.ts';
import type { FakeIssue } from '../fakes/github/world.ts';
import { storeBackends } from '../helpers/db.ts';
import { stopWorkerHarness, waitFor } from '../helpers/worker-harness.ts';

const REPO = 'acme/support';
const env = { WL_TOKEN: 'test-token' };
const HOUR = 3_600_000;

type Result = { run: WritebackRun } | { error: unknown };

describe.each(storeBackends())('writeback lease on $name', (backend) => {
  let handle: DatabaseHandle;
  /** A second process's store: its own pool on Postgres; the same PGlite (one process) otherwise. */
  let other: DatabaseHandle;
  let fake: FakeGithub;
  let queue: JobQueue;
  let runtime: ConnectionRuntime;
  /** The second process's runtime: its own rate limiter. */
  let otherRuntime: ConnectionRuntime;
  let connectionId = 0;
  const schema = `pgboss_wl_${randomUUID().slice(0, 8)}`;

  const ourComments = (issue: FakeIssue) => issue.comments.filter((c) => c.body.startsWith('<!-- sla-sync'));
  const refOf = (issue: FakeIssue): ExternalRef =>
    githubIssueRef(REPO, { id: issue.id, number: issue.number, user: { login: issue.user }, labels: issue.labels.map((name) => ({ name })) });
  /** A P1 (S1: first response within 60 min) issue opened 2 h ago, unanswered: breached. */
  const newIssue = (title: string) => fake.world.createIssue(fake.world.repo(REPO)!, { title, user: 'customer-1', at: iso(Date.now() - 2 * HOUR), labels: ['P1'] });
  const leaseOf = async (caseId: number) => (await handle.db.select({ until: cases.writebackLeaseUntil }).from(cases).where(eq(cases.id, caseId)))[0]!.until;
  /** Stores the issue as a refresh does, without writing it back. */
  const store = async (issue: FakeIssue, nowMs: number) => {
    const batch = await refreshBatch(handle, runtime, [[refOf(issue)]], nowMs);
    expect(batch.refreshed).toHaveLength(1);
    return batch;
  };
  /** The case's writeback made once more, as the loser's retry makes it. */
  const writeAgain = async (caseId: number, nowMs: number) => (await runWritebacks(handle, async () => runtime, [caseId], nowMs))[0]!;
  /** The loser's retry: nothing left to send, one status comment, the case no longer pending. */
  const expectRetryChangesNothing = async (issue: FakeIssue, caseId: number, nowMs: number) => {
    const before = fake.writeCalls;
    expect(await writeAgain(caseId, nowMs)).toMatchObject({ run: { outcome: { calls: 0 } } });
    expect(fake.writeCalls).toBe(before);
    expect(ourComments(issue)).toHaveLength(1);
    expect(await listWritebackPending(handle.db)).not.toContain(caseId);
  };
  const isPutBack = (result: Result | undefined) => result !== undefined && 'error' in result && result.error instanceof RetryJobLaterError && !result.error.countsAsAttempt;

  beforeAll(async () => {
    const world = new FakeWorld();
    world.user('customer-1', 'NONE');
    world.addRepo(REPO, ['P1', 'P3']);
    fake = await startFakeGithub({ world });
    handle = await backend.open();
    other = handle.kind === 'postgres' ? await openDatabase({ url: handle.url, maxConnections: 2 }) : handle;
    await applyConfig(handle, {
      policies: { p: { severities: { S1: { firstResponseMinutes: 60, resolutionMinutes: 600 }, S3: { firstResponseMinutes: 240, resolutionMinutes: 1440 } }, defaultSeverity: 'S3' } },
      connections: {
        gh: { source: 'github', policy: 'p', rateLimit: { concurrency: 8, perSecond: 1000 }, config: { baseUrl: fake.url, token: 'env:WL_TOKEN', repositories: [REPO], severityLabels: { P1: 'S1', P3: 'S3' } } },
      },
    });
    runtime = await loadConnectionRuntime(handle.db, 'gh', { env });
    otherRuntime = await loadConnectionRuntime(other.db, 'gh', { env });
    connectionId = runtime.connection.id;
    // No retry of a writeback job: a lease conflict counted as a failure would dead-letter it.
    queue = queueFor(handle, { schema, pollingIntervalSeconds: 0.5, retry: { writeback: { retryLimit: 0, retryDelay: 1 } } });
    await queue.start();
    await startWorkers({ handle, queue, runtime: { env } });
  }, 120_000);

  afterAll(async () => {
    if (other && other !== handle) await other.close();
    await stopWorkerHarness({ queue, handle, schema, fake });
  });

  it('two writeback jobs of a never-written case at once: one status comment, the loser put back finds nothing to change', async () => {
    const issue = newIssue('Checkout is down');
    const nowMs = Date.now();
    const { page } = await store(issue, nowMs);
    const caseId = page.caseIds[0]!;
    // Both listings of the issue's comments answer late: without the lease, both would find none.
    fake.setFaultTiming({ slowMs: 300 });
    fake.injectFault('slow', 2, (r) => r.operationId === 'issues/list-comments');

    const [first, second] = await Promise.all([
      runWritebacks(handle, async () => runtime, [caseId], nowMs),
      runWritebacks(other, async () => otherRuntime, [caseId], nowMs),
    ]);
    expect(ourComments(issue)).toHaveLength(1);
    expect(issue.labels.filter((l) => l === 'sla: breached')).toHaveLength(1);
    const results = [first[0], second[0]];
    const winner = results.find((r) => r !== undefined && 'run' in r);
    expect(winner).toMatchObject({ run: { outcome: { actions: expect.arrayContaining(['label +sla: breached', 'comment created']) } } });
    expect(results.filter(isPutBack)).toHaveLength(1);
    expect(await leaseOf(caseId)).toBeNull();

    await expectRetryChangesNothing(issue, caseId, nowMs);
    expect((await listWritebackLog(handle.db, { caseId })).map((l) => l.outcome)).toEqual(['ok']);
  });

  it("a refresh's own writeback and a writeback job at once: one status comment, the loser retried finds nothing to change", async () => {
    const issue = newIssue('Payments fail');
    const nowMs = Date.now();
    const { page, refreshed } = await store(issue, nowMs);
    const caseId = page.caseIds[0]!;
    fake.setFaultTiming({ slowMs: 300 });
    fake.injectFault('slow', 1, (r) => r.operationId === 'issues/list-comments');

    const [inline, [job]] = await Promise.all([
      writebackRefreshed(handle, runtime, refreshed, nowMs),
      runWritebacks(other, async () => otherRuntime, [caseId], nowMs),
    ]);
    expect(ourComments(issue)).toHaveLength(1);
    expect(issue.labels.filter((l) => l === 'sla: breached')).toHaveLength(1);
    const results = [inline.get(caseId), job];
    expect(results.filter((r) => r !== undefined && 'run' in r)).toHaveLength(1);
    // The refresh's loser is an error (enqueueWritebackRetries queues its writeback job), the job's
    // one a put-back: either way, retried later without counting as a failure.
    expect(results.filter(isPutBack)).toHaveLength(1);
    expect(await leaseOf(caseId)).toBeNull();

    await expectRetryChangesNothing(issue, caseId, nowMs);
  });

  it('a lease its holder died with (run out) does not block; one still running does, and sends nothing', async () => {
    const issue = newIssue('Login loops');
    const nowMs = Date.now();
    const { page } = await store(issue, nowMs);
    const caseId = page.caseIds[0]!;

    await handle.db.update(cases).set({ writebackLeaseUntil: sql`now() + interval '1 minute'` }).where(eq(cases.id, caseId));
    const before = fake.writeCalls;
    const held = await writeAgain(caseId, nowMs);
    expect(isPutBack(held)).toBe(true);
    expect((held as { error: RetryJobLaterError }).error.retryAfterMs).toBeLessThanOrEqual(5_000);
    expect(fake.writeCalls).toBe(before);
    // Still to be brought in line: flagged until a writeback is really done.
    expect(await listWritebackPending(handle.db)).toContain(caseId);

    await handle.db.update(cases).set({ writebackLeaseUntil: sql`now() - interval '1 minute'` }).where(eq(cases.id, caseId));
    expect(await writeAgain(caseId, nowMs)).toMatchObject({ run: { outcome: { actions: expect.arrayContaining(['comment created']) } } });
    expect(ourComments(issue)).toHaveLength(1);
    expect(await leaseOf(caseId)).toBeNull();
    expect(await listWritebackPending(handle.db)).not.toContain(caseId);
  });

  it("a refresh takes the writeback lease in its store's transaction: a case held elsewhere is stored, not leased, and its writeback waits", async () => {
    const issue = newIssue('Search is slow');
    const nowMs = Date.now();
    const { page } = await store(issue, nowMs);
    const caseId = page.caseIds[0]!;
    const free = newIssue('Invoices are late');

    // Another writeback holds the first case; the second is free.
    await handle.db.update(cases).set({ writebackLeaseUntil: sql`now() + interval '1 minute'` }).where(eq(cases.id, caseId));
    const batch = await refreshBatch(handle, runtime, [[refOf(issue)], [refOf(free)]], nowMs, { leaseMs: 60_000 });
    expect(batch.page.caseIds).toHaveLength(2);
    const freeId = batch.page.caseIds.find((id) => id !== caseId)!;
    expect(batch.lease?.held.has(caseId)).toBe(true);
    expect([...(batch.lease?.leased.keys() ?? [])]).toEqual([freeId]);
    expect(batch.refreshed.map((r) => r.found.stored.id)).toEqual([freeId]);
    // Committed with the store: the free case is leased until its writeback frees it.
    expect(await leaseOf(freeId)).not.toBeNull();

    const before = fake.writeCalls;
    const written = await writebackRefreshed(handle, runtime, batch.refreshed, nowMs, batch.lease);
    expect(isPutBack(written.get(caseId))).toBe(true);
    expect(written.get(freeId)).toMatchObject({ run: { outcome: { actions: expect.arrayContaining(['comment created']) } } });
    expect(ourComments(free)).toHaveLength(1);
    expect(ourComments(issue)).toHaveLength(0);
    expect(fake.writeCalls).toBeGreaterThan(before);
    expect(await leaseOf(freeId)).toBeNull();
    expect(await listWritebackPending(handle.db)).toContain(caseId);
    expect(await listWritebackPending(handle.db)).not.toContain(freeId);
    await handle.db.update(cases).set({ writebackLeaseUntil: null }).where(eq(cases.id, caseId));
  });

  it('through the workers: a writeback job and a refresh that find the case held wait for the lease, then write once, nothing dead-lettered', async () => {
    const issue = newIssue('Exports are empty');
    const { page } = await store(issue, Date.now());
    const caseId = page.caseIds[0]!;
    // Another process is writing the case back for 2 more seconds.
    await handle.db.update(cases).set({ writebackLeaseUntil: sql`now() + interval '2 seconds'` }).where(eq(cases.id, caseId));
    await queue.send('writeback', { caseId });
    await queue.send('refresh', { connectionId, refs: [refOf(issue)] });

    await waitFor('the status comment', () => (ourComments(issue).length > 0 ? true : undefined));
    await waitFor('the case settled', async () => ((await listWritebackPending(handle.db)).includes(caseId) || (await leaseOf(caseId)) !== null ? undefined : true));
    // Whatever ran after the first write found nothing to change; give a late one the time to run.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(ourComments(issue)).toHaveLength(1);
    expect(issue.labels.filter((l) => l === 'sla: breached')).toHaveLength(1);
    expect((await listWritebackLog(handle.db, { caseId })).map((l) => l.outcome)).toEqual(['ok']);
    expect(await queue.listDeadLetters()).toEqual([]);
    expect((await caseIdsByExternalId(handle.db, connectionId, [String(issue.id)])).get(String(issue.id))).toBe(caseId);
  }, 60_000);
});
