// Compliance for a period (issue 2, "Compliance"): the share of metrics completed in the period
// that met their target, per severity and overall, against each severity's objective. Open cases
// already breached or at risk are counted apart and stay out of the percentage, as JSM's and
// FastSLA's reports do: a running clock has no outcome yet.
import { DEFAULT_OBJECTIVE_PERCENT } from './metrics.ts';
import type { MetricName, MetricStateName, Policy, Severity } from './types.ts';
import { METRICS, SEVERITIES } from './types.ts';

/** One metric of one case, as stored after evaluation. */
export interface MetricOutcome {
  metric: MetricName;
  /** The severity the metric is measured against (in force at its completion or at evaluation). */
  severity: Severity;
  state: MetricStateName;
  /** Epoch ms of completion, null while open. */
  completedAtMs: number | null;
  /** The objective of that severity in the case's policy. */
  objectivePercent: number;
  /** Optional grouping key (source, connection, customer...); rows are computed per group. */
  group?: string;
}

export interface ComplianceRow {
  group: string;
  metric: MetricName;
  severity: Severity | 'all';
  /** Metrics completed in the period. */
  completed: number;
  met: number;
  breached: number;
  /** met / completed * 100, null when nothing completed. */
  percentMet: number | null;
  /** The severity's objective; the strictest one when the cases' policies differ; null for "all". */
  objectivePercent: number | null;
  objectiveMixed: boolean;
  /** percentMet >= objective; for "all", every severity with completions passes; null without data. */
  pass: boolean | null;
  /** Open (not completed) metrics already breached, and at risk, at evaluation time. */
  openBreached: number;
  openAtRisk: number;
}

export interface ComplianceQuery {
  /** Period [fromMs, toMs): a metric counts when it completed inside it. */
  fromMs: number;
  toMs: number;
}

interface Tally {
  completed: number;
  met: number;
  breached: number;
  openBreached: number;
  openAtRisk: number;
  objectives: Set<number>;
}

const emptyTally = (): Tally => ({ completed: 0, met: 0, breached: 0, openBreached: 0, openAtRisk: 0, objectives: new Set() });

/** The objective per severity of a policy (default 100%). */
export function objectiveFor(policy: Policy, severity: Severity): number {
  return policy.severities[severity]?.objectivePercent ?? DEFAULT_OBJECTIVE_PERCENT;
}

function tallyOutcome(tally: Tally, outcome: MetricOutcome, query: ComplianceQuery): void {
  if (outcome.completedAtMs === null) {
    if (outcome.state === 'breached') tally.openBreached++;
    else if (outcome.state === 'at_risk') tally.openAtRisk++;
    return;
  }
  if (outcome.completedAtMs < query.fromMs || outcome.completedAtMs >= query.toMs) return;
  tally.completed++;
  tally.objectives.add(outcome.objectivePercent);
  if (outcome.state === 'met') tally.met++;
  else tally.breached++;
}

function toRow(group: string, metric: MetricName, severity: Severity, tally: Tally): ComplianceRow {
  const percentMet = tally.completed === 0 ? null : (tally.met / tally.completed) * 100;
  const objectivePercent = tally.objectives.size === 0 ? null : Math.max(...tally.objectives);
  return {
    group,
    metric,
    severity,
    completed: tally.completed,
    met: tally.met,
    breached: tally.breached,
    percentMet,
    objectivePercent,
    objectiveMixed: tally.objectives.size > 1,
    pass: percentMet === null || objectivePercent === null ? null : percentMet >= objectivePercent,
    openBreached: tally.openBreached,
    openAtRisk: tally.openAtRisk,
  };
}

/**
 * Rows per group, metric and severity (S1..S4 present in the data, then "all"), in a stable order:
 * groups sorted, metrics firstResponse then resolution, severities S1..S4 then all.
 */
export function computeCompliance(outcomes: Iterable<MetricOutcome>, query: ComplianceQuery): ComplianceRow[] {
  const tallies = new Map<string, Map<MetricName, Map<Severity, Tally>>>();
  for (const outcome of outcomes) {
    const group = outcome.group ?? '';
    let byMetric = tallies.get(group);
    if (!byMetric) tallies.set(group, (byMetric = new Map()));
    let bySeverity = byMetric.get(outcome.metric);
    if (!bySeverity) byMetric.set(outcome.metric, (bySeverity = new Map()));
    let tally = bySeverity.get(outcome.severity);
    if (!tally) bySeverity.set(outcome.severity, (tally = emptyTally()));
    tallyOutcome(tally, outcome, query);
  }
  const rows: ComplianceRow[] = [];
  for (const group of [...tallies.keys()].sort()) {
    const byMetric = tallies.get(group)!;
    for (const metric of METRICS) {
      const bySeverity = byMetric.get(metric);
      if (!bySeverity) continue;
      const severityRows = SEVERITIES.filter((s) => bySeverity.has(s)).map((s) => toRow(group, metric, s, bySeverity.get(s)!));
      rows.push(...severityRows);
      rows.push(overallRow(group, metric, severityRows));
    }
  }
  return rows;
}

function overallRow(group: string, metric: MetricName, severityRows: readonly ComplianceRow[]): ComplianceRow {
  const sum = (key: 'completed' | 'met' | 'breached' | 'openBreached' | 'openAtRisk'): number =>
    severityRows.reduce((total, row) => total + row[key], 0);
  const completed = sum('completed');
  const judged = severityRows.filter((row) => row.pass !== null);
  return {
    group,
    metric,
    severity: 'all',
    completed,
    met: sum('met'),
    breached: sum('breached'),
    percentMet: completed === 0 ? null : (sum('met') / completed) * 100,
    objectivePercent: null,
    objectiveMixed: false,
    pass: judged.length === 0 ? null : judged.every((row) => row.pass === true),
    openBreached: sum('openBreached'),
    openAtRisk: sum('openAtRisk'),
  };
}

/** "S4: 86% of 310 resolved within target (objective 90%) FAIL" — the managers' headline. */
export function complianceHeadline(row: ComplianceRow): string {
  const what = row.metric === 'resolution' ? 'resolved within target' : 'first responses within target';
  const label = row.severity === 'all' ? 'All' : row.severity;
  if (row.percentMet === null) return `${label}: no ${row.metric === 'resolution' ? 'resolutions' : 'first responses'} completed in the period`;
  const percent = formatPercent(row.percentMet);
  const objective = row.objectivePercent === null ? '' : ` (objective ${formatPercent(row.objectivePercent)}%)`;
  const verdict = row.pass === null ? '' : row.pass ? ' PASS' : ' FAIL';
  return `${label}: ${percent}% of ${row.completed} ${what}${objective}${verdict}`;
}

/** One decimal, rounded down, so a miss never reads as the objective: 99.96 shows 99.9, not 100. */
export function formatPercent(value: number): string {
  const tenths = Math.floor(value * 10 + 1e-9) / 10;
  return Number.isInteger(tenths) ? String(tenths) : tenths.toFixed(1);
}
