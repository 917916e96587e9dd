// Benchmark section "calendar" (issue 2, item 7): our "add N business minutes" primitive
// (BusinessCalendar.addBusinessMs) against the npm package moment-business-time v2
// (moment#addWorkingTime(n, 'minutes')), on the same start instants, amounts, weekly hours and
// holidays, in the same run; both rates, their ratio, and how often the answers agree.
//
// How moment-business-time is driven. It has no notion of a time zone: working hours and holidays
// live in the moment *locale* (`workinghours`, `holidays`, set with moment.updateLocale) and are
// applied to the moment's own wall clock, i.e. the process's local zone, or UTC for moment.utc().
// moment-timezone is not installed. So:
//   - UTC calendars: moment.utc(start), independent of the process zone;
//   - zoned calendars: process.env.TZ is set to the calendar's zone for that comparison only (Node
//     re-reads TZ on assignment, and moment's local mode uses Date's local getters and setters),
//     then restored. Our calendar does not look at TZ: it takes the zone from its spec.
//
// Which samples are comparable. Both libraries define working time the same way: a local
// wall-clock reading inside [open, close) of an interval of its weekday, on a local date that is no
// holiday (moment cannot express "24:00" or overnight shifts, so no calendar here touches midnight).
// They part only at a DST transition whose skipped or repeated hour touches business hours: we
// count real time, so a repeated hour counts twice (issue 2), while moment-business-time walks the
// wall clock there. A sample is therefore *comparable* unless a UTC-offset change of the zone lies
// between its start and the later of the two answers and there is business time within an hour of
// that change. The office-hour calendars never have such samples (their zones change offset at
// 02:00-03:00 local time); the last row, daily 00:30-23:30 in New York, is there to show the
// difference: its samples across a transition are counted apart, with how many still agree.
// Each comparable sample is classified:
//   - exact: the same instant to the millisecond;
//   - boundary-equivalent: different instants with no business time between them, e.g. 17:00 (ours
//     returns the earliest instant the amount is reached) against the next day's 09:00;
//   - differ: anything else, counted and shown, never hidden.
//
// Rates: moment-business-time does a few hundred additions a second, so one pass over the samples
// is timed; ours is timed over repeated passes on the same samples (median pass), after a warm-up
// pass that also builds the calendar's chunks.
import { createRequire } from 'node:module';
import type momentNamespace from 'moment';
import { DateTime } from 'luxon';
import { compileCalendar } from '../src/core/calendar.ts';
import type { BusinessCalendar } from '../src/core/calendar.ts';
import type { CalendarSpec, Weekday } from '../src/core/types.ts';
import { WEEKDAYS } from '../src/core/types.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, Rng, fmtInt, passRates, officeHours, sevenDays, table, timeSeconds } from './corpus.ts';

declare module 'moment' {
  interface Moment {
    addWorkingTime(amount: number, unit: string): Moment;
  }
}

// moment-business-time patches and re-exports moment (CommonJS, no types of its own).
const require = createRequire(import.meta.url);
const moment = require('moment-business-time') as typeof momentNamespace;
const MBT_VERSION = (require('moment-business-time/package.json') as { version: string }).version;

const SEED = 4_242;
/** Start instants fall in 2026 (every DST transition of the zones used). */
const FROM_MS = Date.UTC(2026, 0, 1);

export interface Comparison {
  label: string;
  spec: CalendarSpec;
  /** Wall-clock readings where business time starts or stops, to aim some starts at exactly. */
  boundaries: readonly string[];
}

const COMPARISONS: readonly Comparison[] = [
  { label: 'UTC, Mon-Fri 9-12 13-17, holidays', spec: officeHours('UTC'), boundaries: ['09:00', '12:00', '13:00', '17:00'] },
  { label: 'UTC, Mon-Fri 9-12 13-17, no holidays', spec: officeHours('UTC', false), boundaries: ['09:00', '12:00', '13:00', '17:00'] },
  { label: 'New York, Mon-Fri 9-12 13-17, holidays', spec: officeHours('America/New_York'), boundaries: ['09:00', '12:00', '13:00', '17:00'] },
  { label: 'Sydney, Mon-Fri 9-12 13-17, holidays', spec: officeHours('Australia/Sydney'), boundaries: ['09:00', '12:00', '13:00', '17:00'] },
  { label: 'Kolkata, daily 08-20, holidays', spec: sevenDays('Asia/Kolkata'), boundaries: ['08:00', '20:00'] },
  {
    label: 'New York, daily 00:30-23:30 (DST in hours)',
    spec: { timezone: 'America/New_York', week: Object.fromEntries(WEEKDAYS.map((d) => [d, [['00:30', '23:30']]])) },
    boundaries: ['00:30', '23:30', '01:00', '01:30', '02:00', '03:00'],
  },
];

