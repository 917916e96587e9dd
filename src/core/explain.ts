// "Why is this ticket breached?" (issue 7, Explain): the case's events, each with what it did to each
// clock, plus the instants a clock crossed its at-risk threshold or its target, ending in exactly
// the states `compute` gives (the result IS computeMetricStates' result). Pure, like the engine.
import type { CompiledPolicy } from './metrics.ts';
import { compilePolicy, computeMetricStates, DEFAULT_PAUSE_STATUSES, formatInstant, parseInstant } from './metrics.ts';
import type { CaseEvaluation, CaseEvent, MetricName, Policy, Severity, Status } from './types.ts';
import { METRICS } from './types.ts';

export const CLOCK_CHANGES = ['started', 'paused', 'resumed', 'completed', 'reopened', 'target_changed', 'at_risk', 'breached'] as const;
export type ClockChange = (typeof CLOCK_CHANGES)[number];

export interface ClockEffect {
  metric: MetricName;
  change: ClockChange;
  detail: string;
}

export interface ExplainStep {
  at: string;
  /** What happened: the event, or the crossing of a threshold. */
  what: string;
  /** Index in the case's events; null for a threshold crossing. */
  eventIndex: number | null;
  /** True for events after now, which the evaluation ignores. */
  ignored: boolean;
  effects: ClockEffect[];
}

export interface Explanation {
  /** The calendar each severity is measured in ("24x7" or its zone). */
  calendars: Partial<Record<Severity, string>>;
  steps: ExplainStep[];
  result: CaseEvaluation;
}

const isDone = (status: Status): boolean => status === 'solved' || status === 'closed';

/** "4h", "1h 30m", "45m", "2d 3h". */
export function formatDuration(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', m || (!d && !h) ? `${m}m` : ''].filter(Boolean);
  return parts.join(' ');
}

function describeEvent(event: CaseEvent): string {
  switch (event.type) {
    case 'created':
      return `created (${event.status ?? 'new'}${event.severity ? `, ${event.severity}` : ''})`;
    case 'status':
      return `status ${event.status}`;
    case 'severity':
      return `severity ${event.severity}`;
    case 'agent_reply':
      return 'agent reply';
  }
}

interface ClockState {
  running: boolean;
  completed: boolean;
}

