// A deliberately naive reference for the SLA engine (issue 2), written from the issue text and
// the rules in the property-test brief, NOT from src/core. It walks real time minute by minute:
// for every real minute it asks luxon for the local wall-clock reading and decides whether that
// minute counts. Slow and obvious on purpose; the property test compares it with src/core.
//
// Only whole-minute instants are supported (the generators produce nothing else).
//
// The one concession to speed: luxon's zone offset for an exact real minute is memoised (it is a
// pure function of zone and instant, and luxon spends ~14 µs per lookup on Node 20), and so is
// the parsing of "HH:MM" strings. Nothing else is cached or precomputed.

import { DateTime } from 'luxon';
import type {
  CalendarInput,
  CaseEvaluation,
  CaseEvent,
  ComputeInput,
  MetricName,
  MetricState,
  Policy,
  Severity,
  Status,
  Weekday,
} from '../../src/core/types.ts';

const MINUTE_MS = 60_000;
/** How far a running clock is extrapolated into the future before we give up (a generator bug). */
const EXTRAPOLATION_CAP_MINUTES = 60 * 24 * 60;
const WEEKDAY_BY_JS_DAY: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const DEFAULT_PAUSE_STATUSES: readonly Status[] = ['pending', 'on_hold'];
const DEFAULT_AT_RISK_PERCENT = 75;

// ---------------------------------------------------------------------------------------------
// Wall clock and calendars

/** Per zone, per UTC day: luxon's offset (minutes) for each real minute of that day. */
const offsetMemo = new Map<string, Map<number, Int16Array>>();
const UNKNOWN = -32768;

/** Offset of `zone` from UTC in minutes at the real instant `ms` (a whole minute), as luxon says. */
function offsetMinutes(zone: string, ms: number): number {
  let perZone = offsetMemo.get(zone);
  if (perZone === undefined) {
    perZone = new Map();
    offsetMemo.set(zone, perZone);
  }
  const day = Math.floor(ms / (1440 * MINUTE_MS));
  let perDay = perZone.get(day);
  if (perDay === undefined) {
    perDay = new Int16Array(1440).fill(UNKNOWN);
    perZone.set(day, perDay);
  }
  const minute = (ms - day * 1440 * MINUTE_MS) / MINUTE_MS;
  let offset = perDay[minute] as number;
  if (offset === UNKNOWN) {
    const dt = DateTime.fromMillis(ms, { zone });
    if (!dt.isValid) throw new Error(`naive: bad zone ${zone}`);
    offset = dt.offset;
    perDay[minute] = offset;
  }
  return offset;
}

export interface WallClock {
  /** The local reading as a Date whose UTC fields are the local fields. */
  local: Date;
  weekday: Weekday;
  /** Local minutes since local midnight, 0..1439. */
  minuteOfDay: number;
}

/** The local wall-clock reading in `zone` of the real instant `ms`. */
export function wallClock(zone: string, ms: number): WallClock {
  // Local fields = UTC fields of the instant shifted by the zone's offset at that instant.
  const local = new Date(ms + offsetMinutes(zone, ms) * MINUTE_MS);
  const weekday = WEEKDAY_BY_JS_DAY[local.getUTCDay()];
  if (weekday === undefined) throw new Error('unreachable');
  return { local, weekday, minuteOfDay: local.getUTCHours() * 60 + local.getUTCMinutes() };
}

/** Local date, YYYY-MM-DD. */
function localDate(wall: WallClock): string {
  return wall.local.toISOString().slice(0, 10);
}

const hhmmMemo = new Map<string, number>();

function hhmmToMinutes(text: string): number {
  let minutes = hhmmMemo.get(text);
  if (minutes === undefined) {
    const match = /^(\d\d):(\d\d)$/.exec(text);
    if (match === null) throw new Error(`naive: bad HH:MM ${text}`);
    minutes = Number(match[1]) * 60 + Number(match[2]);
    hhmmMemo.set(text, minutes);
  }
  return minutes;
}

