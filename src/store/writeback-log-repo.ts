import { and, desc, eq } from 'drizzle-orm';
import type { Db } from './db.ts';
import { toIsoInstant } from './instants.ts';
import type { WritebackOutcome } from './schema/index.ts';
import { writebackLog } from './schema/index.ts';

export interface WritebackLogInput {
  connectionId: number;
  /** null for a connection-level action. */
  caseId: number | null;
  /** What was done, e.g. `labels`, `comment`, `field`. */
  action: string;
  /** What was sent (JSON); never secrets. */
  payload: unknown;
  outcome: WritebackOutcome;
  error?: string | null;
}

export interface WritebackLogEntry extends Required<WritebackLogInput> {
  id: number;
  createdAt: string;
}

export async function appendWritebackLog(db: Db, entry: WritebackLogInput): Promise<WritebackLogEntry> {
  const [row] = await db
    .insert(writebackLog)
    .values({ ...entry, error: entry.error ?? null })
    .returning();
  return toEntry(row!);
}

/** Appends many entries in one statement (a batch of writeback jobs). */
export async function appendWritebackLogs(db: Db, entries: readonly WritebackLogInput[]): Promise<void> {
  if (entries.length === 0) return;
  await db.insert(writebackLog).values(entries.map((entry) => ({ ...entry, error: entry.error ?? null })));
}

/** Newest first; filtered by case and/or connection. */
export async function listWritebackLog(
  db: Db,
  filter: { caseId?: number; connectionId?: number; limit?: number } = {},
): Promise<WritebackLogEntry[]> {
  const rows = await db
    .select()
    .from(writebackLog)
    .where(
      and(
        filter.caseId === undefined ? undefined : eq(writebackLog.caseId, filter.caseId),
        filter.connectionId === undefined ? undefined : eq(writebackLog.connectionId, filter.connectionId),
      ),
    )
    .orderBy(desc(writebackLog.id))
    .limit(filter.limit ?? 100);
  return rows.map(toEntry);
}

function toEntry(row: typeof writebackLog.$inferSelect): WritebackLogEntry {
  return {
    id: row.id,
    connectionId: row.connectionId,
    caseId: row.caseId,
    action: row.action,
    payload: row.payload,
    outcome: row.outcome,
    error: row.error,
    createdAt: toIsoInstant(row.createdAt),
  };
}
