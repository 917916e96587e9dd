import { and, desc, eq, sql } from 'drizzle-orm';
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

/** What a writeback did to one case's row: the state to remember and its pending flag. */
export interface WritebackCaseResult {
  caseId: number;
  /** What the connector wrote (null: keep the stored one). */
  state: Record<string, unknown> | null;
  /**
   * writeback_pending afterwards: true (to be done again), false (done), null (left as it is).
   * false with `ifUpdatedAt` clears it only while the case is still the version written back from,
   * so a newer version stored meanwhile (a sync) stays flagged for its own writeback.
   */
  pending: boolean | null;
  ifUpdatedAt?: string | null;
}

/**
 * The outcome of a batch of writebacks in ONE statement: each case's writeback state and pending
 * flag, and the writeback log entries (rather than a statement for each of the three). With
 * `releaseLease` (leaseCasesForWriteback's `until`), every case of `results` has its writeback
 * lease freed in the same statement, if it is still that one.
 */
export async function saveWritebackResults(
  db: Db,
  results: readonly WritebackCaseResult[],
  logs: readonly WritebackLogInput[],
  { releaseLease = null }: { releaseLease?: Date | null } = {},
): Promise<void> {
  const rows = results
    .filter((r) => r.state !== null || r.pending !== null || releaseLease !== null)
    .map((r) => ({ case_id: r.caseId, state: r.state, pending: r.pending, if_updated_at: r.ifUpdatedAt ?? null }));
  if (rows.length === 0 && logs.length === 0) return;
  const entries = logs.map((l) => ({ connection_id: l.connectionId, case_id: l.caseId, action: l.action, payload: l.payload ?? null, outcome: l.outcome, error: l.error ?? null }));
  await db.execute(sql`
    with saved as (
      update cases set
        writeback_state = coalesce(r.state, cases.writeback_state),
        writeback_pending = case
          when r.pending is null then cases.writeback_pending
          when r.pending then true
          when r.if_updated_at is null or cases.updated_at = r.if_updated_at then false
          else cases.writeback_pending
        end,
        writeback_lease_until = case
          when cases.writeback_lease_until = ${releaseLease?.toISOString() ?? null}::timestamptz then null
          else cases.writeback_lease_until
        end
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(case_id integer, state jsonb, pending boolean, if_updated_at timestamptz)
      where cases.id = r.case_id
      returning cases.id
    ), logged as (
      insert into writeback_log (connection_id, case_id, action, payload, outcome, error)
      select connection_id, case_id, action, coalesce(payload, 'null'::jsonb), outcome, error
      from jsonb_to_recordset(${JSON.stringify(entries)}::jsonb) as l(connection_id integer, case_id integer, action text, payload jsonb, outcome writeback_outcome, error text)
      returning id
    )
    select (select count(*) from saved) as saved, (select count(*) from logged) as logged`);
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
