// Compliance counts (issue 6, Reports) in one GROUP BY over the stored metric states: only the
// metrics completed in the period or still open are read (metric_states_metric_completed_idx), and
// src/sync/report.ts turns the counts into rows with core's own rules (complianceFromCounts).
import { and, eq, gte, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { MetricName, Severity } from '../core/types.ts';
import { METRICS } from '../core/types.ts';
import type { Db } from './db.ts';
import { cases, connections, customers, metricStates } from './schema/index.ts';

export const REPORT_GROUPS = ['severity', 'source', 'connection', 'customer'] as const;
export type ReportGroupBy = (typeof REPORT_GROUPS)[number];

/** The group of cases that no customer recognised (issue 7), when grouping by customer. */
export const NO_CUSTOMER = '(no customer)';

export interface CountsQuery {
  from: Date;
  to: Date;
  groupBy: ReportGroupBy;
  metric?: MetricName;
}

/** Counts of one group, metric, severity and policy (whose objective src/sync looks up). */
export interface PolicyCounts {
  group: string;
  metric: MetricName;
  severity: Severity;
  /** The case's policy, else its connection's default; null when neither is known (objective 100). */
  policyId: number | null;
  completed: number;
  met: number;
  openBreached: number;
  openAtRisk: number;
}

const countWhere = (condition: SQL) => sql<number>`count(*) filter (where ${condition})`.mapWith(Number);

export async function compliancePolicyCounts(db: Db, query: CountsQuery): Promise<PolicyCounts[]> {
  const done = sql`${metricStates.completedAt} is not null`;
  const open = sql`${metricStates.completedAt} is null`;
  // Null: cases no customer recognised (named NO_CUSTOMER below, not in SQL, where a bound
  // parameter in both the select list and GROUP BY would be two different expressions).
  const groupKey: SQL<string | null> | null = {
    severity: null,
    source: sql<string>`${connections.source}::text`,
    connection: sql<string>`${connections.name}`,
    customer: sql<string | null>`${customers.name}`,
  }[query.groupBy];
  const policyId = sql<number | null>`coalesce(${cases.policyId}, ${connections.policyId})`;
  const period = or(and(gte(metricStates.completedAt, query.from), lt(metricStates.completedAt, query.to)), isNull(metricStates.completedAt));
  const q = db
    .select({
      group: groupKey ?? sql<string | null>`''`,
      metric: metricStates.metric,
      severity: metricStates.severity,
      policyId,
      completed: countWhere(done),
      met: countWhere(sql`${done} and ${metricStates.state} = 'met'`),
      openBreached: countWhere(sql`${open} and ${metricStates.state} = 'breached'`),
      openAtRisk: countWhere(sql`${open} and ${metricStates.state} = 'at_risk'`),
    })
    .from(metricStates)
    .innerJoin(cases, eq(cases.id, metricStates.caseId))
    .innerJoin(connections, eq(connections.id, cases.connectionId))
    .$dynamic();
  if (query.groupBy === 'customer') q.leftJoin(customers, eq(customers.id, cases.customerId));
  const rows = await q
    // The metric named even when it is both: the index's leading column then bounds the scan.
    .where(and(inArray(metricStates.metric, query.metric === undefined ? [...METRICS] : [query.metric]), period))
    // A constant cannot be grouped by in Postgres: "by severity" leaves the group key out.
    .groupBy(...(groupKey ? [groupKey] : []), metricStates.metric, metricStates.severity, policyId);
  return rows.map((r) => ({ ...r, group: r.group ?? NO_CUSTOMER, policyId: r.policyId === null ? null : Number(r.policyId) }));
}