/** Does the real minute starting at `ms` count as business time in `calendar`? */
export function isBusinessMinute(calendar: CalendarInput, ms: number): boolean {
  if (calendar === '24x7') return true;
  const wall = wallClock(calendar.timezone, ms);
  let inInterval = false;
  for (const [start, end] of calendar.week[wall.weekday] ?? []) {
    if (hhmmToMinutes(start) <= wall.minuteOfDay && wall.minuteOfDay < hhmmToMinutes(end)) inInterval = true;
  }
  return inInterval && !(calendar.holidays ?? []).includes(localDate(wall));
}

// ---------------------------------------------------------------------------------------------
// Case state

interface Snapshot {
  status: Status;
  severity: Severity;
}

function isDone(status: Status | undefined): boolean {
  return status === 'solved' || status === 'closed';
}

function apply(state: Snapshot | undefined, event: CaseEvent, policy: Policy): Snapshot {
  if (event.type === 'created') {
    return { status: event.status ?? 'new', severity: event.severity ?? policy.defaultSeverity };
  }
  if (state === undefined) throw new Error('naive: the first event must be created');
  if (event.type === 'status') return { status: event.status, severity: state.severity };
  if (event.type === 'severity') return { status: state.status, severity: event.severity };
  return state;
}

/** An event with its instant parsed. */
interface Timed {
  ms: number;
  event: CaseEvent;
}

/** State after applying the first `count` events (array order). */
function stateAfterCount(events: readonly Timed[], count: number, policy: Policy): Snapshot {
  let state: Snapshot | undefined;
  for (let i = 0; i < count; i++) state = apply(state, (events[i] as Timed).event, policy);
  if (state === undefined) throw new Error('naive: no events');
  return state;
}

