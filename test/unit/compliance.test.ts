import { describe, expect, it } from 'vitest';
import type { MetricOutcome } from '../../src/core/compliance.ts';
import { complianceHeadline, computeCompliance, formatPercent } from '../../src/core/compliance.ts';
import type { MetricStateName, Severity } from '../../src/core/types.ts';

const from = Date.parse('2026-10-01T00:00:00Z');
const to = Date.parse('2027-01-01T00:00:00Z');
const inside = Date.parse('2026-11-15T00:00:00Z');

function outcomes(severity: Severity, objective: number, counts: Partial<Record<MetricStateName, number>>, completedAtMs: number | null = inside, group?: string): MetricOutcome[] {
  return Object.entries(counts).flatMap(([state, n]) =>
    Array.from({ length: n }, () => ({
      metric: 'resolution' as const,
      severity,
      state: state as MetricStateName,
      completedAtMs: state === 'met' || state === 'breached' ? completedAtMs : null,
      objectivePercent: objective,
      ...(group === undefined ? {} : { group }),
    })),
  );
}

describe('compliance', () => {
  const data = [
    ...outcomes('S1', 100, { met: 42 }),
    ...outcomes('S4', 90, { met: 267, breached: 43 }),
    ...outcomes('S4', 90, { met: 5 }, Date.parse('2026-09-30T23:59:59Z')), // before the period
    ...outcomes('S4', 90, { met: 2 }, to), // the period is half-open
    ...outcomes('S4', 90, { running: 7, at_risk: 3, paused: 2 }),
    // Open and already breached: counted apart, not in the percentage.
    ...outcomes('S4', 90, { breached: 4 }, null),
  ];
  const rows = computeCompliance(data, { fromMs: from, toMs: to });

  it('gives the issue headline numbers per severity', () => {
    const s1 = rows.find((r) => r.severity === 'S1')!;
    const s4 = rows.find((r) => r.severity === 'S4')!;
    expect(s1).toMatchObject({ completed: 42, met: 42, breached: 0, percentMet: 100, objectivePercent: 100, pass: true });
    expect(s4).toMatchObject({ completed: 310, met: 267, breached: 43, objectivePercent: 90, pass: false, openBreached: 4, openAtRisk: 3 });
    expect(s4.percentMet).toBeCloseTo(86.129, 3);
    expect(complianceHeadline(s1)).toBe('S1: 100% of 42 resolved within target (objective 100%) PASS');
    expect(complianceHeadline(s4)).toBe('S4: 86.1% of 310 resolved within target (objective 90%) FAIL');
  });

  it('sums an overall row that passes only when every severity passes', () => {
    const all = rows.find((r) => r.severity === 'all')!;
    expect(all).toMatchObject({ completed: 352, met: 309, breached: 43, objectivePercent: null, pass: false, openBreached: 4, openAtRisk: 3 });
  });

  it('has no percentage and no verdict without completions', () => {
    const [row] = computeCompliance(outcomes('S2', 95, { running: 3 }), { fromMs: from, toMs: to });
    expect(row).toMatchObject({ severity: 'S2', completed: 0, percentMet: null, pass: null });
    expect(complianceHeadline(row!)).toBe('S2: no resolutions completed in the period');
  });

  it('uses the strictest objective when policies differ, and says so', () => {
    const [row] = computeCompliance([...outcomes('S2', 95, { met: 19, breached: 1 }), ...outcomes('S2', 90, { met: 10 })], { fromMs: from, toMs: to });
    expect(row).toMatchObject({ objectivePercent: 95, objectiveMixed: true, completed: 30, pass: true });
  });

  it('computes rows per group', () => {
    const grouped = computeCompliance([...outcomes('S1', 100, { met: 1 }, inside, 'jira'), ...outcomes('S1', 100, { breached: 1 }, inside, 'github')], { fromMs: from, toMs: to });
    expect(grouped.map((r) => [r.group, r.severity, r.pass])).toEqual([
      ['github', 'S1', false], ['github', 'all', false], ['jira', 'S1', true], ['jira', 'all', true],
    ]);
  });

  it('never rounds a miss up to the objective', () => {
    expect(formatPercent(99.96)).toBe('99.9');
    expect(formatPercent(100)).toBe('100');
    expect(formatPercent(86.129)).toBe('86.1');
    expect(formatPercent(90)).toBe('90');
  });
});