/** moment-business-time's locale: day index 0 = Sunday, flat ["HH:MM:SS", ...] or null. */
function momentLocale(spec: CalendarSpec): { workinghours: Record<number, string[] | null>; holidays: string[] } {
  const workinghours: Record<number, string[] | null> = {};
  WEEKDAYS.forEach((day: Weekday, i) => {
    const intervals = spec.week[day] ?? [];
    workinghours[(i + 1) % 7] = intervals.length === 0 ? null : intervals.flatMap(([s, e]) => [`${s}:00`, `${e}:00`]);
  });
  return { workinghours, holidays: [...(spec.holidays ?? [])] };
}

interface Sample {
  start: number;
  minutes: number;
}

/**
 * Starts: a random local date of 2026 (a quarter of them just before a DST change), then 30% exactly on an opening or closing time, 30% a random
 * whole minute, 40% a random instant to the millisecond. Amounts: half uniform in 1..5000 minutes,
 * half whole hours (1..83), which land on interval ends more often.
 */
function samples(rng: Rng, c: Comparison, count: number): Sample[] {
  const out: Sample[] = [];
  const transitionDays = offsetChanges(c.spec.timezone).map((t) => Math.floor((t - FROM_MS) / DAY_MS));
  for (let k = 0; k < count; k++) {
    // A quarter of the starts in the four days up to a DST transition of the zone, if it has any.
    const dayIndex = transitionDays.length > 0 && rng.chance(0.25) ? Math.max(0, rng.pick(transitionDays) - rng.int(0, 4)) : rng.int(0, 364);
    const day = DateTime.fromMillis(FROM_MS + dayIndex * DAY_MS, { zone: 'UTC' });
    const roll = rng.next();
    let start: number;
    if (roll < 0.3) {
      const [h, m] = rng.pick(c.boundaries).split(':').map(Number) as [number, number];
      start = DateTime.fromObject({ year: day.year, month: day.month, day: day.day, hour: h, minute: m }, { zone: c.spec.timezone }).toMillis();
    } else {
      const base = DateTime.fromObject({ year: day.year, month: day.month, day: day.day }, { zone: c.spec.timezone }).toMillis();
      start = roll < 0.6 ? base + rng.int(0, 1439) * MINUTE_MS : base + rng.int(0, DAY_MS - 1);
    }
    const minutes = rng.chance(0.5) ? rng.int(1, 5000) : rng.int(1, 83) * 60;
    out.push({ start, minutes });
  }
  return out;
}

/** Instants of 2026 at which the zone's UTC offset changes (to the millisecond). */
function offsetChanges(zone: string): number[] {
  const offset = (ms: number): number => DateTime.fromMillis(ms, { zone }).offset;
  const changes: number[] = [];
  for (let d = 0; d < 365; d++) {
    let lo = FROM_MS + d * DAY_MS;
    let hi = lo + DAY_MS;
    const before = offset(lo);
    if (offset(hi) === before) continue;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offset(mid) === before) lo = mid;
      else hi = mid;
    }
    changes.push(hi);
  }
  return changes;
}

function withProcessZone<T>(zone: string, fn: () => T): T {
  const saved = process.env.TZ;
  process.env.TZ = zone;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}

interface Outcome {
  label: string;
  count: number;
  momentSeconds: number;
  oursRate: number;
  /** Comparable samples (see the top of this file) by outcome. */
  exact: number;
  boundary: number;
  differ: number;
  /** Samples across a DST change in business hours: how many, and how many still agree exactly. */
  apart: number;
  apartSame: number;
  examples: string[];
  apartExamples: string[];
}

function local(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toFormat("ccc yyyy-MM-dd HH:mm:ss.SSS ZZ");
}

