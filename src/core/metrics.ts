// Case timeline to SLA metric states (issue 2, "Metrics"). Pure: `now` is a parameter.
//
// One walk over the events builds, for each metric, the runs of real time during which its clock
// ran, when it completed, and the severity in force at its end. Only then is elapsed time counted,
// in the calendar of that final severity, from `created`: a priority raised mid-flight is measured
// retroactively against the new target (as ServiceNow's retroactive start does), while a completed
// metric keeps the severity it completed under.
import type { BusinessCalendar } from './calendar.ts';
import { compileCalendar } from './calendar.ts';
import type {
  CaseEvaluation,
  CaseEvent,
  MetricName,
  MetricState,
  MetricStateName,
  Policy,
  Severity,
  Status,
} from './types.ts';

export const DEFAULT_PAUSE_STATUSES: readonly Status[] = ['pending', 'on_hold'];
export const DEFAULT_AT_RISK_PERCENT = 75;
export const DEFAULT_OBJECTIVE_PERCENT = 100;

interface SeverityRule {
  calendar: BusinessCalendar;
  targetMs: Record<MetricName, number>;
}

export interface CompiledPolicy {
  readonly policy: Policy;
  readonly pauseStatuses: ReadonlySet<Status>;
  readonly pauseFirstResponse: boolean;
  readonly atRiskPercent: number;
  readonly rules: ReadonlyMap<Severity, SeverityRule>;
}

const compiledPolicies = new WeakMap<Policy, CompiledPolicy>();
/** Equal policies in distinct objects (a JSON array of inputs) share one compilation. */
const compiledByText = new Map<string, CompiledPolicy>();
const MAX_COMPILED_BY_TEXT = 1000;

/** Calendars and targets resolved once per policy (cached on the object, then on its JSON text). */
export function compilePolicy(policy: Policy): CompiledPolicy {
  const cached = compiledPolicies.get(policy);
  if (cached) return cached;
  const text = JSON.stringify(policy);
  const same = compiledByText.get(text);
  if (same) {
    compiledPolicies.set(policy, same);
    return same;
  }
  const compiled = compilePolicyUncached(policy);
  compiledPolicies.set(policy, compiled);
  if (compiledByText.size >= MAX_COMPILED_BY_TEXT) compiledByText.clear();
  compiledByText.set(text, compiled);
  return compiled;
}

function compilePolicyUncached(policy: Policy): CompiledPolicy {
  const rules = new Map<Severity, SeverityRule>();
  for (const [severity, targets] of Object.entries(policy.severities) as [Severity, NonNullable<Policy['severities'][Severity]>][]) {
    rules.set(severity, {
      calendar: compileCalendar(targets.calendar ?? policy.calendar),
      targetMs: {
        firstResponse: targets.firstResponseMinutes * 60_000,
        resolution: targets.resolutionMinutes * 60_000,
      },
    });
  }
  const compiled: CompiledPolicy = {
    policy,
    pauseStatuses: new Set(policy.pauseStatuses ?? DEFAULT_PAUSE_STATUSES),
    pauseFirstResponse: policy.pauseFirstResponse ?? false,
    atRiskPercent: policy.atRiskPercent ?? DEFAULT_AT_RISK_PERCENT,
    rules,
  };
  return compiled;
}

function isDone(status: Status): boolean {
  return status === 'solved' || status === 'closed';
}

function resolutionRunsIn(status: Status, pause: ReadonlySet<Status>): boolean {
  return !isDone(status) && !pause.has(status);
}

function firstResponseRunsIn(clock: ClockHistory, status: Status, pause: ReadonlySet<Status>, pauseFirstResponse: boolean): boolean {
  return clock.completedAtMs === null && !(pauseFirstResponse && pause.has(status));
}

/** What one clock did over the timeline: the real-time runs it ran in, and how it ended. */
interface ClockHistory {
  /** Flat [start, end, start, end, ...] in epoch ms. */
  runs: number[];
  completedAtMs: number | null;
  severity: Severity;
  runningAtEnd: boolean;
}

