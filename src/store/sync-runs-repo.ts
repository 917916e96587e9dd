// Each sync of a connection (issue 6, admin page): a row when it starts, finished with its outcome.
import { and, desc, eq, gte, sql } from 'drizzle-orm';
import type { Db } from './db.ts';
import { toIsoInstant, toIsoInstantOrNull } from './instants.ts';
import { syncRuns } from './schema/index.ts';

export type SyncRunStatus = 'running' | 'ok' | 'failed';

export interface SyncRun {
  id: number;
  connectionId: number;
  mode: 'full' | 'incremental';
  trigger: string;
  startedAt: string;
  finishedAt: string | null;
  status: SyncRunStatus;
  cases: number;
  pages: number;
  error: string | null;
}

export async function startSyncRun(db: Db, input: { connectionId: number; mode: 'full' | 'incremental'; trigger: string; startedAt: Date }): Promise<number> {
  const [row] = await db.insert(syncRuns).values({ ...input, status: 'running' }).returning({ id: syncRuns.id });
  return row!.id;
}

export async function finishSyncRun(
  db: Db,
  id: number,
  outcome: { status: 'ok' | 'failed'; finishedAt: Date; cases: number; pages: number; error: string | null },
): Promise<void> {
  await db.update(syncRuns).set(outcome).where(eq(syncRuns.id, id));
}

/** The latest run of every connection that has one, by connection id. */
export async function latestSyncRuns(db: Db): Promise<Map<number, SyncRun>> {
  const rows = await db
    .selectDistinctOn([syncRuns.connectionId])
    .from(syncRuns)
    .orderBy(syncRuns.connectionId, desc(syncRuns.startedAt), desc(syncRuns.id));
  return new Map(rows.map((r) => [r.connectionId, toSyncRun(r)]));
}

/** A connection's runs, newest first. */
export async function listSyncRuns(db: Db, connectionId: number, limit = 20): Promise<SyncRun[]> {
  const rows = await db.select().from(syncRuns).where(eq(syncRuns.connectionId, connectionId)).orderBy(desc(syncRuns.startedAt), desc(syncRuns.id)).limit(limit);
  return rows.map(toSyncRun);
}

/** How many runs ended failed since an instant (the admin overview's warning). */
export async function countFailedSyncRuns(db: Db, since: Date): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(syncRuns).where(and(eq(syncRuns.status, 'failed'), gte(syncRuns.startedAt, since)));
  return row?.n ?? 0;
}

function toSyncRun(row: typeof syncRuns.$inferSelect): SyncRun {
  return { ...row, startedAt: toIsoInstant(row.startedAt), finishedAt: toIsoInstantOrNull(row.finishedAt) };
}