export function explainCase(policy: Policy | CompiledPolicy, events: readonly CaseEvent[], now: string | number): Explanation {
  const compiled = 'rules' in policy ? policy : compilePolicy(policy);
  const result = computeMetricStates(compiled, events, now);
  const nowMs = typeof now === 'number' ? now : parseInstant(now);
  const pause = new Set(compiled.policy.pauseStatuses ?? DEFAULT_PAUSE_STATUSES);
  const targetOf = (severity: Severity, metric: MetricName) => {
    const rule = compiled.rules.get(severity)!;
    return `${formatDuration(rule.targetMs[metric] / 1000)} (${severity}, ${rule.calendar.label})`;
  };

  let status: Status = 'new';
  let severity: Severity = compiled.policy.defaultSeverity;
  const clocks: Record<MetricName, ClockState> = {
    firstResponse: { running: false, completed: false },
    resolution: { running: false, completed: false },
  };
  const runsNow = (metric: MetricName): boolean =>
    metric === 'resolution'
      ? !isDone(status) && !pause.has(status)
      : !clocks.firstResponse.completed && !(compiled.pauseFirstResponse && pause.has(status));

  const steps: ExplainStep[] = [];
  const createdMs = parseInstant(events[0]!.at);
  events.forEach((event, index) => {
    const at = parseInstant(event.at);
    const ignored = index > 0 && (at > nowMs || nowMs < createdMs);
    const step: ExplainStep = { at: event.at, what: describeEvent(event), eventIndex: index, ignored, effects: [] };
    steps.push(step);
    if (ignored) return;
    const before = { firstResponse: { ...clocks.firstResponse }, resolution: { ...clocks.resolution } };
    const wasDone = isDone(status);
    switch (event.type) {
      case 'created':
        status = event.status ?? 'new';
        severity = event.severity ?? compiled.policy.defaultSeverity;
        break;
      case 'status':
        status = event.status;
        break;
      case 'severity':
        severity = event.severity;
        break;
      case 'agent_reply':
        break;
    }
    // Completion rules, as the engine applies them.
    if (event.type === 'created' && isDone(status)) {
      clocks.firstResponse.completed = true;
      clocks.resolution.completed = true;
    }
    if (event.type === 'status' && !wasDone && isDone(status)) {
      clocks.resolution.completed = true;
      clocks.firstResponse.completed = true;
    }
    if (event.type === 'status' && wasDone && !isDone(status)) clocks.resolution.completed = false;
    if (event.type === 'agent_reply') clocks.firstResponse.completed = true;
    for (const metric of METRICS) {
      clocks[metric].running = !clocks[metric].completed && runsNow(metric);
      const was = before[metric];
      const is = clocks[metric];
      let effect: ClockEffect | null = null;
      if (event.type === 'created') {
        effect = is.completed
          ? { metric, change: 'completed', detail: 'created already solved' }
          : { metric, change: is.running ? 'started' : 'paused', detail: `target ${targetOf(severity, metric)}${is.running ? '' : `, paused while ${status}`}` };
      } else if (!was.completed && is.completed) {
        effect = { metric, change: 'completed', detail: event.type === 'agent_reply' ? 'first agent reply' : `status ${status}` };
      } else if (was.completed && !is.completed) {
        effect = { metric, change: 'reopened', detail: `status ${status}: the same clock resumes` };
      } else if (was.running && !is.running && !is.completed) {
        effect = { metric, change: 'paused', detail: `status ${status}` };
      } else if (!was.running && is.running) {
        effect = { metric, change: 'resumed', detail: `status ${status}` };
      } else if (event.type === 'severity' && !is.completed) {
        effect = { metric, change: 'target_changed', detail: `target now ${targetOf(severity, metric)}, counted from created` };
      }
      if (effect) step.effects.push(effect);
    }
  });

  // Threshold crossings, from the result itself so they are exactly the engine's instants.
  for (const metric of METRICS) {
    const m = result.metrics[metric];
    const end = m.completedAt === null ? nowMs : parseInstant(m.completedAt);
    if (m.atRiskAt !== null && parseInstant(m.atRiskAt) <= end && m.state !== 'met') {
      steps.push({ at: m.atRiskAt, what: `${metric} at risk`, eventIndex: null, ignored: false, effects: [{ metric, change: 'at_risk', detail: `${compiled.atRiskPercent}% of ${targetOf(m.severity, metric)} used` }] });
    }
    if (m.breachedAt !== null) {
      steps.push({ at: m.breachedAt, what: `${metric} breached`, eventIndex: null, ignored: false, effects: [{ metric, change: 'breached', detail: `target ${targetOf(m.severity, metric)} reached` }] });
    }
  }
  // In time order; a crossing at the same instant as an event comes after it.
  const order = (s: ExplainStep) => (s.eventIndex === null ? events.length : s.eventIndex);
  steps.sort((a, b) => parseInstant(a.at) - parseInstant(b.at) || order(a) - order(b));

  const calendars: Partial<Record<Severity, string>> = {};
  for (const [s, rule] of compiled.rules) calendars[s] = rule.calendar.label;
  return { calendars, steps: steps.map((s) => ({ ...s, at: formatInstant(parseInstant(s.at)) })), result };
}

/** The explanation as text, one line per step, ending in the states (for the CLI). */
export function renderExplanation(explanation: Explanation, now: string): string[] {
  const lines = explanation.steps.map((s) => {
    const effects = s.ignored ? 'ignored: after now' : s.effects.map((e) => `${e.metric} ${e.change.replace('_', ' ')} (${e.detail})`).join('; ') || 'no clock change';
    return `${s.at}  ${s.what.padEnd(22)} ${effects}`;
  });
  lines.push(`${formatInstant(parseInstant(now))}  now`);
  for (const metric of METRICS) {
    const m = explanation.result.metrics[metric];
    const due = m.dueAt ? `, due ${m.dueAt}` : '';
    lines.push(`  ${metric}: ${m.state}, ${formatDuration(m.elapsedSeconds)} of ${formatDuration(m.targetSeconds)} used (${m.severity})${due}`);
  }
  return lines;
}