/** "2026-12-28T14:30:00Z": ISO 8601 in UTC, milliseconds only when there are any. */
export function formatInstant(ms: number): string {
  if (ms % 1000 !== 0 || ms < 0) {
    const text = new Date(ms).toISOString();
    return ms % 1000 === 0 ? `${text.slice(0, 19)}Z` : text;
  }
  // Civil date from days (Howard Hinnant's algorithm): faster than toISOString on the hot path.
  const days = Math.floor(ms / 86_400_000);
  let rest = ms - days * 86_400_000;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const hh = Math.floor(rest / 3_600_000);
  rest -= hh * 3_600_000;
  const mm = Math.floor(rest / 60_000);
  const ss = (rest - mm * 60_000) / 1000;
  return `${y}-${PAD2[m]}-${PAD2[d]}T${PAD2[hh]}:${PAD2[mm]}:${PAD2[ss]}Z`;
}

const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

/** The number written by two ASCII digits at i, or NaN when they are not digits. */
function twoDigits(text: string, i: number): number {
  const a = text.charCodeAt(i) - 48;
  const b = text.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : Number.NaN;
}

/**
 * Epoch ms of an ISO 8601 instant. The form every connector and the store produce,
 * "YYYY-MM-DDTHH:MM:SSZ", is read by hand (days from the civil date, Howard Hinnant's algorithm),
 * several times faster than Date.parse; anything else (offsets, fractions) goes to Date.parse.
 */
export function parseInstant(text: string): number {
  if (text.length === 20 && text.charCodeAt(19) === 90 /* Z */ && text.charCodeAt(10) === 84 /* T */) {
    const y = twoDigits(text, 0) * 100 + twoDigits(text, 2);
    const m = twoDigits(text, 5);
    const d = twoDigits(text, 8);
    const hh = twoDigits(text, 11);
    const mm = twoDigits(text, 14);
    const ss = twoDigits(text, 17);
    if (m >= 1 && m <= 12 && d >= 1 && d <= 31 && hh <= 23 && mm <= 59 && ss <= 59 && y >= 0) {
      const yy = m <= 2 ? y - 1 : y;
      const era = Math.floor(yy / 400);
      const yoe = yy - era * 400;
      const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
      const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
      const days = era * 146097 + doe - 719468;
      return days * 86_400_000 + hh * 3_600_000 + mm * 60_000 + ss * 1000;
    }
  }
  return Date.parse(text);
}

/** Earliest instant at which the clock's counted business time reaches amount (amount <= total). */
function instantReached(calendar: BusinessCalendar, runs: readonly number[], amount: number): number | null {
  let counted = 0;
  for (let i = 0; i < runs.length; i += 2) {
    const inRun = calendar.businessMsBetween(runs[i]!, runs[i + 1]!);
    if (counted + inRun >= amount) return calendar.addBusinessMs(runs[i]!, amount - counted);
    counted += inRun;
  }
  return null;
}

function metricState(
  compiled: CompiledPolicy,
  metric: MetricName,
  clock: ClockHistory,
  createdMs: number,
  nowMs: number,
): MetricState {
  const rule = compiled.rules.get(clock.severity);
  if (!rule) throw new Error(`policy has no targets for ${clock.severity}`); // validated at the edge
  const { calendar } = rule;
  const target = rule.targetMs[metric];
  let elapsed = 0;
  for (let i = 0; i < clock.runs.length; i += 2) elapsed += calendar.businessMsBetween(clock.runs[i]!, clock.runs[i + 1]!);
  const completed = clock.completedAtMs !== null;
  const running = !completed && clock.runningAtEnd;

  let state: MetricStateName;
  if (completed) state = elapsed <= target ? 'met' : 'breached';
  else if (elapsed >= target) state = 'breached';
  else if (!running) state = 'paused';
  else if (elapsed >= (target * compiled.atRiskPercent) / 100) state = 'at_risk';
  else state = 'running';

  const due = crossing(calendar, clock.runs, elapsed, running, target, createdMs, nowMs);
  const atRisk = crossing(calendar, clock.runs, elapsed, running, (target * compiled.atRiskPercent) / 100, createdMs, nowMs);
  const dueAt = due === null ? null : formatInstant(due);
  return {
    state,
    severity: clock.severity,
    targetSeconds: target / 1000,
    elapsedSeconds: elapsed / 1000,
    remainingSeconds: Math.max(0, target - elapsed) / 1000,
    dueAt,
    atRiskAt: atRisk === null ? null : formatInstant(atRisk),
    breachedAt: state === 'breached' ? dueAt : null,
    completedAt: clock.completedAtMs === null ? null : formatInstant(clock.completedAtMs),
  };
}