function compare(c: Comparison, count: number, rng: Rng, oursMinSeconds: number): Outcome {
  const calendar: BusinessCalendar = compileCalendar(c.spec);
  const input = samples(rng, c, count);
  moment.updateLocale(moment.locale(), momentLocale(c.spec));
  const utc = c.spec.timezone === 'UTC';

  // moment-business-time: one pass (it is slow enough to be measured in one), in its zone.
  const theirs = new Float64Array(input.length);
  const runMoment = (upTo = input.length): void => {
    for (let k = 0; k < upTo; k++) {
      const s = input[k]!;
      theirs[k] = (utc ? moment.utc(s.start) : moment(s.start)).addWorkingTime(s.minutes, 'minutes').valueOf();
    }
  };
  const timed = (): number => {
    runMoment(Math.min(50, input.length)); // warm-up, untimed
    return timeSeconds(() => runMoment());
  };
  const momentSeconds = utc ? timed() : withProcessZone(c.spec.timezone, timed);

  // Ours: repeated passes over the same samples until the time is measurable; median pass.
  const ours = new Float64Array(input.length);
  const runOurs = (): void => {
    for (let k = 0; k < input.length; k++) ours[k] = calendar.addBusinessMs(input[k]!.start, input[k]!.minutes * MINUTE_MS);
  };
  runOurs(); // warm-up: JIT and the calendar's chunks
  const { median: oursRate } = passRates(runOurs, input.length, oursMinSeconds);

  const outcome: Outcome = { label: c.label, count: input.length, momentSeconds, oursRate, exact: 0, boundary: 0, differ: 0, apart: 0, apartSame: 0, examples: [], apartExamples: [] };
  const changes = offsetChanges(c.spec.timezone).filter((t) => calendar.businessMsBetween(t - HOUR_MS, t + HOUR_MS) > 0);
  for (let k = 0; k < input.length; k++) {
    const s = input[k]!;
    const a = ours[k]!;
    const b = theirs[k]!;
    const last = Math.max(a, b);
    const example = (): string =>
      `  ${c.label}: start ${local(s.start, c.spec.timezone)} + ${s.minutes} min -> ours ${local(a, c.spec.timezone)}, ` +
      `moment ${local(b, c.spec.timezone)} (business minutes start..moment per ours: ${calendar.businessMsBetween(s.start, b) / MINUTE_MS})`;
    if (changes.some((t) => s.start <= t && t <= last)) {
      outcome.apart++;
      if (a === b) outcome.apartSame++;
      else if (outcome.apartExamples.length < 2) outcome.apartExamples.push(example());
    } else if (a === b) outcome.exact++;
    else if (calendar.businessMsBetween(Math.min(a, b), last) === 0) outcome.boundary++;
    else {
      outcome.differ++;
      if (outcome.examples.length < 3) outcome.examples.push(example());
    }
  }
  return outcome;
}

export interface CalendarBenchOptions {
  /** Samples per comparison (default 300: moment-business-time does a few hundred a second). */
  samples?: number;
  /** Calendars to compare on (default: COMPARISONS). */
  comparisons?: readonly Comparison[];
}

export function runCalendarBench(options: CalendarBenchOptions = {}): string[] {
  const count = options.samples ?? 300;
  const rng = new Rng(SEED);
  const outcomes = (options.comparisons ?? COMPARISONS).map((c) => compare(c, count, rng, 0.2));

  const sum = (f: (o: Outcome) => number): number => outcomes.reduce((n, o) => n + f(o), 0);
  const row = (label: string, o: Omit<Outcome, 'label' | 'examples' | 'apartExamples'>): string[] => {
    const momentRate = o.count / o.momentSeconds;
    return [
      label,
      fmtInt(o.count),
      fmtInt(momentRate),
      fmtInt(o.oursRate),
      `${(o.oursRate / momentRate).toFixed(0)}x`,
      fmtInt(o.count - o.apart),
      fmtInt(o.exact),
      fmtInt(o.boundary),
      fmtInt(o.differ),
      o.apart === 0 ? '-' : `${o.apartSame}/${o.apart}`,
    ];
  };
  // Totals: each library's rate over all samples (all samples / all the time it took).
  const all = {
    count: sum((o) => o.count),
    momentSeconds: sum((o) => o.momentSeconds),
    oursRate: sum((o) => o.count) / sum((o) => o.count / o.oursRate),
    exact: sum((o) => o.exact),
    boundary: sum((o) => o.boundary),
    differ: sum((o) => o.differ),
    apart: sum((o) => o.apart),
    apartSame: sum((o) => o.apartSame),
  };
  const ratio = all.oursRate / (all.count / all.momentSeconds);
  const comparable = all.count - all.apart;

  const out = [
    `add N business minutes (N in 1..5000), ${count} samples per calendar, seed ${SEED}; moment-business-time ${MBT_VERSION} ` +
      `(moment ${moment.version}), zoned rows with the process TZ set to the zone`,
    '',
    ...table(
      ['calendar', 'samples', 'moment ops/s', 'ours ops/s', 'ratio', 'comparable', 'exact', 'boundary-eq', 'differ', 'DST apart: same'],
      [...outcomes.map((o) => row(o.label, o)), row('all', all)],
    ),
    '',
    `target ours >= 20x moment-business-time: ${ratio.toFixed(0)}x -> ${ratio >= 20 ? 'MET' : 'NOT MET'}; ` +
      `comparable answers: ${all.exact}/${comparable} exact, ${all.boundary} boundary-equivalent, ${all.differ} different` +
      (all.apart > 0 ? `; across a DST change in business hours (not comparable): ${all.apartSame}/${all.apart} the same` : ''),
  ];
  const examples = outcomes.flatMap((o) => o.examples);
  if (examples.length > 0) out.push('first disagreements on comparable samples:', ...examples);
  const apartExamples = outcomes.flatMap((o) => o.apartExamples);
  if (apartExamples.length > 0) {
    out.push('across a DST change (not comparable; we count the repeated hour twice, moment-business-time once):', ...apartExamples);
  }
  return out;
}
