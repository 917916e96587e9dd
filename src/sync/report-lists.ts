// The report's case lists (issue 6: "the list of breaches with links to the source tickets, open
// cases already breached or at risk"). Breaches are the metrics behind the compliance report's
// `breached` counts (completed in the period, target missed); the open list is behind its
// `openBreached` and `openAtRisk` counts (stored states, whatever the period). Each row links to the
// ticket in its tool and to the explain API (issue 7), which says why.
import { z } from 'zod';
import { formatInstant } from '../core/metrics.ts';
import type { MetricName, Severity } from '../core/types.ts';
import type { Validated } from '../core/validate.ts';
import { validateWith } from '../core/validate.ts';
import type { Db } from '../store/db.ts';
import { toIsoInstantOrNull } from '../store/instants.ts';
import type { CaseFilter, CaseMetricRow, Page } from '../store/report-repo.ts';
import { listCompletedBreaches, listOpenBreachedOrAtRisk } from '../store/report-repo.ts';
import { toCsv } from './report-csv.ts';
import { periodFields } from './report.ts';

export const DEFAULT_LIST_LIMIT = 500;
export const MAX_LIST_LIMIT = 10_000;

export interface ListQuery {
  limit: number;
  offset: number;
  filter?: CaseFilter;
}

export interface BreachQuery extends ListQuery {
  fromMs: number;
  toMs: number;
}

export interface CaseMetricItem {
  caseId: number;
  connection: string;
  source: string;
  key: string;
  title: string;
  /** The ticket in its own tool. */
  url: string;
  /** Why it has this SLA, clock by clock: GET /api/cases/:id/explain. */
  explainUrl: string;
  customer: string | null;
  status: string;
  metric: MetricName;
  state: string;
  severity: Severity;
  dueAt: string | null;
  atRiskAt: string | null;
  breachedAt: string | null;
  completedAt: string | null;
}

export interface CaseList {
  /** The period of a breach list; absent for the open list (current states). */
  from?: string;
  to?: string;
  total: number;
  limit: number;
  offset: number;
  rows: CaseMetricItem[];
}

const paging = {
  limit: z.coerce.number({ error: 'is not a whole number' }).int('is not a whole number').min(1, 'is below 1').max(MAX_LIST_LIMIT, `is above ${MAX_LIST_LIMIT}`).default(DEFAULT_LIST_LIMIT),
  offset: z.coerce.number({ error: 'is not a whole number' }).int('is not a whole number').min(0, 'is negative').max(2 ** 31 - 1, 'is too large').default(0),
};

const breachSchema = z.strictObject({ ...periodFields, ...paging }).superRefine((q, ctx) => {
  if (!Number.isNaN(q.from) && !Number.isNaN(q.to) && q.to <= q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'is not after from', input: formatInstant(q.to) });
});
const openSchema = z.strictObject(paging);

export function parseBreachQuery(raw: Record<string, unknown>): Validated<BreachQuery> {
  const parsed = validateWith(breachSchema, raw);
  if (!parsed.ok) return parsed;
  const { from, to, limit, offset } = parsed.value;
  return { ok: true, value: { fromMs: from, toMs: to, limit, offset } };
}

export function parseOpenListQuery(raw: Record<string, unknown>): Validated<ListQuery> {
  return validateWith(openSchema, raw);
}

function toItem(row: CaseMetricRow): CaseMetricItem {
  return {
    caseId: row.caseId,
    connection: row.connection,
    source: row.source,
    key: row.externalKey,
    title: row.title,
    url: row.url,
    explainUrl: `/api/cases/${row.caseId}/explain`,
    customer: row.customer,
    status: row.status,
    metric: row.metric,
    state: row.state,
    severity: row.severity,
    dueAt: toIsoInstantOrNull(row.dueAt),
    atRiskAt: toIsoInstantOrNull(row.atRiskAt),
    breachedAt: toIsoInstantOrNull(row.breachedAt),
    completedAt: toIsoInstantOrNull(row.completedAt),
  };
}

const toList = (page: Page<CaseMetricRow>, query: ListQuery) => ({ total: page.total, limit: query.limit, offset: query.offset, rows: page.rows.map(toItem) });

/** Metrics completed in the period that missed their target, the latest first. */
export async function breachList(db: Db, query: BreachQuery): Promise<CaseList> {
  const page = await listCompletedBreaches(db, { from: new Date(query.fromMs), to: new Date(query.toMs), limit: query.limit, offset: query.offset, ...query.filter });
  return { from: formatInstant(query.fromMs), to: formatInstant(query.toMs), ...toList(page, query) };
}

/** Open metrics breached or at risk at their last evaluation: breached first, then by due time. */
export async function openAtRiskList(db: Db, query: ListQuery): Promise<CaseList> {
  const page = await listOpenBreachedOrAtRisk(db, { limit: query.limit, offset: query.offset, ...query.filter });
  return toList(page, query);
}

const CSV_COLUMNS = ['caseId', 'connection', 'source', 'key', 'title', 'url', 'explainUrl', 'customer', 'status', 'metric', 'state', 'severity', 'dueAt', 'atRiskAt', 'breachedAt', 'completedAt'] as const satisfies readonly (keyof CaseMetricItem)[];

export function caseListCsv(list: CaseList): string {
  return toCsv(CSV_COLUMNS, list.rows);
}
