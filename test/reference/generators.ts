// fast-check arbitraries for SLA engine inputs (issue 2): business calendars in awkward zones,
// split and overnight shifts, holidays, and case timelines with pauses, reopens, severity
// changes and agent replies, biased towards DST transitions. All instants are whole minutes
// and events are in non-decreasing time order; `now` is never before `created`.

import fc from 'fast-check';
import type {
  CalendarInput,
  CalendarSpec,
  CaseEvent,
  ComputeInput,
  Policy,
  Severity,
  SeverityTargets,
  Status,
  WallInterval,
  Weekday,
} from '../../src/core/types.ts';
import { SEVERITIES, STATUSES, WEEKDAYS } from '../../src/core/types.ts';

const MINUTE_MS = 60_000;
const DAY_MINUTES = 24 * 60;
/** Longest stretch from created to the last event. */
const MAX_SPAN_MINUTES = 7 * DAY_MINUTES;
/** Longest target (3 days). */
const MAX_TARGET_MINUTES = 3 * DAY_MINUTES;

export const ZONES = [
  'Asia/Kolkata', // +05:30
  'Asia/Kathmandu', // +05:45
  'Australia/Adelaide', // +09:30 / +10:30, southern DST
  'Australia/Lord_Howe', // +10:30 / +11:00, 30-minute DST
  'America/St_Johns', // -03:30 / -02:30
  'America/New_York',
  'Europe/London',
  'UTC',
] as const;

type Zone = (typeof ZONES)[number];

/**
 * Dates (UTC) to build cases around, each with the zones its calendars use: mostly DST transition
 * dates of those zones (2026), plus two ordinary dates. Pairing zones with dates keeps the set of
 * (zone, minute) pairs the naive reference asks luxon about small enough for its memo.
 */
export const ANCHORS: readonly { date: string; zones: readonly Zone[]; weight: number }[] = [
  // US and Canada: spring forward, fall back
  { date: '2026-03-08', zones: ['America/New_York', 'America/St_Johns', 'Asia/Kolkata'], weight: 2 },
  { date: '2026-11-01', zones: ['America/New_York', 'America/St_Johns', 'Asia/Kolkata'], weight: 2 },
  // Europe: spring forward, fall back
  { date: '2026-03-29', zones: ['Europe/London', 'Europe/London', 'Asia/Kathmandu', 'UTC'], weight: 2 },
  { date: '2026-10-25', zones: ['Europe/London', 'Europe/London', 'Asia/Kathmandu', 'UTC'], weight: 2 },
  // Adelaide and Lord Howe: fall back (April), spring forward (October)
  { date: '2026-04-05', zones: ['Australia/Adelaide', 'Australia/Lord_Howe'], weight: 2 },
  { date: '2026-10-04', zones: ['Australia/Adelaide', 'Australia/Lord_Howe'], weight: 2 },
  // ordinary dates
  { date: '2026-01-02', zones: ZONES, weight: 1 },
  { date: '2026-12-24', zones: ZONES, weight: 1 },
];

// ---------------------------------------------------------------------------------------------
// Calendars

