// The job handlers (issue 3, "Jobs"): what a `sla-sync worker` process does with each job kind.
// Any number of workers may run against one database; pg-boss gives each job to one of them.
import { ConnectorError } from '../connectors/types.ts';
import type { ExternalRef } from '../connectors/types.ts';
import { getCase, listWritebackPending, markWritebackPending } from '../store/cases-repo.ts';
import { listConnections } from '../store/connections-repo.ts';
import type { DatabaseHandle } from '../store/db.ts';
import type { ConnectionRuntime, RuntimeDeps } from './connection.ts';
import { loadConnectionRuntime } from './connection.ts';
import type { Db } from '../store/db.ts';
import type { JobQueue } from './queue.ts';
import { PermanentJobError, retryAfterOf } from './queue.ts';
import { refreshBatch } from './refresh.ts';
import type { BreachTimer, StoredPage } from './run-sync.ts';
import { runSync } from './run-sync.ts';
import { recordSyncRun } from './sync-runs.ts';
import type { RuntimeSource } from './writeback.ts';
import { WRITEBACK_LEASE_MS, reevaluateCase, runWritebacks, writebackRefreshed } from './writeback.ts';

export interface WorkerDeps {
  handle: DatabaseHandle;
  queue: JobQueue;
  now?: () => number;
  runtime?: RuntimeDeps;
  /** Jobs run at once per kind in this process. */
  concurrency?: Partial<Record<'sync' | 'refresh' | 'writeback' | 'breach-timer', number>>;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * Connection runtimes cached for a short while: every job of a connection in this process shares
 * its rate limiter, and a config change is picked up within the TTL.
 */
export function runtimeCache(handle: DatabaseHandle, deps: RuntimeDeps = {}, ttlMs = 15_000, now: () => number = Date.now): RuntimeSource {
  const cache = new Map<number, { runtime: Promise<ConnectionRuntime>; loadedAt: number }>();
  return (connectionId) => {
    const hit = cache.get(connectionId);
    if (hit && now() - hit.loadedAt < ttlMs) return hit.runtime;
    const runtime = loadConnectionRuntime(handle.db, connectionId, deps);
    cache.set(connectionId, { runtime, loadedAt: now() });
    runtime.catch(() => cache.delete(connectionId));
    return runtime;
  };
}

/**
 * Jobs taken per fetch for refreshes and writebacks: a burst of webhooks is fetched and settled in
 * batches (a statement or two per batch, not per job), and a batch of refreshes is stored in one
 * transaction. Refreshes take more at once: their batch's store statements and writeback outcome
 * are shared by all of it (bench: statements per webhook 2.0 at 10, 1.3 at 25).
 */
const REFRESH_BATCH_SIZE = 25;
const WRITEBACK_BATCH_SIZE = 10;

/** A vendor that refused our credentials or lost the ticket will say the same on every retry. */
function asJobError(error: unknown): unknown {
  if (error instanceof ConnectorError && ['unauthorized', 'not_found', 'misconfigured', 'bad_payload'].includes(error.code)) {
    return new PermanentJobError(error.message, error.code);
  }
  return error;
}

export async function enqueueTimers(queue: JobQueue, timers: readonly BreachTimer[], options: { tx?: Db } = {}): Promise<void> {
  await queue.sendEach('breach-timer', timers.map((t) => ({ payload: { caseId: t.caseId, metric: t.metric, at: t.at }, options: { startAfter: t.at } })), options);
}

/**
 * Writeback jobs for the writebacks a refresh made that failed, or did not make because another
 * writeback held the case (its lease): each due after the writeback queue's first retry delay, or
 * the wait the vendor asked for when longer. From there the job's own retries (backoff,
 * Retry-After) and dead letter take over. A send that fails throws: the refresh jobs are
 * retried and make the writebacks again (meanwhile the cases stay flagged writeback_pending).
 */
export async function enqueueWritebackRetries(queue: JobQueue, written: ReadonlyMap<number, { error: unknown } | object>, nowMs = Date.now()): Promise<number> {
  const delayMs = queue.retryPolicy('writeback').retryDelay * 1000;
  const failed = [...written].flatMap(([caseId, result]) => ('error' in result ? [{ caseId, error: result.error }] : []));
  return queue.sendEach(
    'writeback',
    failed.map(({ caseId, error }) => ({ payload: { caseId }, options: { startAfter: new Date(nowMs + Math.max(delayMs, retryAfterOf(error) ?? 0)) } })),
  );
}

/** After a page or a refresh: writebacks for the touched cases and timers for their deadlines. */
export async function enqueueAfterStore(queue: JobQueue, page: StoredPage): Promise<void> {
  await queue.sendMany('writeback', page.caseIds.map((caseId) => ({ caseId })));
  await enqueueTimers(queue, page.timers);
}

/**
 * The webhook route's `enqueueRefreshes`: the refreshes of a group of deliveries queued in one
 * statement, in the route's transaction (the one recording the deliveries).
 */
export function refreshEnqueuer(queue: JobQueue): (requests: { connectionId: number; refs: ExternalRef[] }[], options: { tx: Db }) => Promise<void> {
  return async (requests, { tx }) => void (await queue.sendMany('refresh', requests.map(({ connectionId, refs }) => ({ connectionId, refs })), { tx }));
}

/** Registers every handler; resolves once the workers listen. */
export async function startWorkers(deps: WorkerDeps): Promise<void> {
  const { handle, queue } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.log ?? (() => undefined);
  const runtimes = runtimeCache(handle, deps.runtime ?? {}, 15_000, now);
  const concurrency = { sync: 1, refresh: 4, writeback: 4, 'breach-timer': 4, ...deps.concurrency };

  await queue.work(
    'sync',
    async ({ connectionId, full }) => {
      try {
        // Recorded in sync_runs for the admin page; a paused connection is skipped, unrecorded.
        const result = await recordSyncRun(handle.db, { connectionId, ...(full === undefined ? {} : { full }), trigger: 'worker', now, skipIfPaused: true }, async () =>
          runSync(handle, await runtimes(connectionId), {
            ...(full === undefined ? {} : { full }),
            now,
            onPage: (page) => enqueueAfterStore(queue, page),
          }),
        );
        if (!result) return;
        log('sync done', { connection: result.connection, cases: result.cases, pages: result.pages, changed: result.changed });
      } catch (error) {
        throw asJobError(error);
      }
    },
    { concurrency: concurrency.sync },
  );

  // Refresh jobs are taken in batches: one transaction stores every case of the batch (and queues
  // its breach timers), then the batch's writebacks are made at once, in this job: one job cycle per
  // webhook. A writeback that fails (or finds its case held by another writeback) is retried by a
  // writeback job, queued here, with the job's backoff and dead letter; until it is done its case
  // stays flagged writeback_pending.
  await queue.workBatch(
    'refresh',
    async (batch) => {
      const outcomes: ({ error: unknown } | null)[] = batch.map(() => null);
      const byConnection = new Map<number, number[]>();
      batch.forEach(({ payload }, i) => byConnection.set(payload.connectionId, [...(byConnection.get(payload.connectionId) ?? []), i]));
      for (const [connectionId, indexes] of byConnection) {
        try {
          const runtime = await runtimes(connectionId);
          if (!runtime.connection.enabled) continue;
          const nowMs = now();
          // The cases' writeback leases are taken in the store's transaction (no statement more).
          const { errors, refreshed, lease } = await refreshBatch(handle, runtime, indexes.map((i) => batch[i]!.payload.refs as ExternalRef[]), nowMs, {
            inTransaction: (tx, page) => enqueueTimers(queue, page.timers, { tx }),
            leaseMs: WRITEBACK_LEASE_MS,
          });
          errors.forEach((e, k) => (outcomes[indexes[k]!] = e ? { error: asJobError(e.error) } : null));
          const written = await writebackRefreshed(handle, runtime, refreshed, nowMs, lease);
          await enqueueWritebackRetries(queue, written);
        } catch (error) {
          for (const i of indexes) outcomes[i] = { error: asJobError(error) };
        }
      }
      return outcomes;
    },
    { concurrency: concurrency.refresh, batchSize: REFRESH_BATCH_SIZE },
  );

  // Writeback jobs are taken in batches too: the store is read and written once per batch, the
  // vendor calls of the batch go out at once.
  await queue.workBatch(
    'writeback',
    async (batch) => {
      const results = await runWritebacks(handle, runtimes, batch.map(({ payload }) => payload.caseId), now());
      await enqueueTimers(queue, results.flatMap((r) => ('run' in r ? r.run.timers : [])));
      return results.map((r) => ('error' in r ? { error: asJobError(r.error) } : null));
    },
    { concurrency: concurrency.writeback, batchSize: WRITEBACK_BATCH_SIZE },
  );

  await queue.work(
    'breach-timer',
    async ({ caseId }) => {
      try {
        const found = await getCase(handle.db, caseId);
        if (!found) return;
        const runtime = await runtimes(found.connectionId);
        const current = await reevaluateCase(handle, runtime, caseId, now());
        if (!current) return;
        // The label flips now, at the minute the metric crossed, even if the ticket never changed.
        await markWritebackPending(handle.db, [caseId], true);
        await queue.send('writeback', { caseId });
        await enqueueTimers(queue, current.timers);
      } catch (error) {
        throw asJobError(error);
      }
    },
    { concurrency: concurrency['breach-timer'] },
  );
}

/**
 * At worker start: writebacks a crash left pending get their jobs again, and every enabled
 * connection has its scheduled sync.
 */
export async function reconcile(handle: DatabaseHandle, queue: JobQueue): Promise<{ pending: number; scheduled: number }> {
  const pending = await listWritebackPending(handle.db);
  await queue.sendMany('writeback', pending.map((caseId) => ({ caseId })));
  let scheduled = 0;
  for (const connection of await listConnections(handle.db)) {
    if (connection.enabled) {
      await queue.scheduleSync(connection.id, connection.syncIntervalMinutes);
      scheduled++;
    } else {
      await queue.unscheduleSync(connection.id);
    }
  }
  return { pending: pending.length, scheduled };
}

