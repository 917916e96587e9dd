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

/** Calendars and targets resolved once per policy object (cached on the object's identity). */
export function compilePolicy(policy: Policy): CompiledPolicy {
  const cached = compiledPolicies.get(policy);
  if (cached) return cached;
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
  compiledPolicies.set(policy, compiled);
  return compiled;
}

const isDone = (status: Status): boolean => status === 'solved' || status === 'closed';

/** What one clock did over the timeline: the real-time runs it ran in, and how it ended. */
interface ClockHistory {
  /** Flat [start, end, start, end, ...] in epoch ms. */
  runs: number[];
  completedAtMs: number | null;
  severity: Severity;
  runningAtEnd: boolean;
}

export function formatInstant(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
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

  // The instant a threshold is (or will be) crossed: looked up in the history when already reached,
  // extrapolated from now while the clock runs, unknown while it is paused or after completion.
  const crossing = (threshold: number): number | null => {
    if (threshold <= 0) return createdMs;
    if (elapsed >= threshold) return instantReached(calendar, clock.runs, threshold);
    return running ? calendar.addBusinessMs(nowMs, threshold - elapsed) : null;
  };

  let state: MetricStateName;
  if (completed) state = elapsed <= target ? 'met' : 'breached';
  else if (elapsed >= target) state = 'breached';
  else if (!running) state = 'paused';
  else if (elapsed >= (target * compiled.atRiskPercent) / 100) state = 'at_risk';
  else state = 'running';

  const due = crossing(target);
  const atRisk = crossing((target * compiled.atRiskPercent) / 100);
  return {
    state,
    severity: clock.severity,
    targetSeconds: target / 1000,
    elapsedSeconds: elapsed / 1000,
    remainingSeconds: Math.max(0, target - elapsed) / 1000,
    dueAt: due === null ? null : formatInstant(due),
    atRiskAt: atRisk === null ? null : formatInstant(atRisk),
    breachedAt: state === 'breached' && due !== null ? formatInstant(due) : null,
    completedAt: clock.completedAtMs === null ? null : formatInstant(clock.completedAtMs),
  };
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
  const nowInput = typeof now === 'number' ? now : Date.parse(now);
  const created = events[0];
  if (!created || created.type !== 'created') throw new Error('a case timeline starts with its created event');
  const createdMs = Date.parse(created.at);
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

  const resolutionRuns = (): boolean => !isDone(status) && !pause.has(status);
  const firstResponseRuns = (): boolean =>
    firstResponse.completedAtMs === null && !(compiled.pauseFirstResponse && pause.has(status));
  const account = (from: number, to: number): void => {
    if (to <= from) return;
    if (resolutionRuns()) resolution.runs.push(from, to);
    if (firstResponseRuns()) firstResponse.runs.push(from, to);
  };

  let previous = createdMs;
  const applicable = nowInput < createdMs ? 1 : events.length;
  for (let i = 1; i < applicable; i++) {
    const event = events[i]!;
    const at = Date.parse(event.at);
    if (at > nowMs) continue; // events after now are ignored
    account(previous, at);
    previous = Math.max(previous, at);
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
  account(previous, nowMs);

  resolution.severity = resolution.completedAtMs === null ? severity : resolutionSeverityAtCompletion;
  resolution.runningAtEnd = resolutionRuns();
  if (firstResponse.completedAtMs === null) firstResponse.severity = severity;
  firstResponse.runningAtEnd = firstResponseRuns();

  return {
    severity,
    status,
    metrics: {
      firstResponse: metricState(compiled, 'firstResponse', firstResponse, createdMs, nowMs),
      resolution: metricState(compiled, 'resolution', resolution, createdMs, nowMs),
    },
  };
}
