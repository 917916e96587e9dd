// Named scenarios of issue 2, each with numbers derived by hand in the comments.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compute } from '../../src/core/compute.ts';
import type { CalendarInput, CaseEvent, ComputeInput, Policy } from '../../src/core/types.ts';

const example = JSON.parse(readFileSync(new URL('../fixtures/compute-example.json', import.meta.url), 'utf8')) as ComputeInput;

const newYorkOffice: CalendarInput = {
  timezone: 'America/New_York',
  week: { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']] },
  holidays: ['2026-12-25', '2027-01-18'],
};

function policy(overrides: Partial<Policy> = {}): Policy {
  return {
    calendar: newYorkOffice,
    severities: {
      S1: { firstResponseMinutes: 30, resolutionMinutes: 240, calendar: '24x7', objectivePercent: 100 },
      S2: { firstResponseMinutes: 60, resolutionMinutes: 240 },
      S3: { firstResponseMinutes: 240, resolutionMinutes: 1440 },
      S4: { firstResponseMinutes: 480, resolutionMinutes: 2400, objectivePercent: 90 },
    },
    defaultSeverity: 'S3',
    ...overrides,
  };
}

const run = (p: Policy, now: string, events: CaseEvent[]) => compute({ now, policy: p, case: { events } });

describe('the worked example of issue 2', () => {
  it('gives exactly the documented output', () => {
    const result = compute(example);
    expect(result.severity).toBe('S2');
    expect(result.metrics.firstResponse).toMatchObject({
      state: 'breached', targetSeconds: 3600, elapsedSeconds: 5400, remainingSeconds: 0,
      dueAt: '2026-12-28T14:30:00Z', breachedAt: '2026-12-28T14:30:00Z', completedAt: null,
    });
    expect(result.metrics.resolution).toMatchObject({
      state: 'running', targetSeconds: 14400, elapsedSeconds: 4200, remainingSeconds: 10200,
      dueAt: '2026-12-28T17:50:00Z', breachedAt: null, completedAt: null,
    });
  });
});

describe('a Friday-evening ticket over a holiday weekend', () => {
  // Created Friday 2027-01-15 16:30 New York (21:30Z). Business time: 30 min on Friday, nothing on
  // Saturday, Sunday or Monday 18th (MLK day, a holiday), then from Tuesday 09:00 (14:00Z).
  const events: CaseEvent[] = [{ at: '2027-01-15T21:30:00Z', type: 'created', status: 'new', severity: 'S3' }];

  it('counts 30 minutes by Tuesday morning and extrapolates over the gap', () => {
    const result = run(policy(), '2027-01-19T14:00:00Z', events);
    // First response: 240 min target, 30 used, 210 left from Tuesday 09:00 -> 12:30 (17:30Z).
    expect(result.metrics.firstResponse).toMatchObject({
      state: 'running', elapsedSeconds: 1800, remainingSeconds: 12600, dueAt: '2027-01-19T17:30:00Z',
      // At risk at 75% = 180 min: 150 min into Tuesday -> 11:30 (16:30Z).
      atRiskAt: '2027-01-19T16:30:00Z',
    });
    // Resolution: 1440 min = 3 business days; 30 + 480 Tue + 480 Wed + 450 Thu -> Thursday 16:30.
    expect(result.metrics.resolution.dueAt).toBe('2027-01-21T21:30:00Z');
  });

  it('is due at the same instant whenever it is asked during the weekend', () => {
    for (const now of ['2027-01-15T23:00:00Z', '2027-01-16T12:00:00Z', '2027-01-18T16:00:00Z']) {
      const result = run(policy(), now, events);
      expect(result.metrics.firstResponse.elapsedSeconds).toBe(1800);
      expect(result.metrics.firstResponse.dueAt).toBe('2027-01-19T17:30:00Z');
    }
  });
});

describe('a 25-hour fall-back day', () => {
  // 2026-11-01 in New York: 00:00 EDT is 04:00Z, clocks fall back at 02:00 EDT (06:00Z) to 01:00 EST,
  // and 2026-11-02 00:00 EST is 05:00Z: the local Sunday lasts 25 real hours.
  const allSunday: CalendarInput = { timezone: 'America/New_York', week: { sun: [['00:00', '24:00']] } };
  const oneToTwo: CalendarInput = { timezone: 'America/New_York', week: { sun: [['01:00', '02:00']] } };
  const created: CaseEvent = { at: '2026-11-01T04:00:00Z', type: 'created', status: 'open', severity: 'S4' };

  it('counts 25 business hours for a whole-day calendar', () => {
    const p = policy({ calendar: allSunday, severities: { S4: { firstResponseMinutes: 60 * 30, resolutionMinutes: 60 * 30 } }, defaultSeverity: 'S4' });
    const result = run(p, '2026-11-03T00:00:00Z', [created, { at: '2026-11-02T05:00:00Z', type: 'status', status: 'solved' }]);
    expect(result.metrics.resolution).toMatchObject({ state: 'met', elapsedSeconds: 25 * 3600, completedAt: '2026-11-02T05:00:00Z', dueAt: null });
  });

  it('counts the repeated hour twice', () => {
    const p = policy({ calendar: oneToTwo, severities: { S4: { firstResponseMinutes: 90, resolutionMinutes: 600 } }, defaultSeverity: 'S4' });
    const result = run(p, '2026-11-02T00:00:00Z', [created]);
    // 01:00-02:00 EDT (05:00-06:00Z) and again 01:00-02:00 EST (06:00-07:00Z).
    expect(result.metrics.resolution.elapsedSeconds).toBe(2 * 3600);
    // 90 minutes are reached half-way through the second 01:00-02:00: 06:30Z.
    expect(result.metrics.firstResponse).toMatchObject({ state: 'breached', dueAt: '2026-11-01T06:30:00Z' });
  });

  it('counts nothing for the hour skipped in spring', () => {
    // 2026-03-08: 02:00 EST jumps to 03:00 EDT, so 02:00-03:00 local never happens.
    const skipped: CalendarInput = { timezone: 'America/New_York', week: { sun: [['02:00', '03:00']] } };
    const p = policy({ calendar: skipped, severities: { S4: { firstResponseMinutes: 30, resolutionMinutes: 600 } }, defaultSeverity: 'S4' });
    const result = run(p, '2026-03-09T00:00:00Z', [{ at: '2026-03-08T05:00:00Z', type: 'created', severity: 'S4' }]);
    expect(result.metrics.resolution.elapsedSeconds).toBe(0);
    // Next Sunday 02:00 EDT (06:00Z) is the first business minute; 30 minutes later it is due.
    expect(result.metrics.firstResponse.dueAt).toBe('2026-03-15T06:30:00Z');
  });
});

describe('an S3 raised to S1 after its S1 target has passed', () => {
  // Created Monday 2027-02-01 10:00 New York (15:00Z) as S3, raised to S1 at 15:00 local (20:00Z).
  // S1 is measured around the clock from creation: 5 hours > 4 h resolution target and > 30 min.
  const events: CaseEvent[] = [
    { at: '2027-02-01T15:00:00Z', type: 'created', status: 'open', severity: 'S3' },
    { at: '2027-02-01T20:00:00Z', type: 'severity', severity: 'S1' },
  ];

  it('breaches at once, retroactively, at created + target', () => {
    const result = run(policy(), '2027-02-01T20:00:00Z', events);
    expect(result.severity).toBe('S1');
    expect(result.metrics.resolution).toMatchObject({
      state: 'breached', severity: 'S1', elapsedSeconds: 5 * 3600, targetSeconds: 4 * 3600,
      dueAt: '2027-02-01T19:00:00Z', breachedAt: '2027-02-01T19:00:00Z',
    });
    expect(result.metrics.firstResponse).toMatchObject({ state: 'breached', breachedAt: '2027-02-01T15:30:00Z' });
  });

  it('was running under S3 a minute before the raise', () => {
    const result = run(policy(), '2027-02-01T19:59:00Z', events);
    expect(result.metrics.resolution).toMatchObject({ state: 'running', severity: 'S3', elapsedSeconds: 299 * 60 });
  });

  it('keeps a met first response met', () => {
    const replied: CaseEvent[] = [events[0]!, { at: '2027-02-01T15:10:00Z', type: 'agent_reply' }, events[1]!];
    const result = run(policy(), '2027-02-01T21:00:00Z', replied);
    expect(result.metrics.firstResponse).toMatchObject({ state: 'met', severity: 'S3', elapsedSeconds: 600, completedAt: '2027-02-01T15:10:00Z', dueAt: null });
    expect(result.metrics.resolution.state).toBe('breached');
  });
});

describe('pauses, reopens and completion', () => {
  const created: CaseEvent = { at: '2027-02-02T14:00:00Z', type: 'created', status: 'open', severity: 'S2' }; // Tue 09:00

  it('stops the resolution clock while pending but not first response', () => {
    const result = run(policy(), '2027-02-02T16:00:00Z', [created, { at: '2027-02-02T14:30:00Z', type: 'status', status: 'pending' }]);
    expect(result.metrics.resolution).toMatchObject({ state: 'paused', elapsedSeconds: 1800, dueAt: null });
    expect(result.metrics.firstResponse).toMatchObject({ state: 'breached', elapsedSeconds: 7200, dueAt: '2027-02-02T15:00:00Z' });
  });

  it('pauses first response too when the policy says so', () => {
    const result = run(policy({ pauseFirstResponse: true }), '2027-02-02T16:00:00Z', [created, { at: '2027-02-02T14:30:00Z', type: 'status', status: 'on_hold' }]);
    expect(result.metrics.firstResponse).toMatchObject({ state: 'paused', elapsedSeconds: 1800, dueAt: null });
  });

  it('resumes the same clock on a reopen; the last solve completes it', () => {
    const events: CaseEvent[] = [
      created,
      { at: '2027-02-02T15:00:00Z', type: 'status', status: 'solved' }, // 60 min
      { at: '2027-02-02T18:00:00Z', type: 'status', status: 'open' }, // reopened at 13:00
      { at: '2027-02-02T19:00:00Z', type: 'status', status: 'solved' }, // +60 min
      { at: '2027-02-02T20:00:00Z', type: 'status', status: 'closed' }, // not a new completion
    ];
    const result = run(policy(), '2027-02-03T20:00:00Z', events);
    expect(result.metrics.resolution).toMatchObject({ state: 'met', elapsedSeconds: 7200, completedAt: '2027-02-02T19:00:00Z' });
    // Solving answered the customer: first response completed at the first solve.
    expect(result.metrics.firstResponse).toMatchObject({ state: 'met', elapsedSeconds: 3600, completedAt: '2027-02-02T15:00:00Z' });
    const reopened = run(policy(), '2027-02-02T18:30:00Z', events);
    expect(reopened.metrics.resolution).toMatchObject({ state: 'running', elapsedSeconds: 5400, completedAt: null, dueAt: '2027-02-02T21:00:00Z' }); // 150 min left from 13:30 local
  });

  it('ignores events after now', () => {
    const result = run(policy(), '2027-02-02T14:45:00Z', [created, { at: '2027-02-02T15:00:00Z', type: 'status', status: 'solved' }]);
    expect(result.status).toBe('open');
    expect(result.metrics.resolution).toMatchObject({ state: 'running', elapsedSeconds: 2700, completedAt: null });
  });

  it('marks at risk at the configured share of the target', () => {
    // S2 first response 60 min; 75% = 45 min.
    expect(run(policy(), '2027-02-02T14:44:00Z', [created]).metrics.firstResponse.state).toBe('running');
    expect(run(policy(), '2027-02-02T14:45:00Z', [created]).metrics.firstResponse.state).toBe('at_risk');
    expect(run(policy({ atRiskPercent: 50 }), '2027-02-02T14:30:00Z', [created]).metrics.firstResponse.state).toBe('at_risk');
  });

  it('is breached, not met, when open with elapsed exactly at target, and met when completed there', () => {
    expect(run(policy(), '2027-02-02T15:00:00Z', [created]).metrics.firstResponse).toMatchObject({ state: 'breached', breachedAt: '2027-02-02T15:00:00Z' });
    const replied = run(policy(), '2027-02-02T16:00:00Z', [created, { at: '2027-02-02T15:00:00Z', type: 'agent_reply' }]);
    expect(replied.metrics.firstResponse).toMatchObject({ state: 'met', elapsedSeconds: 3600, dueAt: '2027-02-02T15:00:00Z', breachedAt: null });
  });

  it('uses the default severity when the created event has none', () => {
    const result = run(policy(), '2027-02-02T15:00:00Z', [{ at: '2027-02-02T14:00:00Z', type: 'created' }]);
    expect(result).toMatchObject({ severity: 'S3', status: 'new' });
    expect(result.metrics.resolution.targetSeconds).toBe(1440 * 60);
  });

  it('takes a case "created in the future" (clock skew) as it stands at creation', () => {
    const onHold = run(policy(), '2027-02-02T13:59:00Z', [{ at: '2027-02-02T14:00:00Z', type: 'created', status: 'on_hold', severity: 'S2' }]);
    expect(onHold.metrics.resolution).toMatchObject({ state: 'paused', elapsedSeconds: 0, dueAt: null });
    const open = run(policy(), '2027-02-02T13:59:00Z', [created, { at: '2027-02-02T14:00:00Z', type: 'agent_reply' }]);
    expect(open.metrics.firstResponse).toMatchObject({ state: 'running', elapsedSeconds: 0, completedAt: null, dueAt: '2027-02-02T15:00:00Z' });
  });
});