/**
 * The instant a threshold is (or will be) crossed: looked up in the history when already reached,
 * extrapolated from now while the clock runs, unknown while it is paused or after completion.
 */
function crossing(
  calendar: BusinessCalendar,
  runs: readonly number[],
  elapsed: number,
  running: boolean,
  threshold: number,
  createdMs: number,
  nowMs: number,
): number | null {
  if (threshold <= 0) return createdMs;
  if (elapsed >= threshold) return instantReached(calendar, runs, threshold);
  return running ? calendar.addBusinessMs(nowMs, threshold - elapsed) : null;
}

/**
 * The SLA state of one case at `now`. Events must be valid (see validateComputeInput): `created`
 * first, times non-decreasing, severities defined by the policy. Events after `now` are ignored.
 */
export function computeMetricStates(
  policy: Policy | CompiledPolicy,
  events: readonly CaseEvent[],
  now: string | number,
): CaseEvaluation {
  const compiled = 'rules' in policy ? policy : compilePolicy(policy);
  const nowInput = typeof now === 'number' ? now : parseInstant(now);
  const created = events[0];
  if (!created || created.type !== 'created') throw new Error('a case timeline starts with its created event');
  const createdMs = parseInstant(created.at);
  // A case "created in the future" (clock skew between a vendor and us) has simply used no time yet.
  const nowMs = Math.max(nowInput, createdMs);
  const pause = compiled.pauseStatuses;

  let status: Status = created.status ?? 'new';
  let severity: Severity = created.severity ?? compiled.policy.defaultSeverity;
  const resolution: ClockHistory = { runs: [], completedAtMs: null, severity, runningAtEnd: false };
  const firstResponse: ClockHistory = { runs: [], completedAtMs: null, severity, runningAtEnd: false };
  let resolutionSeverityAtCompletion: Severity = severity;
  if (isDone(status)) {
    resolution.completedAtMs = createdMs;
    firstResponse.completedAtMs = createdMs;
  }

  // Plain loops and no closures: this is the hot path of every sync and report.
  let previous = createdMs;
  const applicable = nowInput < createdMs ? 1 : events.length;
  for (let i = 1; i < applicable; i++) {
    const event = events[i]!;
    const at = parseInstant(event.at);
    if (at > nowMs) continue; // events after now are ignored
    if (at > previous) {
      if (resolutionRunsIn(status, pause)) resolution.runs.push(previous, at);
      if (firstResponseRunsIn(firstResponse, status, pause, compiled.pauseFirstResponse)) firstResponse.runs.push(previous, at);
      previous = at;
    }
    switch (event.type) {
      case 'status': {
        const wasDone = isDone(status);
        status = event.status;
        if (!wasDone && isDone(status)) {
          resolution.completedAtMs = at;
          resolutionSeverityAtCompletion = severity;
          if (firstResponse.completedAtMs === null) {
            firstResponse.completedAtMs = at;
            firstResponse.severity = severity;
          }
        } else if (wasDone && !isDone(status)) {
          resolution.completedAtMs = null; // a reopen resumes the same clock
        }
        break;
      }
      case 'severity':
        severity = event.severity;
        break;
      case 'agent_reply':
        if (firstResponse.completedAtMs === null) {
          firstResponse.completedAtMs = at;
          firstResponse.severity = severity;
        }
        break;
      case 'created':
        throw new Error('a case has one created event');
    }
  }
  if (nowMs > previous) {
    if (resolutionRunsIn(status, pause)) resolution.runs.push(previous, nowMs);
    if (firstResponseRunsIn(firstResponse, status, pause, compiled.pauseFirstResponse)) firstResponse.runs.push(previous, nowMs);
  }

  resolution.severity = resolution.completedAtMs === null ? severity : resolutionSeverityAtCompletion;
  resolution.runningAtEnd = resolutionRunsIn(status, pause);
  if (firstResponse.completedAtMs === null) firstResponse.severity = severity;
  firstResponse.runningAtEnd = firstResponseRunsIn(firstResponse, status, pause, compiled.pauseFirstResponse);

  return {
    severity,
    status,
    metrics: {
      firstResponse: metricState(compiled, 'firstResponse', firstResponse, createdMs, nowMs),
      resolution: metricState(compiled, 'resolution', resolution, createdMs, nowMs),
    },
  };
}
