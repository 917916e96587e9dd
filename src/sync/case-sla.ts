// The SLA of one case as the agents' countdown views show it (issues 4, 5, 7): the Jira issue panel,
// the Zendesk sidebar and the case page all render this one shape with src/web/assets/sla-countdown.js.
//
// States are computed live at `now` from the stored timeline (never read back from metric_states,
// which may be a job behind). A running clock comes with the business intervals ahead of it, so the
// browser can tick it second by second in business time without knowing the calendar: outside
// business hours the countdown stands still, exactly as the engine counts.
import { describeCalendar } from '../core/calendar.ts';
import { formatInstant } from '../core/metrics.ts';
import { computeMetricStates } from '../core/metrics.ts';
import type { CalendarInput, MetricName, MetricState, Severity, Status } from '../core/types.ts';
import { METRICS } from '../core/types.ts';
import type { StoredCase } from '../store/cases-repo.ts';
import type { Db } from '../store/db.ts';
import type { AgreementOptions } from './explain.ts';
import { loadCaseWithAgreement } from './explain.ts';

/** How far ahead a running clock's business intervals are sent; the view reloads long before. */
export const TICK_WINDOW_MS = 14 * 86_400_000;
/** At most this many intervals (a calendar of many short shifts over 14 days). */
const MAX_INTERVALS = 400;

export const METRIC_LABELS: Record<MetricName, string> = { firstResponse: 'First response', resolution: 'Resolution' };

const PAUSE_REASONS: Partial<Record<Status, string>> = {
  pending: 'waiting on the requester (pending)',
  on_hold: 'on hold, waiting on a third party',
  new: 'paused by the policy while new',
  open: 'paused by the policy while open',
};

/** A metric's engine state (at `evaluatedAt`) with what a countdown view needs besides. */
export interface MetricView extends MetricState {
  metric: MetricName;
  label: string;
  /** The calendar the metric counts in, in words, and its zone for showing due times. */
  calendar: string;
  timezone: string;
  /** Why the clock stands still, when it is paused. */
  pauseReason: string | null;
  /**
   * For a clock that is counting (running or at risk, even past due): the business intervals from
   * `evaluatedAt` on, as [startMs, endMs) pairs, within TICK_WINDOW_MS. null when it is not counting.
   */
  ticking: [number, number][] | null;
}

export interface CaseSlaView {
  case: { id: number; connection: string; externalKey: string; title: string; url: string; status: Status; severity: Severity };
  customer: string | null;
  policy: string;
  /** The rule that chose the policy; null: the connection's default. */
  rule: string | null;
  evaluatedAt: string;
  metrics: MetricView[];
  /** Where "why?" leads: the explanation of this case, reachable with the same credentials as the view. */
  explainUrl: string;
}

export async function caseSlaView(db: Db, stored: StoredCase, nowMs: number, options: { explainUrl: string } & AgreementOptions): Promise<CaseSlaView> {
  const { connection, agreement, events } = await loadCaseWithAgreement(db, stored, options);
  const compiled = agreement.policy;
  const evaluation = computeMetricStates(compiled, events, nowMs);
  const calendarOf = (severity: Severity): CalendarInput | undefined => compiled.policy.severities[severity]?.calendar ?? compiled.policy.calendar;
  const metrics = METRICS.map((metric): MetricView => {
    const state = evaluation.metrics[metric];
    const rule = compiled.rules.get(state.severity);
    const calendar = rule?.calendar;
    const counting = state.completedAt === null && (state.state === 'running' || state.state === 'at_risk' || state.state === 'breached');
    let ticking: [number, number][] | null = null;
    if (counting && calendar) ticking = calendar.businessIntervals(nowMs, nowMs + TICK_WINDOW_MS).slice(0, MAX_INTERVALS);
    return {
      metric,
      label: METRIC_LABELS[metric],
      ...state,
      calendar: describeCalendar(calendarOf(state.severity)),
      timezone: calendar?.timezone ?? 'UTC',
      pauseReason: state.state === 'paused' ? (PAUSE_REASONS[evaluation.status] ?? `paused while ${evaluation.status}`) : null,
      ticking,
    };
  });
  return {
    case: { id: stored.id, connection: connection.name, externalKey: stored.externalKey, title: stored.title, url: stored.url, status: evaluation.status, severity: evaluation.severity },
    customer: agreement.customer,
    policy: agreement.policyName,
    rule: agreement.rule,
    evaluatedAt: formatInstant(nowMs),
    metrics,
    explainUrl: options.explainUrl,
  };
}
