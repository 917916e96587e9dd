import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateComputeInput } from '../../src/core/validate.ts';

const example = () => JSON.parse(readFileSync(new URL('../fixtures/compute-example.json', import.meta.url), 'utf8'));

function errorsFor(mutate: (input: ReturnType<typeof example>) => void): string[] {
  const input = example();
  mutate(input);
  const result = validateComputeInput(input);
  if (result.ok) throw new Error('expected the input to be refused');
  return result.errors;
}

describe('compute input validation', () => {
  it('accepts the documented example', () => {
    expect(validateComputeInput(example()).ok).toBe(true);
  });

  it('names the issue examples by path and value', () => {
    const errors = errorsFor((i) => {
      i.policy.calendar.week.mon[0][0] = '9am';
      i.policy.calendar.timezone = 'Mars/Olympus';
    });
    expect(errors).toEqual(expect.arrayContaining([
      'policy.calendar.week.mon[0][0]: "9am" is not HH:MM',
      'policy.calendar.timezone: "Mars/Olympus" is not an IANA zone',
    ]));
    expect(errors).toHaveLength(2);
  });

  it.each<[string, (i: ReturnType<typeof example>) => void, string]>([
    ['a missing field', (i) => delete i.policy.defaultSeverity, 'policy.defaultSeverity: is required'],
    ['an unknown field', (i) => (i.policy.severities.S2.resolutionMinute = 5), 'policy.severities.S2.resolutionMinute: is not a known field'],
    ['a negative target', (i) => (i.policy.severities.S2.resolutionMinutes = -5), 'policy.severities.S2.resolutionMinutes: -5 is not a positive number of minutes'],
    ['an interval ending before it starts', (i) => (i.policy.calendar.week.tue = [['17:00', '09:00']]), 'policy.calendar.week.tue[0]: ["17:00","09:00"] ends before it starts'],
    ['overlapping intervals', (i) => (i.policy.calendar.week.tue = [['09:00', '12:00'], ['11:00', '13:00']]), 'policy.calendar.week.tue[1]: ["11:00","13:00"] overlaps interval [0]'],
    ['a holiday that is no date', (i) => i.policy.calendar.holidays.push('2026-02-30'), 'policy.calendar.holidays[1]: "2026-02-30" is not a YYYY-MM-DD date'],
    ['a bad weekday', (i) => (i.policy.calendar.week.monday = []), 'policy.calendar.week.monday: is not a known field'],
    ['a calendar string other than 24x7', (i) => (i.policy.severities.S1.calendar = '24/7'), 'policy.severities.S1.calendar: "24/7" is not "24x7" or a calendar object'],
    ['an undefined default severity', (i) => { delete i.policy.severities.S3; }, 'policy.defaultSeverity: "S3" has no targets in policy.severities'],
    ['a done status as pause', (i) => i.policy.pauseStatuses.push('solved'), 'policy.pauseStatuses[2]: "solved" completes the clock and cannot pause it'],
    ['an unknown status', (i) => (i.case.events[1].status = 'waiting'), 'case.events[1].status: "waiting" is not a status'],
    ['an unknown event type', (i) => (i.case.events[1].type = 'reply'), 'case.events[1].type: "reply" is not an event of type created, status, severity or agent_reply'],
    ['a bad instant', (i) => (i.now = '2026-12-28 15:00'), 'now: "2026-12-28 15:00" is not an ISO 8601 instant'],
    ['events out of order', (i) => (i.case.events[2].at = '2026-12-28T13:00:00Z'), 'case.events[2].at: "2026-12-28T13:00:00Z" is earlier than case.events[1].at'],
    ['no created event first', (i) => i.case.events.shift(), 'case.events[0].type: "status" is not "created"'],
    ['an undefined event severity', (i) => { delete i.policy.severities.S4; i.case.events.push({ at: '2026-12-28T14:30:00Z', type: 'severity', severity: 'S4' }); }, 'case.events[3].severity: "S4" has no targets in policy.severities'],
    ['a calendar with no hours', (i) => (i.policy.calendar.week = {}), 'policy.calendar.week: {} has no business hours on any day'],
  ])('refuses %s', (_name, mutate, expected) => {
    const errors = errorsFor(mutate);
    expect(errors.some((e) => e.startsWith(expected)), `got ${JSON.stringify(errors)}`).toBe(true);
  });

  it('refuses what is not an object', () => {
    const result = validateComputeInput(42);
    expect(result.ok).toBe(false);
  });
});
