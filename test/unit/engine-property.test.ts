// The engine (src/core) against a deliberately naive minute-by-minute reference
// (test/reference/naive-sla.ts) on random cases, plus hand-computed DST table tests.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compute } from '../../src/core/compute.ts';
import type { CalendarInput, CaseEvaluation, CaseEvent, ComputeInput, MetricState } from '../../src/core/types.ts';
import { computeInputArb } from '../reference/generators.ts';
import { naiveCompute } from '../reference/naive-sla.ts';

const SEED = 20_261_228;
const NUM_RUNS = 2_500;

describe('compute agrees with the naive reference', () => {
  it(`on ${NUM_RUNS} random cases`, () => {
    const details = fc.check(
      fc.property(computeInputArb, (input) => {
        expect(compute(input)).toEqual(naiveCompute(input));
      }),
      { seed: SEED, numRuns: NUM_RUNS, endOnFailure: false },
    );
    if (details.failed) {
      const input = details.counterexample?.[0];
      let engine: unknown;
      try {
        engine = input === undefined ? undefined : compute(input);
      } catch (error) {
        engine = `throws: ${String(error)}`;
      }
      console.error(
        [
          `seed ${details.seed}, path ${details.counterexamplePath ?? '?'}, after ${details.numRuns} runs and ${details.numShrinks} shrinks`,
          `input:     ${JSON.stringify(input)}`,
          `engine:    ${JSON.stringify(engine)}`,
          `reference: ${input === undefined ? '' : JSON.stringify(naiveCompute(input))}`,
        ].join('\n'),
      );
    }
    expect(details.failed, String(details.errorInstance)).toBe(false);
    // ~30 s alone on this 2-core machine; headroom for a loaded machine.
  }, 180_000);
});

// ---------------------------------------------------------------------------------------------
// Table tests: each is checked against numbers derived by hand (comments), for both the engine
// and the reference.

function policyWith(calendar: CalendarInput, firstResponseMinutes: number, resolutionMinutes: number): ComputeInput['policy'] {
  return {
    calendar,
    severities: {
      S1: { firstResponseMinutes: 30, resolutionMinutes: 240, calendar: '24x7' },
      S2: { firstResponseMinutes: 60, resolutionMinutes: 480 },
      S3: { firstResponseMinutes, resolutionMinutes },
      S4: { firstResponseMinutes: 480, resolutionMinutes: 2400 },
    },
    defaultSeverity: 'S3',
  };
}

function caseOf(now: string, calendar: CalendarInput, fr: number, res: number, events: CaseEvent[]): ComputeInput {
  return { now, policy: policyWith(calendar, fr, res), case: { events } };
}

type Expected = { severity: string; status: string; metrics: Record<'firstResponse' | 'resolution', Partial<MetricState>> };

function expectBoth(input: ComputeInput, expected: Expected): void {
  const check = (result: CaseEvaluation) => expect(result).toMatchObject(expected);
  check(naiveCompute(input));
  check(compute(input));
  expect(compute(input)).toEqual(naiveCompute(input));
}

const sundayOnly = (timezone: string, interval: [string, string]): CalendarInput => ({
  timezone,
  week: { sun: [interval] },
});

