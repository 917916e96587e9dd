// The compliance trend (issue 6: "a trend chart per severity"): compliance per week or month of a
// period, per metric and severity, against the objective. Each bucket's row is exactly the
// compliance report's row for that bucket alone (the same counts through complianceFromCounts).
import { z } from 'zod';
import type { ComplianceRow } from '../core/compliance.ts';
import { complianceFromCounts } from '../core/compliance.ts';
import { formatInstant } from '../core/metrics.ts';
import type { MetricName } from '../core/types.ts';
import { METRICS } from '../core/types.ts';
import type { Validated } from '../core/validate.ts';
import { validateWith } from '../core/validate.ts';
import type { Db } from '../store/db.ts';
import type { CaseFilter, TrendBucket } from '../store/report-repo.ts';
import { TREND_BUCKETS, trendPolicyCounts } from '../store/report-repo.ts';
import { toCsv } from './report-csv.ts';
import { bucketsOf, defaultBucket } from './report-period.ts';
import { periodFields, withObjectives } from './report.ts';

/** More points than this is no chart anyone reads (and a query string could ask for millions). */
export const MAX_TREND_BUCKETS = 400;

export interface TrendQuery {
  fromMs: number;
  toMs: number;
  bucket: TrendBucket;
  metric?: MetricName;
  filter?: CaseFilter;
}

export interface TrendRow extends Omit<ComplianceRow, 'group' | 'openBreached' | 'openAtRisk'> {
  /** The bucket, clipped to the period: [bucketFrom, bucketTo). */
  bucketFrom: string;
  bucketTo: string;
}

export interface ComplianceTrend {
  from: string;
  to: string;
  bucket: TrendBucket;
  metric: MetricName | 'all';
  /** Every bucket of the period, with or without completions, in order. */
  buckets: { from: string; to: string }[];
  /** Rows per bucket (in order), metric and severity (S1..S4 then all), for buckets with completions. */
  rows: TrendRow[];
}

const querySchema = z
  .strictObject({
    ...periodFields,
    bucket: z.enum(TREND_BUCKETS, { error: `is not one of ${TREND_BUCKETS.join(', ')}` }).optional(),
    metric: z.enum(METRICS, { error: `is not one of ${METRICS.join(', ')}` }).optional(),
  })
  .superRefine((q, ctx) => {
    if (Number.isNaN(q.from) || Number.isNaN(q.to)) return;
    if (q.to <= q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'is not after from', input: formatInstant(q.to) });
    else if (bucketsOf({ fromMs: q.from, toMs: q.to }, q.bucket ?? defaultBucket({ fromMs: q.from, toMs: q.to })).length > MAX_TREND_BUCKETS)
      ctx.addIssue({ code: 'custom', path: ['bucket'], message: `gives more than ${MAX_TREND_BUCKETS} points for this period`, input: q.bucket ?? 'week' });
  });

/** Validates a trend query (from, to, bucket: week|month, default by the period's length, metric). */
export function parseTrendQuery(raw: Record<string, unknown>): Validated<TrendQuery> {
  const parsed = validateWith(querySchema, raw);
  if (!parsed.ok) return parsed;
  const { from, to, bucket, metric } = parsed.value;
  return { ok: true, value: { fromMs: from, toMs: to, bucket: bucket ?? defaultBucket({ fromMs: from, toMs: to }), ...(metric === undefined ? {} : { metric }) } };
}

export async function complianceTrend(db: Db, query: TrendQuery): Promise<ComplianceTrend> {
  const counted = await trendPolicyCounts(db, {
    from: new Date(query.fromMs),
    to: new Date(query.toMs),
    bucket: query.bucket,
    ...(query.metric === undefined ? {} : { metric: query.metric }),
    ...query.filter,
  });
  const buckets = bucketsOf(query, query.bucket);
  const byKey = new Map(buckets.map((b) => [String(b.key), b]));
  // Group keys are epoch ms; complianceFromCounts sorts groups as text, so order by bucket here.
  const rows = complianceFromCounts(await withObjectives(db, counted));
  const ordered = buckets.flatMap((b) => rows.filter((r) => r.group === String(b.key)));
  return {
    from: formatInstant(query.fromMs),
    to: formatInstant(query.toMs),
    bucket: query.bucket,
    metric: query.metric ?? 'all',
    buckets: buckets.map((b) => ({ from: formatInstant(b.fromMs), to: formatInstant(b.toMs) })),
    rows: ordered.map(({ group, openBreached: _ob, openAtRisk: _oa, ...row }) => {
      const b = byKey.get(group)!;
      return { bucketFrom: formatInstant(b.fromMs), bucketTo: formatInstant(b.toMs), ...row };
    }),
  };
}

const CSV_COLUMNS = ['bucketFrom', 'bucketTo', 'metric', 'severity', 'completed', 'met', 'breached', 'percentMet', 'objectivePercent', 'objectiveMixed', 'pass'] as const satisfies readonly (keyof TrendRow)[];

export function trendCsv(trend: ComplianceTrend): string {
  return toCsv(CSV_COLUMNS, trend.rows);
}
