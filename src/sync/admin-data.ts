// What the admin pages show beside the configuration: the raw priorities seen in synced cases, case
// counts per connection, and the cases of a connection with their current SLA state. Read-only.
import { and, asc, eq, sql } from 'drizzle-orm';
import type { MetricStateName, Severity } from '../core/types.ts';
import type { Db } from '../store/db.ts';
import { cases, metricStates } from '../store/schema/index.ts';

/** Raw priorities of a connection's cases (null: none), with how many cases carry each, most first. */
export async function rawPrioritiesSeen(db: Db, connectionId: number): Promise<{ rawPriority: string | null; cases: number }[]> {
  return db
    .select({ rawPriority: cases.rawPriority, cases: sql<number>`count(*)::int` })
    .from(cases)
    .where(eq(cases.connectionId, connectionId))
    .groupBy(cases.rawPriority)
    .orderBy(sql`count(*) desc`, asc(cases.rawPriority));
}

export async function caseCountsByConnection(db: Db): Promise<Map<number, { cases: number; pending: number }>> {
  const rows = await db
    .select({ id: cases.connectionId, cases: sql<number>`count(*)::int`, pending: sql<number>`count(*) filter (where ${cases.writebackPending})::int` })
    .from(cases)
    .groupBy(cases.connectionId);
  return new Map(rows.map((r) => [r.id, { cases: r.cases, pending: r.pending }]));
}

export interface CaseSlaRow {
  id: number;
  externalKey: string;
  url: string;
  title: string;
  rawPriority: string | null;
  /** Severity the resolution is measured against (null before the first evaluation). */
  severity: Severity | null;
  firstResponse: MetricStateName | null;
  resolution: MetricStateName | null;
  writebackPending: boolean;
}

/** A connection's cases with their stored states, newest first (at most limit). */
export async function listCaseSla(db: Db, connectionId: number, limit = 50): Promise<CaseSlaRow[]> {
  const fr = sql`(select state from metric_states m where m.case_id = ${cases.id} and m.metric = 'firstResponse')`;
  const rows = await db
    .select({
      id: cases.id,
      externalKey: cases.externalKey,
      url: cases.url,
      title: cases.title,
      rawPriority: cases.rawPriority,
      severity: metricStates.severity,
      firstResponse: sql<MetricStateName | null>`${fr}`,
      resolution: metricStates.state,
      writebackPending: cases.writebackPending,
    })
    .from(cases)
    .leftJoin(metricStates, and(eq(metricStates.caseId, cases.id), eq(metricStates.metric, 'resolution')))
    .where(eq(cases.connectionId, connectionId))
    .orderBy(sql`${cases.createdAt} desc`, sql`${cases.id} desc`)
    .limit(limit);
  return rows;
}
