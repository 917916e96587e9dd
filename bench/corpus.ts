// Deterministic benchmark corpus (issue 2, item 7): business calendars in several zones, policies
// over them, and case timelines of about ten events. Everything comes from a seeded PRNG, so two
// runs measure exactly the same work; also the small timing and table helpers the sections share.
import type { CalendarSpec, CaseEvent, Policy, Severity, Status, WallInterval, Weekday } from '../src/core/types.ts';
import { WEEKDAYS } from '../src/core/types.ts';

// ---------------------------------------------------------------------------------------------
// Seeded random numbers

/** mulberry32: tiny, fast, good enough to spread benchmark inputs. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** Log-uniform in [lo, hi]: as many short gaps as long ones. */
  logUniform(lo: number, hi: number): number {
    return Math.exp(Math.log(lo) + this.next() * (Math.log(hi) - Math.log(lo)));
  }
}

// ---------------------------------------------------------------------------------------------
// Calendars

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export const BENCH_ZONES = ['America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Sydney', 'UTC'] as const;
export type BenchZone = (typeof BENCH_ZONES)[number];

/** Public holidays of 2026 and 2027 (local dates), a plausible set per zone. */
export const HOLIDAYS: Record<BenchZone, readonly string[]> = {
  'America/New_York': [
    '2026-01-01', '2026-01-19', '2026-02-16', '2026-05-25', '2026-06-19', '2026-07-03', '2026-09-07',
    '2026-11-26', '2026-11-27', '2026-12-24', '2026-12-25', '2027-01-01', '2027-01-18', '2027-05-31',
  ],
  'Europe/Berlin': [
    '2026-01-01', '2026-04-03', '2026-04-06', '2026-05-01', '2026-05-14', '2026-05-25', '2026-10-03',
    '2026-12-24', '2026-12-25', '2026-12-26', '2026-12-31', '2027-01-01', '2027-03-26', '2027-03-29',
  ],
  'Asia/Kolkata': [
    '2026-01-26', '2026-03-04', '2026-03-21', '2026-04-03', '2026-05-01', '2026-08-15', '2026-10-02',
    '2026-10-20', '2026-11-08', '2026-12-25', '2027-01-26', '2027-03-22',
  ],
  'Australia/Sydney': [
    '2026-01-01', '2026-01-26', '2026-04-03', '2026-04-06', '2026-04-25', '2026-06-08', '2026-10-05',
    '2026-12-25', '2026-12-28', '2027-01-01', '2027-01-26', '2027-03-26',
  ],
  UTC: ['2026-01-01', '2026-04-03', '2026-05-01', '2026-12-25', '2026-12-28', '2027-01-01'],
};

const byDay = (days: readonly Weekday[], intervals: readonly WallInterval[]): CalendarSpec['week'] =>
  Object.fromEntries(days.map((d) => [d, intervals])) as CalendarSpec['week'];

/** 09:00-12:00 and 13:00-17:00, Monday to Friday, with the zone's holidays. */
export function officeHours(zone: BenchZone, holidays = true): CalendarSpec {
  return {
    timezone: zone,
    week: byDay(WEEKDAYS.slice(0, 5), [['09:00', '12:00'], ['13:00', '17:00']]),
    holidays: holidays ? HOLIDAYS[zone] : [],
  };
}

/** 08:00-20:00 every day of the week, with the zone's holidays. */
export function sevenDays(zone: BenchZone, holidays = true): CalendarSpec {
  return { timezone: zone, week: byDay(WEEKDAYS, [['08:00', '20:00']]), holidays: holidays ? HOLIDAYS[zone] : [] };
}

// ---------------------------------------------------------------------------------------------
// Policies

/**
 * Two policies per zone: a classic one (office hours, S1 around the clock, S2 on the 7-day
 * calendar) and a stricter one (first response paused too, only `on_hold` pauses, tighter
 * at-risk threshold, S2 on office hours).
 */
export function benchPolicies(): Policy[] {
  const policies: Policy[] = [];
  for (const zone of BENCH_ZONES) {
    policies.push({
      calendar: officeHours(zone),
      severities: {
        S1: { firstResponseMinutes: 30, resolutionMinutes: 240, calendar: '24x7', objectivePercent: 100 },
        S2: { firstResponseMinutes: 60, resolutionMinutes: 480, calendar: sevenDays(zone) },
        S3: { firstResponseMinutes: 240, resolutionMinutes: 1440 },
        S4: { firstResponseMinutes: 480, resolutionMinutes: 2400, objectivePercent: 90 },
      },
      defaultSeverity: 'S3',
      pauseStatuses: ['pending', 'on_hold'],
      pauseFirstResponse: false,
      atRiskPercent: 75,
    });
    policies.push({
      calendar: officeHours(zone),
      severities: {
        S1: { firstResponseMinutes: 15, resolutionMinutes: 120, calendar: '24x7' },
        S2: { firstResponseMinutes: 120, resolutionMinutes: 960 },
        S3: { firstResponseMinutes: 480, resolutionMinutes: 2880, calendar: sevenDays(zone) },
        S4: { firstResponseMinutes: 960, resolutionMinutes: 4800 },
      },
      defaultSeverity: 'S4',
      pauseStatuses: ['on_hold'],
      pauseFirstResponse: true,
      atRiskPercent: 60,
    });
  }
  return policies;
}

