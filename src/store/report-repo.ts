// Compliance counts (issue 6, Reports) from the stored metric states alone: metric_states carries
// copies of its case's connection, policy and customer (kept by triggers, migration 0002), so the
// metrics completed in a period and the open ones are each one index-only range scan of
// metric_states_report_idx, grouped by ids; the few connections and customers are named here, not
// joined per row. src/sync/report.ts turns the counts into rows with core's own rules
// (complianceFromCounts). The lists join cases for the few rows they show.
import { and, eq, gte, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { MetricName, Severity } from '../core/types.ts';
import { METRICS } from '../core/types.ts';
import type { Db } from './db.ts';
import { cases, connections, customers, metricStates } from './schema/index.ts';

export const REPORT_GROUPS = ['severity', 'source', 'connection', 'customer'] as const;
export type ReportGroupBy = (typeof REPORT_GROUPS)[number];

/** The group of cases that no customer recognised (issue 7), when grouping by customer. */
export const NO_CUSTOMER = '(no customer)';

/** Narrows a report to one policy's cases and/or one customer's (the customer SLA page). */
export interface CaseFilter {
  /** The case's policy, else its connection's default. */
  policyId?: number;
  customerId?: number;
}

export interface CountsQuery extends CaseFilter {
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

/** WHERE terms of a CaseFilter on metric_states' copies of the case's columns (none when it is empty). */
function caseFilter(filter: CaseFilter): SQL[] {
  const terms: SQL[] = [];
  if (filter.policyId !== undefined) {
    // The case's own policy, or none and its connection's default.
    const byConnection = sql`${metricStates.connectionId} in (select ${connections.id} from ${connections} where ${connections.policyId} = ${filter.policyId})`;
    terms.push(or(eq(metricStates.policyId, filter.policyId), and(isNull(metricStates.policyId), byConnection))!);
  }
  if (filter.customerId !== undefined) terms.push(eq(metricStates.customerId, filter.customerId));
  return terms;
}

const metricsOf = (metric: MetricName | undefined) => inArray(metricStates.metric, metric === undefined ? [...METRICS] : [metric]);
const countWhere = (condition: SQL) => sql<number>`count(*) filter (where ${condition})`.mapWith(Number);

/** Counts per metric, severity and the case's connection, policy and customer ids. */
interface IdCounts {
  key: string;
  metric: MetricName;
  severity: Severity;
  connectionId: number | null;
  policyId: number | null;
  customerId: number | null;
  completed: number;
  met: number;
  openBreached: number;
  openAtRisk: number;
}

/** `key`: one more grouping expression (the trend's bucket); a constant cannot be grouped by in Postgres. */
async function countByIds(db: Db, where: SQL | undefined, key?: SQL<string>): Promise<IdCounts[]> {
  const rows = await db
    .select({
      key: key ?? sql<string>`''`,
      metric: metricStates.metric,
      severity: metricStates.severity,
      connectionId: metricStates.connectionId,
      policyId: metricStates.policyId,
      customerId: metricStates.customerId,
      completed: countWhere(sql`${metricStates.completedAt} is not null`),
      met: countWhere(sql`${metricStates.completedAt} is not null and ${metricStates.state} = 'met'`),
      openBreached: countWhere(sql`${metricStates.completedAt} is null and ${metricStates.state} = 'breached'`),
      openAtRisk: countWhere(sql`${metricStates.completedAt} is null and ${metricStates.state} = 'at_risk'`),
    })
    .from(metricStates)
    .where(where)
    .groupBy(...(key ? [key] : []), metricStates.metric, metricStates.severity, metricStates.connectionId, metricStates.policyId, metricStates.customerId);
  return rows.map((r) => ({ ...r, key: String(r.key) }));
}

interface GroupNames {
  conns: Map<number, { id: number; name: string; source: string; policyId: number | null }>;
  names: Map<number, string>;
}

/** Connections (name, source, default policy) and customers' names by id. */
async function groupNames(db: Db): Promise<GroupNames> {
  const [conns, custs] = await Promise.all([
    db.select({ id: connections.id, name: connections.name, source: connections.source, policyId: connections.policyId }).from(connections),
    db.select({ id: customers.id, name: customers.name }).from(customers),
  ]);
  return { conns: new Map(conns.map((c) => [c.id, c])), names: new Map(custs.map((c) => [c.id, c.name])) };
}

/** Sums id counts into PolicyCounts per named group, with each case's effective policy. */
function nameGroups({ conns, names }: GroupNames, counts: readonly IdCounts[], groupOf: (c: IdCounts, conn: { name: string; source: string } | undefined, customer: string | undefined) => string): PolicyCounts[] {
  const out = new Map<string, PolicyCounts>();
  for (const c of counts) {
    const conn = c.connectionId === null ? undefined : conns.get(c.connectionId);
    const policyId = c.policyId ?? conn?.policyId ?? null;
    const group = groupOf(c, conn, c.customerId === null ? undefined : names.get(c.customerId));
    const k = `${group}\u0000${c.metric}\u0000${c.severity}\u0000${policyId}`;
    let sum = out.get(k);
    if (!sum) out.set(k, (sum = { group, metric: c.metric, severity: c.severity, policyId, completed: 0, met: 0, openBreached: 0, openAtRisk: 0 }));
    sum.completed += c.completed;
    sum.met += c.met;
    sum.openBreached += c.openBreached;
    sum.openAtRisk += c.openAtRisk;
  }
  return [...out.values()];
}

export async function compliancePolicyCounts(db: Db, query: CountsQuery): Promise<PolicyCounts[]> {
  const filter = caseFilter(query);
  // Two range scans rather than one OR, which no index bounds: completed in the period, and open.
  // Every open metric, running ones too: a group with open cases only still has its row (as in
  // core's computeCompliance), with nothing completed. On Postgres the two scans and the name
  // lookups run at once, each on a connection of the pool (PGlite takes them in turn).
  const [done, open, names] = await Promise.all([
    countByIds(db, and(metricsOf(query.metric), gte(metricStates.completedAt, query.from), lt(metricStates.completedAt, query.to), ...filter)),
    countByIds(db, and(metricsOf(query.metric), isNull(metricStates.completedAt), ...filter)),
    groupNames(db),
  ]);
  return nameGroups(names, [...done, ...open], (_c, conn, customer) => {
    switch (query.groupBy) {
      case 'severity':
        return '';
      case 'source':
        return conn?.source ?? '';
      case 'connection':
        return conn?.name ?? '';
      case 'customer':
        return customer ?? NO_CUSTOMER;
    }
  });
}

export const TREND_BUCKETS = ['week', 'month'] as const;
export type TrendBucket = (typeof TREND_BUCKETS)[number];

export interface TrendCountsQuery extends CaseFilter {
  from: Date;
  to: Date;
  bucket: TrendBucket;
  metric?: MetricName;
}

/**
 * Counts per bucket (week from Monday 00:00 UTC, as Postgres' date_trunc does, or calendar month
 * in UTC) of the metrics completed in [from, to): `group` is the bucket's start in epoch ms.
 */
export async function trendPolicyCounts(db: Db, query: TrendCountsQuery): Promise<PolicyCounts[]> {
  // The unit is inlined from a closed list, so the select list and GROUP BY are one expression.
  const bucket = sql<string>`extract(epoch from date_trunc(${sql.raw(`'${query.bucket}'`)}, ${metricStates.completedAt} at time zone 'UTC'))::bigint`;
  const [counts, names] = await Promise.all([
    countByIds(db, and(metricsOf(query.metric), gte(metricStates.completedAt, query.from), lt(metricStates.completedAt, query.to), ...caseFilter(query)), bucket),
    groupNames(db),
  ]);
  return nameGroups(names, counts, (c) => String(Number(c.key) * 1000));
}

/** One metric of one case, with what a manager needs to find the ticket and ask why. */
export interface CaseMetricRow {
  caseId: number;
  connection: string;
  source: string;
  externalKey: string;
  title: string;
  url: string;
  customer: string | null;
  status: string;
  metric: MetricName;
  state: string;
  severity: Severity;
  dueAt: Date | null;
  atRiskAt: Date | null;
  breachedAt: Date | null;
  completedAt: Date | null;
}

export interface Page<T> {
  total: number;
  rows: T[];
}

export interface ListQuery extends CaseFilter {
  limit: number;
  offset: number;
}

async function caseMetricPage(db: Db, where: SQL | undefined, order: (SQL | PgColumn)[], query: ListQuery): Promise<Page<CaseMetricRow>> {
  const [counted] = await db.select({ total: sql<number>`count(*)`.mapWith(Number) }).from(metricStates).where(where);
  const rows = await db
    .select({
      caseId: cases.id,
      connection: connections.name,
      source: sql<string>`${connections.source}::text`,
      externalKey: cases.externalKey,
      title: cases.title,
      url: cases.url,
      customer: customers.name,
      status: sql<string>`${cases.status}::text`,
      metric: metricStates.metric,
      state: sql<string>`${metricStates.state}::text`,
      severity: metricStates.severity,
      dueAt: metricStates.dueAt,
      atRiskAt: metricStates.atRiskAt,
      breachedAt: metricStates.breachedAt,
      completedAt: metricStates.completedAt,
    })
    .from(metricStates)
    .innerJoin(cases, eq(cases.id, metricStates.caseId))
    .innerJoin(connections, eq(connections.id, cases.connectionId))
    .leftJoin(customers, eq(customers.id, cases.customerId))
    .where(where)
    .orderBy(...order)
    .limit(query.limit)
    .offset(query.offset);
  return { total: counted?.total ?? 0, rows };
}

/**
 * The breaches behind a compliance report's `breached` counts: metrics completed in [from, to)
 * that missed their target, latest completion first.
 */
export async function listCompletedBreaches(db: Db, query: ListQuery & { from: Date; to: Date }): Promise<Page<CaseMetricRow>> {
  const where = and(
    inArray(metricStates.metric, [...METRICS]),
    gte(metricStates.completedAt, query.from),
    lt(metricStates.completedAt, query.to),
    eq(metricStates.state, 'breached'),
    ...caseFilter(query),
  );
  return caseMetricPage(db, where, [sql`${metricStates.completedAt} desc`, cases.id, metricStates.metric], query);
}

/**
 * Open metrics already breached or at risk at their last evaluation (the report's openBreached and
 * openAtRisk counts): breached first, then by due time, the most urgent on top.
 */
export async function listOpenBreachedOrAtRisk(db: Db, query: ListQuery): Promise<Page<CaseMetricRow>> {
  const where = and(inArray(metricStates.state, ['breached', 'at_risk']), isNull(metricStates.completedAt), ...caseFilter(query));
  return caseMetricPage(db, where, [sql`${metricStates.state} = 'at_risk'`, sql`${metricStates.dueAt} asc nulls last`, cases.id, metricStates.metric], query);
}
