// Report periods (issue 6: "by period (week, month, quarter, custom)"). Presets are calendar periods
// in UTC, as the report's dates are (YYYY-MM-DD is midnight UTC): a week starts on Monday (ISO 8601,
// as Postgres' date_trunc('week') does), a quarter in January, April, July or October. A preset
// names the period that holds `at`; previous/next step one period back or forth.
import type { TrendBucket } from '../store/report-repo.ts';

export const PERIOD_PRESETS = ['week', 'month', 'quarter'] as const;
export type PeriodPreset = (typeof PERIOD_PRESETS)[number];

export interface Period {
  fromMs: number;
  toMs: number;
}

const DAY_MS = 86_400_000;

/** The start of the week, month or quarter holding `ms` (UTC). */
export function periodStart(preset: PeriodPreset, ms: number): number {
  const d = new Date(ms);
  if (preset === 'week') {
    const day = Math.floor(ms / DAY_MS) * DAY_MS;
    // 1970-01-01 was a Thursday: (getUTCDay() + 6) % 7 is days since Monday.
    return day - ((d.getUTCDay() + 6) % 7) * DAY_MS;
  }
  const month = preset === 'month' ? d.getUTCMonth() : d.getUTCMonth() - (d.getUTCMonth() % 3);
  return Date.UTC(d.getUTCFullYear(), month, 1);
}

/** The start of the period after the one starting at `start` (negative steps go back). */
export function addPeriods(preset: PeriodPreset, start: number, steps: number): number {
  if (preset === 'week') return start + steps * 7 * DAY_MS;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + steps * (preset === 'month' ? 1 : 3), 1);
}

/** The week, month or quarter holding `at`, `offset` periods later (-1: the one before). */
export function presetPeriod(preset: PeriodPreset, atMs: number, offset = 0): Period {
  const fromMs = addPeriods(preset, periodStart(preset, atMs), offset);
  return { fromMs, toMs: addPeriods(preset, fromMs, 1) };
}

/** Week buckets for up to about a quarter (14 weeks), months beyond: a trend with 4 to 14 points mostly. */
export function defaultBucket(period: Period): TrendBucket {
  return period.toMs - period.fromMs <= 14 * 7 * DAY_MS ? 'week' : 'month';
}

/** The buckets covering [from, to): each starts at its calendar start, clipped to the period. */
export function bucketsOf(period: Period, bucket: TrendBucket): { key: number; fromMs: number; toMs: number }[] {
  const out: { key: number; fromMs: number; toMs: number }[] = [];
  for (let key = periodStart(bucket, period.fromMs); key < period.toMs; key = addPeriods(bucket, key, 1)) {
    out.push({ key, fromMs: Math.max(key, period.fromMs), toMs: Math.min(addPeriods(bucket, key, 1), period.toMs) });
  }
  return out;
}