// ---------------------------------------------------------------------------------------------
// Cases

export interface BenchCase {
  policyIndex: number;
  events: CaseEvent[];
  nowMs: number;
  now: string;
}

/** Cases are created between these instants (2026, every DST transition of the zones above). */
export const CORPUS_FROM_MS = Date.UTC(2026, 0, 1);
export const CORPUS_TO_MS = Date.UTC(2026, 11, 31);

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

const NEXT_STATUS: Record<Status, readonly Status[]> = {
  new: ['open', 'open', 'pending', 'solved'],
  open: ['pending', 'on_hold', 'solved', 'solved', 'closed'],
  pending: ['open', 'open', 'solved', 'on_hold'],
  on_hold: ['open', 'pending', 'solved'],
  solved: ['open', 'closed', 'closed'], // a reopen, or the final close
  closed: ['open'], // rare: reopened after close
};
const SEVERITY_LIST: readonly Severity[] = ['S1', 'S2', 'S3', 'S4'];

/**
 * `count` cases spread over `policyCount` policies; 6 to 14 events each (10 on average): replies,
 * status changes with pauses, solves and reopens, and severity changes. Instants are whole seconds,
 * gaps log-uniform from one minute to three days; `now` falls anywhere from just after creation to
 * well after the last event, so some events lie after now and are ignored.
 */
export function generateCases(count: number, policyCount: number, seed: number): BenchCase[] {
  const rng = new Rng(seed);
  const cases: BenchCase[] = [];
  for (let c = 0; c < count; c++) {
    const createdMs = Math.floor((CORPUS_FROM_MS + rng.next() * (CORPUS_TO_MS - CORPUS_FROM_MS)) / 1000) * 1000;
    let status: Status = rng.chance(0.5) ? 'new' : 'open';
    const created: CaseEvent = rng.chance(0.8)
      ? { at: iso(createdMs), type: 'created', status, severity: rng.pick(SEVERITY_LIST) }
      : { at: iso(createdMs), type: 'created', status };
    const events: CaseEvent[] = [created];
    const total = rng.int(6, 14);
    let t = createdMs;
    for (let e = 1; e < total; e++) {
      t += rng.chance(0.05) ? 0 : Math.floor(rng.logUniform(60, 3 * 86_400)) * 1000;
      const at = iso(t);
      const roll = rng.next();
      if (roll < 0.3) events.push({ at, type: 'agent_reply' });
      else if (roll < 0.38) events.push({ at, type: 'severity', severity: rng.pick(SEVERITY_LIST) });
      else {
        status = rng.pick(NEXT_STATUS[status]);
        events.push({ at, type: 'status', status });
      }
    }
    // Mostly after the last event (a finished or still open case), else mid-history.
    const nowMs = rng.chance(0.6)
      ? t + Math.floor(rng.logUniform(60, 5 * 86_400)) * 1000
      : createdMs + Math.floor((rng.next() * (t - createdMs)) / 1000) * 1000;
    cases.push({ policyIndex: rng.int(0, policyCount - 1), events, nowMs, now: iso(nowMs) });
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Measuring and printing

/** Wall time of fn in seconds, measured with the monotonic high-resolution clock. */
export function timeSeconds(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * Runs fn (which does `opsPerCall` operations) repeatedly for at least minSeconds and at least 5
 * times; the median and best rates of those calls.
 */
export function passRates(fn: () => void, opsPerCall: number, minSeconds: number): { median: number; best: number; calls: number } {
  const rates: number[] = [];
  let spent = 0;
  while (spent < minSeconds || rates.length < 5) {
    const s = timeSeconds(fn);
    spent += s;
    rates.push(opsPerCall / s);
  }
  rates.sort((a, b) => a - b);
  return { median: rates[rates.length >> 1]!, best: rates[rates.length - 1]!, calls: rates.length };
}

/** 1234567.8 -> "1,234,568". */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Aligned text table: numbers (cells starting with a digit) right-aligned, the rest left. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = (cell: string): boolean => /^[-+]?[\d.,]+(\s*[x%s])?$/.test(cell);
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (numeric(cell) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}
