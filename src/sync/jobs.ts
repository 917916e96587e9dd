// The job handlers (issue 3, "Jobs"): what a `sla-sync worker` process does with each job kind.
// Any number of workers may run against one database; pg-boss gives each job to one of them.
import { ConnectorError } from '../connectors/types.ts';
import type { ExternalRef } from '../connectors/types.ts';
import { getCase, listWritebackPending, markWritebackPending } from '../store/cases-repo.ts';
import { listConnections } from '../store/connections-repo.ts';
import type { DatabaseHandle } from '../store/db.ts';
import type { ConnectionRuntime, RuntimeDeps } from './connection.ts';
import { loadConnectionRuntime } from './connection.ts';
import type { JobQueue } from './queue.ts';
import { PermanentJobError } from './queue.ts';
import { refreshBatch } from './refresh.ts';
import type { BreachTimer, StoredPage } from './run-sync.ts';
import { runSync } from './run-sync.ts';
import { recordSyncRun } from './sync-runs.ts';
import type { RuntimeSource } from './writeback.ts';
import { reevaluateCase, runWritebacks } from './writeback.ts';

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
 * transaction.
 */
const BATCH_SIZE = 10;

/** A vendor that refused our credentials or lost the ticket will say the same on every retry. */
function asJobError(error: unknown): unknown {
  if (error instanceof ConnectorError && ['unauthorized', 'not_found', 'misconfigured', 'bad_payload'].includes(error.code)) {
    return new PermanentJobError(error.message, error.code);
  }
  return error;
}

export async function enqueueTimers(queue: JobQueue, timers: readonly BreachTimer[]): Promise<void> {
  await queue.sendEach('breach-timer', timers.map((t) => ({ payload: { caseId: t.caseId, metric: t.metric, at: t.at }, options: { startAfter: t.at } })));
}

/** After a page or a refresh: writebacks for the touched cases and timers for their deadlines. */
export async function enqueueAfterStore(queue: JobQueue, page: StoredPage): Promise<void> {
  await queue.sendMany('writeback', page.caseIds.map((caseId) => ({ caseId })));
  await enqueueTimers(queue, page.timers);
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

  // Refresh jobs are taken in batches: one transaction stores every case of the batch.
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
          const { page, errors } = await refreshBatch(handle, runtime, indexes.map((i) => batch[i]!.payload.refs as ExternalRef[]), now());
          errors.forEach((e, k) => (outcomes[indexes[k]!] = e ? { error: asJobError(e.error) } : null));
          await enqueueAfterStore(queue, page);
        } catch (error) {
          for (const i of indexes) outcomes[i] = { error: asJobError(error) };
        }
      }
      return outcomes;
    },
    { concurrency: concurrency.refresh, batchSize: BATCH_SIZE },
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
    { concurrency: concurrency.writeback, batchSize: BATCH_SIZE },
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

