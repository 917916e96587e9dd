// Types of the SLA engine. These are the shapes of the public `sla-sync compute` contract
// (issue 2): field names and meanings are stable; extra fields may be added, never renamed.

export const SEVERITIES = ['S1', 'S2', 'S3', 'S4'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const STATUSES = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'] as const;
export type Status = (typeof STATUSES)[number];

/** A status that completes the resolution clock (and answers the customer). */
export const DONE_STATUSES: readonly Status[] = ['solved', 'closed'];

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Local wall-clock interval, "HH:MM" to "HH:MM" ("24:00" allowed as an end), start < end. */
export type WallInterval = readonly [string, string];

export interface CalendarSpec {
  /** IANA zone, e.g. "America/New_York". */
  timezone: string;
  /** Business hours per weekday; a missing day has none. */
  week: Partial<Record<Weekday, readonly WallInterval[]>>;
  /** Local dates (YYYY-MM-DD) with no business time. */
  holidays?: readonly string[];
}

/** A calendar, or the literal "24x7": every real second counts. */
export type CalendarInput = CalendarSpec | '24x7';

export interface SeverityTargets {
  firstResponseMinutes: number;
  resolutionMinutes: number;
  /** Overrides the policy calendar for cases of this severity. */
  calendar?: CalendarInput;
  /** Share of completed metrics that must be met; default 100. */
  objectivePercent?: number;
}

export interface Policy {
  calendar?: CalendarInput;
  severities: Partial<Record<Severity, SeverityTargets>>;
  defaultSeverity: Severity;
  pauseStatuses?: readonly Status[];
  pauseFirstResponse?: boolean;
  atRiskPercent?: number;
}

export type CaseEvent =
  | { at: string; type: 'created'; status?: Status; severity?: Severity }
  | { at: string; type: 'status'; status: Status }
  | { at: string; type: 'severity'; severity: Severity }
  | { at: string; type: 'agent_reply' };

export type EventType = CaseEvent['type'];

export interface CaseTimeline {
  events: readonly CaseEvent[];
}

export const METRICS = ['firstResponse', 'resolution'] as const;
export type MetricName = (typeof METRICS)[number];

export const METRIC_STATES = ['met', 'breached', 'paused', 'at_risk', 'running'] as const;
export type MetricStateName = (typeof METRIC_STATES)[number];

export interface MetricState {
  state: MetricStateName;
  /** Severity whose target and calendar this metric is measured against (in force at its end). */
  severity: Severity;
  targetSeconds: number;
  /** Business seconds counted up to completion or now. */
  elapsedSeconds: number;
  remainingSeconds: number;
  /** Instant elapsed business time reaches the target (see issue 2 for when it is null). */
  dueAt: string | null;
  /** Instant elapsed business time reaches the at-risk threshold, when it is known. */
  atRiskAt: string | null;
  breachedAt: string | null;
  completedAt: string | null;
}

export interface CaseEvaluation {
  /** Severity in force at now. */
  severity: Severity;
  status: Status;
  metrics: Record<MetricName, MetricState>;
}

export interface ComputeInput {
  now: string;
  policy: Policy;
  case: CaseTimeline;
}
