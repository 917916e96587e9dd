// Records a sync in sync_runs around the call that does it (worker job, `sla-sync sync`): a
// `running` row first, then `ok` with what it read or `failed` with the error, which is rethrown.
import { getConnection } from '../store/connections-repo.ts';
import type { Db } from '../store/db.ts';
import { finishSyncRun, startSyncRun } from '../store/sync-runs-repo.ts';

export interface SyncRunContext {
  connectionId: number;
  full?: boolean;
  /** What started it: worker, cli, admin... */
  trigger: string;
  now?: () => number;
  /** Skip (record nothing, return null) when the connection is paused or gone: the worker's rule. */
  skipIfPaused?: boolean;
}

export async function recordSyncRun<T extends { cases: number; pages: number }>(db: Db, run: SyncRunContext, sync: () => Promise<T>): Promise<T | null> {
  const now = run.now ?? Date.now;
  if (run.skipIfPaused) {
    const connection = await getConnection(db, run.connectionId);
    if (!connection?.enabled) return null;
  }
  const id = await startSyncRun(db, { connectionId: run.connectionId, mode: run.full ? 'full' : 'incremental', trigger: run.trigger, startedAt: new Date(now()) });
  try {
    const result = await sync();
    await finishSyncRun(db, id, { status: 'ok', finishedAt: new Date(now()), cases: result.cases, pages: result.pages, error: null });
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await finishSyncRun(db, id, { status: 'failed', finishedAt: new Date(now()), cases: 0, pages: 0, error: message }).catch(() => undefined);
    throw error;
  }
}
