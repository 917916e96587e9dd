import { eq, sql } from 'drizzle-orm';
import type { Db } from './db.ts';
import { toDate, toIsoInstant, toIsoInstantOrNull } from './instants.ts';
import { syncCursors } from './schema/index.ts';

export interface SyncCursor {
  /** Where the next incremental sync resumes; null = from the start. */
  cursor: string | null;
  updatedAt: string;
  lastRunAt: string | null;
  lastError: string | null;
}

export async function getSyncCursor(db: Db, connectionId: number): Promise<SyncCursor | null> {
  const [row] = await db.select().from(syncCursors).where(eq(syncCursors.connectionId, connectionId));
  if (!row) return null;
  return {
    cursor: row.cursor,
    updatedAt: toIsoInstant(row.updatedAt),
    lastRunAt: toIsoInstantOrNull(row.lastRunAt),
    lastError: row.lastError,
  };
}

/**
 * Moves the connection's cursor. Call it in the transaction that stores the page the cursor
 * covers (STYLE habit 5): a crash then repeats at most that page.
 */
export async function saveSyncCursor(tx: Db, connectionId: number, cursor: string | null): Promise<void> {
  await tx
    .insert(syncCursors)
    .values({ connectionId, cursor })
    .onConflictDoUpdate({ target: syncCursors.connectionId, set: { cursor, updatedAt: sql`now()` } });
}

/** Records the end of a sync run; `error` null for a clean run. Leaves the cursor as it is. */
export async function recordSyncRun(db: Db, connectionId: number, ranAt: string, error: string | null): Promise<void> {
  const lastRunAt = toDate(ranAt);
  await db
    .insert(syncCursors)
    .values({ connectionId, cursor: null, lastRunAt, lastError: error })
    .onConflictDoUpdate({ target: syncCursors.connectionId, set: { lastRunAt, lastError: error } });
}