function hhmm(minutes: number): string {
  if (minutes === DAY_MINUTES) return '24:00';
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

type Week = CalendarSpec['week'];

const weekdaysOnly = (intervals: WallInterval[]): Week =>
  Object.fromEntries(WEEKDAYS.slice(0, 5).map((d) => [d, intervals])) as Week;
const everyDay = (intervals: WallInterval[]): Week => Object.fromEntries(WEEKDAYS.map((d) => [d, intervals])) as Week;

/** Hand-written weeks that exercise the interesting shapes. */
const FIXED_WEEKS: readonly Week[] = [
  weekdaysOnly([['09:00', '17:00']]),
  // split shift
  weekdaysOnly([['09:00', '12:00'], ['13:00', '17:30']]),
  // overnight shift Sun-Thu night: 22:00-24:00 then 00:00-06:00 of the next day
  {
    sun: [['22:00', '24:00']],
    mon: [['00:00', '06:00'], ['22:00', '24:00']],
    tue: [['00:00', '06:00'], ['22:00', '24:00']],
    wed: [['00:00', '06:00'], ['22:00', '24:00']],
    thu: [['00:00', '06:00'], ['22:00', '24:00']],
    fri: [['00:00', '06:00']],
  },
  // whole days, "24:00" ends: 23- and 25-hour days count as such
  everyDay([['00:00', '24:00']]),
  // the small hours, where DST transitions happen
  everyDay([['00:30', '03:30'], ['08:00', '18:00']]),
  everyDay([['01:00', '02:00'], ['02:30', '04:00'], ['12:00', '13:00']]),
  // split shift with overnight tail on weekends
  {
    mon: [['08:00', '12:00'], ['13:00', '17:00']],
    tue: [['08:00', '12:00'], ['13:00', '17:00']],
    wed: [['08:00', '12:00'], ['13:00', '17:00']],
    thu: [['08:00', '12:00'], ['13:00', '17:00']],
    fri: [['08:00', '12:00'], ['13:00', '17:00'], ['20:00', '24:00']],
    sat: [['00:00', '04:00'], ['20:00', '24:00']],
    sun: [['00:00', '04:00']],
  },
];

/** Up to three sorted, non-overlapping intervals on a grid of `step` minutes. */
const dayIntervalsArb = (step: number): fc.Arbitrary<WallInterval[]> =>
  fc
    .uniqueArray(fc.integer({ min: 0, max: DAY_MINUTES / step }), { minLength: 0, maxLength: 6 })
    .map((points) => {
      const sorted = [...points].sort((a, b) => a - b).map((p) => p * step);
      const intervals: WallInterval[] = [];
      for (let i = 0; i + 1 < sorted.length; i += 2) {
        intervals.push([hhmm(sorted[i] as number), hhmm(sorted[i + 1] as number)]);
      }
      return intervals;
    });

const randomWeekArb: fc.Arbitrary<Week> = fc
  .constantFrom(1, 15, 30, 60)
  .chain((step) =>
    fc.record(Object.fromEntries(WEEKDAYS.map((d) => [d, dayIntervalsArb(step)])) as Record<Weekday, fc.Arbitrary<WallInterval[]>>),
  )
  .map((week) => {
    // Never an empty week: a running clock must come due within the extrapolation horizon.
    const cleaned: Week = {};
    for (const d of WEEKDAYS) if ((week[d] ?? []).length > 0) cleaned[d] = week[d];
    if (weeklyBusinessMinutes({ timezone: 'UTC', week: cleaned }) < 60) cleaned.wed = [['10:00', '11:00']];
    return cleaned;
  });

export const weekArb: fc.Arbitrary<Week> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...FIXED_WEEKS) },
  { weight: 2, arbitrary: randomWeekArb },
);

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MINUTES * MINUTE_MS).toISOString().slice(0, 10);
}

/** A calendar in one of `zones` whose holidays fall near `anchor` (a YYYY-MM-DD date). */
export const calendarSpecArb = (anchor: string, zones: readonly Zone[]): fc.Arbitrary<CalendarSpec> =>
  fc
    .record({
      timezone: fc.constantFrom(...zones),
      week: weekArb,
      holidays: fc.option(fc.uniqueArray(fc.integer({ min: -3, max: 12 }), { maxLength: 3 }), { nil: undefined }),
    })
    .map(({ timezone, week, holidays }) => {
      const spec: CalendarSpec = { timezone, week };
      if (holidays !== undefined) spec.holidays = holidays.map((k) => addDays(anchor, k));
      return spec;
    });

export const calendarArb = (anchor: string, zones: readonly Zone[]): fc.Arbitrary<CalendarInput> =>
  fc.oneof({ weight: 1, arbitrary: fc.constant('24x7' as const) }, { weight: 4, arbitrary: calendarSpecArb(anchor, zones) });

export function weeklyBusinessMinutes(calendar: CalendarInput): number {
  if (calendar === '24x7') return 7 * DAY_MINUTES;
  let total = 0;
  for (const d of WEEKDAYS) {
    for (const [start, end] of calendar.week[d] ?? []) {
      const [sh, sm] = start.split(':').map(Number) as [number, number];
      const [eh, em] = end.split(':').map(Number) as [number, number];
      total += eh * 60 + em - (sh * 60 + sm);
    }
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Policies

/** Minutes, log-ish: mostly short, sometimes up to three days. */
const targetMinutesArb: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 1, max: 60 }),
  fc.integer({ min: 60, max: 480 }),
  fc.integer({ min: 480, max: MAX_TARGET_MINUTES }),
);

