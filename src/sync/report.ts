// The compliance report (issue 6, Reports) shared by the JSON/CSV API and `sla-sync report`: the
// store's GROUP BY counts, each policy's objective, and core's rules (complianceFromCounts), so
// every surface prints the numbers `computeCompliance` gives for the same outcomes.
import { z } from 'zod';
import type { ComplianceCounts, ComplianceRow } from '../core/compliance.ts';
import { complianceFromCounts, complianceHeadline, objectiveFor } from '../core/compliance.ts';
import { DEFAULT_OBJECTIVE_PERCENT, formatInstant } from '../core/metrics.ts';
import type { MetricName } from '../core/types.ts';
import { METRICS } from '../core/types.ts';
import type { Validated } from '../core/validate.ts';
import { validateWith } from '../core/validate.ts';
import type { Db } from '../store/db.ts';
import { listPolicies } from '../store/policies-repo.ts';
import type { CaseFilter, PolicyCounts, ReportGroupBy } from '../store/report-repo.ts';
import { compliancePolicyCounts, REPORT_GROUPS } from '../store/report-repo.ts';
import { toCsv } from './report-csv.ts';

export interface ComplianceReportQuery {
  /** The period [fromMs, toMs): a metric counts when it completed inside it. */
  fromMs: number;
  toMs: number;
  groupBy: ReportGroupBy;
  /** One metric only; both when absent. */
  metric?: MetricName;
  /** One policy's cases and/or one customer's only (the customer SLA page); not an API parameter. */
  filter?: CaseFilter;
}

export interface ReportRow extends ComplianceRow {
  /** "S1: 100% of 42 resolved within target (objective 100%) PASS". */
  headline: string;
}

export interface ComplianceReport {
  from: string;
  to: string;
  groupBy: ReportGroupBy;
  metric: MetricName | 'all';
  rows: ReportRow[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/** A date (`2027-01-01`, midnight UTC) or an instant with its offset; NaN otherwise. */
export function parseReportInstant(value: string): number {
  if (DATE.test(value)) {
    const ms = Date.parse(`${value}T00:00:00Z`);
    // Date.parse rolls 2027-02-30 over to March: a date must read back as itself.
    return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === value ? ms : Number.NaN;
  }
  return INSTANT.test(value) ? Date.parse(value) : Number.NaN;
}

const instant = z
  .string({ error: 'is not a date (YYYY-MM-DD) or an ISO 8601 instant with an offset' })
  .transform((v, ctx) => {
    const ms = parseReportInstant(v);
    if (Number.isNaN(ms)) ctx.addIssue({ code: 'custom', message: 'is not a date (YYYY-MM-DD) or an ISO 8601 instant with an offset', input: v });
    return ms;
  });

/** The period's fields of every report query: from (included) and to (excluded). */
export const periodFields = { from: instant, to: instant };

const querySchema = z
  .strictObject({
    ...periodFields,
    groupBy: z.enum(REPORT_GROUPS, { error: `is not one of ${REPORT_GROUPS.join(', ')}` }).default('severity'),
    metric: z.enum(METRICS, { error: `is not one of ${METRICS.join(', ')}` }).optional(),
  })
  .superRefine((q, ctx) => {
    if (!Number.isNaN(q.from) && !Number.isNaN(q.to) && q.to <= q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'is not after from', input: formatInstant(q.to) });
  });

/** Validates a report query from the API's query string or the CLI's options; errors name the field. */
export function parseReportQuery(raw: Record<string, unknown>): Validated<ComplianceReportQuery> {
  const parsed = validateWith(querySchema, raw);
  if (!parsed.ok) return parsed;
  const { from, to, groupBy, metric } = parsed.value;
  return { ok: true, value: { fromMs: from, toMs: to, groupBy, ...(metric === undefined ? {} : { metric }) } };
}

/** The store's counts with each policy's objective for the severity (100 when no policy is known). */
export async function withObjectives(db: Db, counted: readonly PolicyCounts[]): Promise<ComplianceCounts[]> {
  const policies = new Map((await listPolicies(db)).map((p) => [p.id, p.definition]));
  return counted.map(({ policyId, ...c }) => {
    const policy = policyId === null ? undefined : policies.get(policyId);
    return { ...c, objectivePercent: policy ? objectiveFor(policy, c.severity) : DEFAULT_OBJECTIVE_PERCENT };
  });
}

/** Rows per group, metric and severity, with the same numbers and order as core's computeCompliance. */
export async function complianceReport(db: Db, query: ComplianceReportQuery): Promise<ComplianceReport> {
  const counted = await compliancePolicyCounts(db, {
    from: new Date(query.fromMs),
    to: new Date(query.toMs),
    groupBy: query.groupBy,
    ...(query.metric === undefined ? {} : { metric: query.metric }),
    ...query.filter,
  });
  const counts = await withObjectives(db, counted);
  return {
    from: formatInstant(query.fromMs),
    to: formatInstant(query.toMs),
    groupBy: query.groupBy,
    metric: query.metric ?? 'all',
    rows: complianceFromCounts(counts).map((row) => ({ ...row, headline: complianceHeadline(row) })),
  };
}

const CSV_COLUMNS = ['group', 'metric', 'severity', 'completed', 'met', 'breached', 'percentMet', 'objectivePercent', 'objectiveMixed', 'pass', 'openBreached', 'openAtRisk', 'headline'] as const satisfies readonly (keyof ReportRow)[];

/** The report's rows as CSV (RFC 4180, CRLF line ends), the same numbers as its JSON. */
export function complianceCsv(report: ComplianceReport): string {
  return toCsv(CSV_COLUMNS, report.rows);
}

const METRIC_TITLES: Record<MetricName, string> = { firstResponse: 'first response', resolution: 'resolution' };

/** The managers' headlines, one line per severity, under a title per group and metric. */
export function complianceText(report: ComplianceReport): string[] {
  const lines = [`Compliance ${report.from} to ${report.to}${report.groupBy === 'severity' ? '' : `, by ${report.groupBy}`}`];
  let section = '';
  for (const row of report.rows) {
    const title = `${report.groupBy === 'severity' ? '' : `${row.group}: `}${METRIC_TITLES[row.metric]}`;
    if (title !== section) lines.push('', title);
    section = title;
    const open = row.openBreached + row.openAtRisk > 0 ? `  [open: ${row.openBreached} breached, ${row.openAtRisk} at risk]` : '';
    lines.push(`  ${row.headline}${open}`);
  }
  if (report.rows.length === 0) lines.push('', 'no metric completed in the period and none open');
  return lines;
}
