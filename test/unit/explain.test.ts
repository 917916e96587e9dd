import { describe, expect, it } from 'vitest';
import { compute } from '../../src/core/compute.ts';
import { explainCase, formatDuration, renderExplanation } from '../../src/core/explain.ts';
import type { CaseEvent, Policy } from '../../src/core/types.ts';

const policy: Policy = {
  calendar: { timezone: 'America/New_York', week: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '17:00']]])) },
  severities: {
    S1: { firstResponseMinutes: 30, resolutionMinutes: 240, calendar: '24x7' },
    S3: { firstResponseMinutes: 240, resolutionMinutes: 1440 },
  },
  defaultSeverity: 'S3',
};

// Tuesday 2027-02-02, New York is UTC-5: 09:00 local = 14:00Z.
const events: CaseEvent[] = [
  { at: '2027-02-02T14:00:00Z', type: 'created', status: 'open', severity: 'S3' },
  { at: '2027-02-02T14:20:00Z', type: 'agent_reply' },
  { at: '2027-02-02T15:00:00Z', type: 'status', status: 'pending' },
  { at: '2027-02-02T16:00:00Z', type: 'status', status: 'open' },
  { at: '2027-02-02T17:00:00Z', type: 'status', status: 'solved' },
  { at: '2027-02-02T18:00:00Z', type: 'status', status: 'open' },
  { at: '2027-02-02T20:00:00Z', type: 'severity', severity: 'S1' },
  { at: '2027-02-03T12:00:00Z', type: 'status', status: 'solved' },
];
const now = '2027-02-02T21:00:00Z';

describe('explain', () => {
  const explanation = explainCase(policy, events, now);
  const byTime = (at: string) => explanation.steps.filter((s) => s.at === at).flatMap((s) => s.effects.map((e) => `${e.metric}:${e.change}`));

  it('ends in exactly the compute result', () => {
    expect(explanation.result).toEqual(compute({ now, policy, case: { events } }));
  });

  it('lists every clock change at its instant', () => {
    expect(byTime('2027-02-02T14:00:00Z')).toEqual(['firstResponse:started', 'resolution:started']);
    expect(byTime('2027-02-02T14:20:00Z')).toEqual(['firstResponse:completed']);
    expect(byTime('2027-02-02T15:00:00Z')).toEqual(['resolution:paused']);
    expect(byTime('2027-02-02T16:00:00Z')).toEqual(['resolution:resumed']);
    expect(byTime('2027-02-02T17:00:00Z')).toEqual(['resolution:completed']);
    expect(byTime('2027-02-02T18:00:00Z')).toEqual(['resolution:reopened']);
    // The first response completed before the raise keeps its target; resolution gets S1's.
    expect(byTime('2027-02-02T20:00:00Z')).toEqual(['resolution:target_changed', 'resolution:breached']);
    // Resolution in S1 (24x7): 1h + 1h before the solve, then from 18:00: 4h are used up at 20:00,
    // the very instant of the raise; at risk (75% = 3h) at 19:00.
    expect(byTime('2027-02-02T19:00:00Z')).toEqual(['resolution:at_risk']);
    expect(explanation.result.metrics.resolution).toMatchObject({ state: 'breached', breachedAt: '2027-02-02T20:00:00Z' });
    expect(explanation.steps.find((s) => s.what === 'resolution breached')?.at).toBe('2027-02-02T20:00:00Z');
    // The solve after now is listed and ignored.
    expect(explanation.steps.find((s) => s.at === '2027-02-03T12:00:00Z')).toMatchObject({ ignored: true, effects: [] });
  });

  it('names the calendars and renders as text', () => {
    expect(explanation.calendars).toEqual({ S1: '24x7', S3: 'America/New_York' });
    const text = renderExplanation(explanation, now).join('\n');
    expect(text).toContain('resolution target changed (target now 4h (S1, 24x7), counted from created)');
    expect(text).toContain('resolution: breached, 5h of 4h used (S1), due 2027-02-02T20:00:00Z');
  });

  it('formats durations', () => {
    expect([formatDuration(0), formatDuration(2700), formatDuration(5400), formatDuration(14400), formatDuration(183600)]).toEqual(['0m', '45m', '1h 30m', '4h', '2d 3h']);
  });
});