describe('DST table tests', () => {
  it('the worked example of issue 2', () => {
    const input: ComputeInput = {
      now: '2026-12-28T15:00:00Z',
      policy: {
        calendar: {
          timezone: 'America/New_York',
          week: {
            mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']],
            thu: [['09:00', '17:00']], fri: [['09:00', '17:00']],
          },
          holidays: ['2026-12-25'],
        },
        severities: {
          S1: { firstResponseMinutes: 30, resolutionMinutes: 240, calendar: '24x7', objectivePercent: 100 },
          S2: { firstResponseMinutes: 60, resolutionMinutes: 240 },
          S3: { firstResponseMinutes: 240, resolutionMinutes: 1440 },
          S4: { firstResponseMinutes: 480, resolutionMinutes: 2400, objectivePercent: 90 },
        },
        defaultSeverity: 'S3', pauseStatuses: ['pending', 'on_hold'], pauseFirstResponse: false, atRiskPercent: 75,
      },
      case: {
        events: [
          { at: '2026-12-24T21:30:00Z', type: 'created', status: 'open', severity: 'S2' },
          { at: '2026-12-28T14:00:00Z', type: 'status', status: 'pending' },
          { at: '2026-12-28T14:20:00Z', type: 'status', status: 'open' },
        ],
      },
    };
    // As in the issue; atRiskAt: firstResponse 45 min = 30 on Thursday + Monday 09:00-09:15 EST
    // (14:15Z); resolution 180 min = 70 by now (10:00 EST) + 110 more = 11:50 EST (16:50Z).
    expectBoth(input, {
      severity: 'S2', status: 'open',
      metrics: {
        firstResponse: { state: 'breached', severity: 'S2', targetSeconds: 3600, elapsedSeconds: 5400, remainingSeconds: 0,
          dueAt: '2026-12-28T14:30:00Z', atRiskAt: '2026-12-28T14:15:00Z', breachedAt: '2026-12-28T14:30:00Z', completedAt: null },
        resolution: { state: 'running', severity: 'S2', targetSeconds: 14400, elapsedSeconds: 4200, remainingSeconds: 10200,
          dueAt: '2026-12-28T17:50:00Z', atRiskAt: '2026-12-28T16:50:00Z', breachedAt: null, completedAt: null },
      },
    });
  });

  it('a 23-hour spring-forward Sunday (New York, 2026-03-08) counts 23 hours', () => {
    // Sunday 00:00 EST = 05:00Z; at 02:00 EST (07:00Z) clocks jump to 03:00 EDT; Sunday 24:00 EDT
    // = Monday 04:00Z. So the Sunday holds 23 real hours = 82,800 s, all business.
    // Resolution 1440 min = 86,400 s: 82,800 elapsed, 3,600 remaining, at risk (>= 64,800);
    // due next Sunday 00:00 EDT (03-15T04:00Z) + 1 h = 05:00Z; at risk after 18 h of Sunday =
    // 05:00Z + 18 h = 23:00Z. First response 60 min: breached at 06:00Z, at risk at 05:45Z.
    const input = caseOf('2026-03-10T12:00:00Z', sundayOnly('America/New_York', ['00:00', '24:00']), 60, 1440, [
      { at: '2026-03-07T12:00:00Z', type: 'created', status: 'open' },
    ]);
    expectBoth(input, {
      severity: 'S3', status: 'open',
      metrics: {
        firstResponse: { state: 'breached', targetSeconds: 3600, elapsedSeconds: 82_800, remainingSeconds: 0,
          dueAt: '2026-03-08T06:00:00Z', atRiskAt: '2026-03-08T05:45:00Z', breachedAt: '2026-03-08T06:00:00Z', completedAt: null },
        resolution: { state: 'at_risk', targetSeconds: 86_400, elapsedSeconds: 82_800, remainingSeconds: 3600,
          dueAt: '2026-03-15T05:00:00Z', atRiskAt: '2026-03-08T23:00:00Z', breachedAt: null, completedAt: null },
      },
    });
  });

  it('the skipped hour counts nothing (New York, Sunday 02:00-03:00 on 2026-03-08)', () => {
    // 02:00-03:00 does not exist on 2026-03-08, so nothing counts that week. Next Sunday 02:00 EDT
    // = 03-15T06:00Z. Resolution 60 min: due 07:00Z, at risk (45 min) 06:45Z. First response
    // 30 min: due 06:30Z, at risk at 22.5 min = 06:22:30Z.
    const input = caseOf('2026-03-09T12:00:00Z', sundayOnly('America/New_York', ['02:00', '03:00']), 30, 60, [
      { at: '2026-03-07T12:00:00Z', type: 'created', status: 'open' },
    ]);
    expectBoth(input, {
      severity: 'S3', status: 'open',
      metrics: {
        firstResponse: { state: 'running', elapsedSeconds: 0, remainingSeconds: 1800,
          dueAt: '2026-03-15T06:30:00Z', atRiskAt: '2026-03-15T06:22:30Z', breachedAt: null },
        resolution: { state: 'running', elapsedSeconds: 0, remainingSeconds: 3600,
          dueAt: '2026-03-15T07:00:00Z', atRiskAt: '2026-03-15T06:45:00Z', breachedAt: null },
      },
    });
  });

  it('a 25-hour fall-back Sunday (London, 2026-10-25) counts 25 hours', () => {
    // Sunday 00:00 BST = 10-24T23:00Z; at 02:00 BST (01:00Z) clocks go back to 01:00 GMT; Sunday
    // 24:00 GMT = 10-26T00:00Z. 25 real hours = 90,000 s.
    // Resolution 1500 min = 90,000 s: reached exactly at 10-26T00:00Z, so still open at now it is
    // breached then (elapsed >= target); at risk at 67,500 s = 18 h 45 min after 23:00Z = 17:45Z.
    // First response 60 min: breached at 10-25T00:00Z, at risk 10-24T23:45Z.
    const calendar = sundayOnly('Europe/London', ['00:00', '24:00']);
    const created: CaseEvent = { at: '2026-10-24T12:00:00Z', type: 'created', status: 'open' };
    expectBoth(caseOf('2026-10-26T12:00:00Z', calendar, 60, 1500, [created]), {
      severity: 'S3', status: 'open',
      metrics: {
        firstResponse: { state: 'breached', elapsedSeconds: 90_000, dueAt: '2026-10-25T00:00:00Z',
          atRiskAt: '2026-10-24T23:45:00Z', breachedAt: '2026-10-25T00:00:00Z', completedAt: null },
        resolution: { state: 'breached', targetSeconds: 90_000, elapsedSeconds: 90_000, remainingSeconds: 0,
          dueAt: '2026-10-26T00:00:00Z', atRiskAt: '2026-10-25T17:45:00Z', breachedAt: '2026-10-26T00:00:00Z', completedAt: null },
      },
    });
    // Solved Monday 06:00Z (no business time after Sunday): resolution met with elapsed exactly
    // the target, dueAt still the instant it was reached; first response completed by the solve,
    // breached (90,000 > 3,600).
    expectBoth(
      caseOf('2026-10-26T12:00:00Z', calendar, 60, 1500, [created, { at: '2026-10-26T06:00:00Z', type: 'status', status: 'solved' }]),
      {
        severity: 'S3', status: 'solved',
        metrics: {
          firstResponse: { state: 'breached', elapsedSeconds: 90_000, dueAt: '2026-10-25T00:00:00Z',
            breachedAt: '2026-10-25T00:00:00Z', completedAt: '2026-10-26T06:00:00Z' },
          resolution: { state: 'met', elapsedSeconds: 90_000, remainingSeconds: 0, dueAt: '2026-10-26T00:00:00Z',
            atRiskAt: '2026-10-25T17:45:00Z', breachedAt: null, completedAt: '2026-10-26T06:00:00Z' },
        },
      },
    );
  });

  it('the repeated hour counts twice (New York, Sunday 01:00-02:00 on 2026-11-01)', () => {
    // 01:00-02:00 EDT = 05:00Z-06:00Z, then 01:00-02:00 EST = 06:00Z-07:00Z: 7,200 s.
    // Resolution 180 min = 10,800 s: 3,600 remaining, running (7,200 < 8,100); next Sunday 01:00
    // EST = 11-08T06:00Z, due 07:00Z, at risk after 900 s more = 06:15Z.
    // First response 60 min: breached at 06:00Z on 11-01, at risk 05:45Z.
    const input = caseOf('2026-11-02T00:00:00Z', sundayOnly('America/New_York', ['01:00', '02:00']), 60, 180, [
      { at: '2026-10-31T12:00:00Z', type: 'created', status: 'open' },
    ]);
    expectBoth(input, {
      severity: 'S3', status: 'open',
      metrics: {
        firstResponse: { state: 'breached', elapsedSeconds: 7200, dueAt: '2026-11-01T06:00:00Z', atRiskAt: '2026-11-01T05:45:00Z' },
        resolution: { state: 'running', elapsedSeconds: 7200, remainingSeconds: 3600,
          dueAt: '2026-11-08T07:00:00Z', atRiskAt: '2026-11-08T06:15:00Z', breachedAt: null },
      },
    });
  });

  it('a 24.5-hour fall-back Sunday (Lord Howe, 2026-04-05) counts 24.5 hours', () => {
    // Sunday 00:00 +11:00 = 04-04T13:00Z; at 02:00 +11:00 (15:00Z) clocks go back to 01:30
    // +10:30; Sunday 24:00 +10:30 = 04-05T13:30Z. 24.5 h = 88,200 s.
    // Resolution 1500 min = 90,000 s: 1,800 remaining, at risk (>= 67,500 s, reached 18 h 45 min
    // after 13:00Z = 04-05T07:45Z); next Sunday 00:00 +10:30 = 04-11T13:30Z, due 14:00Z.
    const input = caseOf('2026-04-06T00:00:00Z', sundayOnly('Australia/Lord_Howe', ['00:00', '24:00']), 60, 1500, [
      { at: '2026-04-04T00:00:00Z', type: 'created', status: 'open' },
    ]);
    expectBoth(input, {
      severity: 'S3', status: 'open',
      metrics: {
        firstResponse: { state: 'breached', elapsedSeconds: 88_200, dueAt: '2026-04-04T14:00:00Z' },
        resolution: { state: 'at_risk', elapsedSeconds: 88_200, remainingSeconds: 1800,
          dueAt: '2026-04-11T14:00:00Z', atRiskAt: '2026-04-05T07:45:00Z', breachedAt: null },
      },
    });
  });
});