/** State in force during the real minute starting at `ms`: every event with at <= ms applied. */
function stateAt(events: readonly Timed[], ms: number, policy: Policy): Snapshot {
  let state: Snapshot | undefined;
  for (const timed of events) {
    if (timed.ms <= ms) state = apply(state, timed.event, policy);
  }
  if (state === undefined) throw new Error('naive: asked for the state before created');
  return state;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function wholeMinute(ms: number, what: string): number {
  if (!Number.isFinite(ms) || ms % MINUTE_MS !== 0) throw new Error(`naive: ${what} is not a whole minute`);
  return ms;
}

// ---------------------------------------------------------------------------------------------
// The reference

export function naiveCompute(input: ComputeInput): CaseEvaluation {
  const { policy } = input;
  const nowMs = wholeMinute(Date.parse(input.now), 'now');
  const first = input.case.events[0];
  if (first === undefined || first.type !== 'created') throw new Error('naive: the first event must be created');
  const createdMs = wholeMinute(Date.parse(first.at), 'created.at');
  for (const event of input.case.events) wholeMinute(Date.parse(event.at), `event at ${event.at}`);

  const pauseStatuses = policy.pauseStatuses ?? DEFAULT_PAUSE_STATUSES;
  const atRiskPercent = policy.atRiskPercent ?? DEFAULT_AT_RISK_PERCENT;

  const targetsOf = (severity: Severity) => {
    const targets = policy.severities[severity];
    if (targets === undefined) throw new Error(`naive: no targets for ${severity}`);
    return targets;
  };
  const calendarOf = (severity: Severity): CalendarInput => targetsOf(severity).calendar ?? policy.calendar ?? '24x7';

  // now before created (clock skew): the case is taken as it stands at its creation, with nothing
  // elapsed; a case created on hold is paused, one created solved is complete.
  if (nowMs < createdMs) return naiveCompute({ ...input, now: first.at, case: { events: [first] } });

  // Events after now are ignored.
  const events: Timed[] = input.case.events
    .map((event) => ({ ms: Date.parse(event.at), event }))
    .filter((timed) => timed.ms <= nowMs);
  const final = stateAfterCount(events, events.length, policy);

  // Indices of the events at which the status went from not done to done (array order).
  const doneTransitions: number[] = [];
  let previous: Status | undefined;
  events.forEach((timed, index) => {
    const next = apply(index === 0 ? undefined : stateAfterCount(events, index, policy), timed.event, policy).status;
    if (!isDone(previous) && isDone(next)) doneTransitions.push(index);
    previous = next;
  });

  const firstReply = events.findIndex((timed) => timed.event.type === 'agent_reply');
  const firstDone = doneTransitions[0] ?? -1;
  const firstResponseEnd = [firstReply, firstDone].filter((i) => i >= 0).sort((a, b) => a - b)[0];
  const resolutionEnd = isDone(final.status) ? doneTransitions[doneTransitions.length - 1] : undefined;

  const metric = (name: MetricName, completionIndex: number | undefined): MetricState => {
    const completed = completionIndex !== undefined;
    const severity = completed ? stateAfterCount(events, completionIndex + 1, policy).severity : final.severity;
    const targets = targetsOf(severity);
    const calendar = calendarOf(severity);
    const targetSeconds = (name === 'firstResponse' ? targets.firstResponseMinutes : targets.resolutionMinutes) * 60;
    const atRiskSeconds = (targetSeconds * atRiskPercent) / 100;
    const completedMs = completed ? (events[completionIndex] as Timed).ms : undefined;
    const endMs = completedMs ?? nowMs;

    const clockRunsWith = (status: Status): boolean => {
      if (name === 'resolution') return !isDone(status) && !pauseStatuses.includes(status);
      return !(policy.pauseFirstResponse === true && pauseStatuses.includes(status));
    };
    const runningDuring = (ms: number): boolean => clockRunsWith(stateAt(events, ms, policy).status);

    // Elapsed: every real minute from created to the end during which the clock ran and the
    // metric's calendar counted.
    let elapsedSeconds = 0;
    for (let t = createdMs; t < endMs; t += MINUTE_MS) {
      if (runningDuring(t) && isBusinessMinute(calendar, t)) elapsedSeconds += 60;
    }

    const pausedAtNow = !completed && !clockRunsWith(final.status);

    /** Instant the clock's running business time reaches `threshold` seconds, or null. */
    const reaches = (threshold: number): string | null => {
      if (elapsedSeconds >= threshold) {
        let counted = 0;
        for (let t = createdMs; t < endMs; t += MINUTE_MS) {
          if (runningDuring(t) && isBusinessMinute(calendar, t)) {
            if (counted + 60 >= threshold) return iso(t + (threshold - counted) * 1000);
            counted += 60;
          }
        }
        throw new Error('naive: threshold not found again');
      }
      if (completed || pausedAtNow) return null;
      return iso(forwardFrom(nowMs, elapsedSeconds, threshold, calendar));
    };

    let state: MetricState['state'];
    if (completed) state = elapsedSeconds <= targetSeconds ? 'met' : 'breached';
    else if (elapsedSeconds >= targetSeconds) state = 'breached';
    else if (pausedAtNow) state = 'paused';
    else if (elapsedSeconds >= atRiskSeconds) state = 'at_risk';
    else state = 'running';

    const dueAt = reaches(targetSeconds);
    return {
      state,
      severity,
      targetSeconds,
      elapsedSeconds,
      remainingSeconds: Math.max(0, targetSeconds - elapsedSeconds),
      dueAt,
      atRiskAt: reaches(atRiskSeconds),
      breachedAt: state === 'breached' ? dueAt : null,
      completedAt: completedMs === undefined ? null : iso(completedMs),
    };
  };

  return {
    severity: final.severity,
    status: final.status,
    metrics: {
      firstResponse: metric('firstResponse', firstResponseEnd),
      resolution: metric('resolution', resolutionEnd),
    },
  };
}

/** Walk forward from `fromMs` (clock assumed running) until `counted` reaches `threshold`. */
function forwardFrom(fromMs: number, counted: number, threshold: number, calendar: CalendarInput): number {
  let total = counted;
  for (let i = 0, t = fromMs; i < EXTRAPOLATION_CAP_MINUTES; i++, t += MINUTE_MS) {
    if (isBusinessMinute(calendar, t)) {
      if (total + 60 >= threshold) return t + (threshold - total) * 1000;
      total += 60;
    }
  }
  throw new Error('naive: extrapolation cap reached');
}
