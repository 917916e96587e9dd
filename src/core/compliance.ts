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

/**
 * Outcomes already counted for one group, metric, severity and objective: what a SQL GROUP BY over
 * the stored states gives (src/store/report-repo.ts), so the store and this file share the rules.
 */
export interface ComplianceCounts {
  group: string;
  metric: MetricName;
  severity: Severity;
  objectivePercent: number;
  /** Completed in the period, and of those the ones that met their target. */
  completed: number;
  met: number;
  /** Open (not completed) and breached, and open and at risk. */
  openBreached: number;
  openAtRisk: number;
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
 * groups sorted, metrics firstResponse then resolution, severities S1..S4 then all. A metric
 * completed outside the period is outside the report: it neither counts nor makes a row appear.
 */
export function computeCompliance(outcomes: Iterable<MetricOutcome>, query: ComplianceQuery): ComplianceRow[] {
  const counts = new Map<string, ComplianceCounts>();
  for (const outcome of outcomes) {
    const done = outcome.completedAtMs !== null;
    if (done && (outcome.completedAtMs! < query.fromMs || outcome.completedAtMs! >= query.toMs)) continue;
    const group = outcome.group ?? '';
    const key = `${group}\u0000${outcome.metric}\u0000${outcome.severity}\u0000${outcome.objectivePercent}`;
    let c = counts.get(key);
    if (!c) counts.set(key, (c = { group, metric: outcome.metric, severity: outcome.severity, objectivePercent: outcome.objectivePercent, completed: 0, met: 0, openBreached: 0, openAtRisk: 0 }));
    if (done) {
      c.completed++;
      if (outcome.state === 'met') c.met++;
    } else if (outcome.state === 'breached') c.openBreached++;
    else if (outcome.state === 'at_risk') c.openAtRisk++;
  }
  return complianceFromCounts(counts.values());
}

/** The same rows from counts made elsewhere (the store's GROUP BY); see computeCompliance. */
export function complianceFromCounts(counts: Iterable<ComplianceCounts>): ComplianceRow[] {
  const tallies = new Map<string, Map<MetricName, Map<Severity, Tally>>>();
  for (const c of counts) {
    let byMetric = tallies.get(c.group);
    if (!byMetric) tallies.set(c.group, (byMetric = new Map()));
    let bySeverity = byMetric.get(c.metric);
    if (!bySeverity) byMetric.set(c.metric, (bySeverity = new Map()));
    let tally = bySeverity.get(c.severity);
    if (!tally) bySeverity.set(c.severity, (tally = emptyTally()));
    tally.completed += c.completed;
    tally.met += c.met;
    tally.breached += c.completed - c.met;
    tally.openBreached += c.openBreached;
    tally.openAtRisk += c.openAtRisk;
    // Only completions are judged, so only their objectives count (an open case's does not).
    if (c.completed > 0) tally.objectives.add(c.objectivePercent);
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