export const policyArb = (anchor: string, zones: readonly Zone[]): fc.Arbitrary<Policy> =>
  fc
    .record(
      {
        calendar: calendarArb(anchor, zones),
        severityCalendars: fc.tuple(
          ...SEVERITIES.map(() =>
            fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: calendarArb(anchor, zones) }),
          ),
        ),
        targets: fc.tuple(...SEVERITIES.map(() => fc.tuple(targetMinutesArb, targetMinutesArb))),
        defaultSeverity: fc.constantFrom(...SEVERITIES),
        pauseStatuses: fc.constantFrom<Status[]>(['pending', 'on_hold'], ['pending'], [], ['on_hold', 'new']),
        pauseFirstResponse: fc.boolean(),
        atRiskPercent: fc.integer({ min: 1, max: 20 }).map((k) => k * 5),
      },
      { requiredKeys: ['severityCalendars', 'targets', 'defaultSeverity'] },
    )
    .map((raw) => {
      const severities: Partial<Record<Severity, SeverityTargets>> = {};
      SEVERITIES.forEach((severity, i) => {
        const own = raw.severityCalendars[i];
        const effective = own ?? raw.calendar ?? '24x7';
        // Keep targets within about a week of business time so extrapolation stays short.
        const cap = Math.max(1, Math.min(MAX_TARGET_MINUTES, weeklyBusinessMinutes(effective)));
        const [fr, res] = raw.targets[i] ?? [60, 240];
        const targets: SeverityTargets = { firstResponseMinutes: Math.min(fr, cap), resolutionMinutes: Math.min(res, cap) };
        if (own !== undefined) targets.calendar = own;
        severities[severity] = targets;
      });
      const policy: Policy = { severities, defaultSeverity: raw.defaultSeverity };
      if (raw.calendar !== undefined) policy.calendar = raw.calendar;
      if (raw.pauseStatuses !== undefined) policy.pauseStatuses = raw.pauseStatuses;
      if (raw.pauseFirstResponse !== undefined) policy.pauseFirstResponse = raw.pauseFirstResponse;
      if (raw.atRiskPercent !== undefined) policy.atRiskPercent = raw.atRiskPercent;
      return policy;
    });

// ---------------------------------------------------------------------------------------------
// Timelines

/** Gap before an event, in minutes: ties, minutes, hours, days. */
const gapArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 90 }) },
  { weight: 3, arbitrary: fc.integer({ min: 60, max: 12 * 60 }) },
  { weight: 2, arbitrary: fc.integer({ min: 12 * 60, max: 2 * DAY_MINUTES }) },
);

type EventBody =
  | { type: 'status'; status: Status }
  | { type: 'severity'; severity: Severity }
  | { type: 'agent_reply' };

const eventBodyArb: fc.Arbitrary<EventBody> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...STATUSES).map((status): EventBody => ({ type: 'status', status })) },
  { weight: 2, arbitrary: fc.constantFrom(...SEVERITIES).map((severity): EventBody => ({ type: 'severity', severity })) },
  { weight: 2, arbitrary: fc.constant<EventBody>({ type: 'agent_reply' }) },
);

const anchorArb = fc.oneof(...ANCHORS.map((anchor) => ({ weight: anchor.weight, arbitrary: fc.constant(anchor) })));

type NowChoice = { kind: 'atEvent'; index: number } | { kind: 'offset'; minutes: number };

const nowChoiceArb: fc.Arbitrary<NowChoice> = fc.oneof(
  { weight: 1, arbitrary: fc.nat(20).map((index): NowChoice => ({ kind: 'atEvent', index })) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: MAX_SPAN_MINUTES + 2 * DAY_MINUTES }).map((minutes): NowChoice => ({ kind: 'offset', minutes })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 2 * DAY_MINUTES }).map((minutes): NowChoice => ({ kind: 'offset', minutes })) },
);

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

export const computeInputArb: fc.Arbitrary<ComputeInput> = anchorArb.chain(({ date: anchor, zones }) =>
  fc
    .record({
      policy: policyArb(anchor, zones),
      // created within two days before to six hours after 00:00 UTC of the anchor date
      createdOffset: fc.integer({ min: -2 * DAY_MINUTES, max: 6 * 60 }),
      createdStatus: fc.option(fc.constantFrom<Status>('new', 'open', 'pending', 'on_hold'), { nil: undefined }),
      createdSeverity: fc.option(fc.constantFrom(...SEVERITIES), { nil: undefined }),
      later: fc.array(fc.tuple(gapArb, eventBodyArb), { maxLength: 10 }),
      now: nowChoiceArb,
    })
    .map(({ policy, createdOffset, createdStatus, createdSeverity, later, now }) => {
      const createdMs = Date.parse(`${anchor}T00:00:00Z`) + createdOffset * MINUTE_MS;
      const created: CaseEvent = { at: iso(createdMs), type: 'created' };
      if (createdStatus !== undefined) created.status = createdStatus;
      if (createdSeverity !== undefined) created.severity = createdSeverity;
      const events: CaseEvent[] = [created];
      let at = 0;
      for (const [gap, body] of later) {
        at += gap;
        if (at > MAX_SPAN_MINUTES) break;
        events.push({ at: iso(createdMs + at * MINUTE_MS), ...body });
      }
      const nowMs =
        now.kind === 'atEvent'
          ? Date.parse((events[now.index % events.length] as CaseEvent).at)
          : createdMs + now.minutes * MINUTE_MS;
      return { now: iso(nowMs), policy, case: { events } };
    }),
);
