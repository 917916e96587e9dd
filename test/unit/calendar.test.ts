import { describe, expect, it } from 'vitest';
import { compileCalendar, describeCalendar, parseLocalDate, parseWallClock } from '../../src/core/calendar.ts';
import type { CalendarSpec } from '../../src/core/types.ts';

const ms = (iso: string) => Date.parse(iso);
const H = 3_600_000;

describe('wall clock and date parsing', () => {
  it.each([
    ['00:00', 0], ['09:30', 570], ['23:59', 1439], ['24:00', 1440],
    ['24:01', null], ['9:00', null], ['9am', null], ['12:60', null], ['', null],
  ])('%s -> %s', (text, minutes) => expect(parseWallClock(text)).toBe(minutes));

  it('accepts real dates only', () => {
    expect(parseLocalDate('2026-12-25')).toBe(Date.UTC(2026, 11, 25) / 86_400_000);
    expect(parseLocalDate('2028-02-29')).not.toBeNull();
    expect(parseLocalDate('2027-02-29')).toBeNull();
    expect(parseLocalDate('2026-13-01')).toBeNull();
    expect(parseLocalDate('26-12-25')).toBeNull();
  });
});

describe('business calendars', () => {
  const office: CalendarSpec = {
    timezone: 'Europe/Berlin',
    week: { mon: [['09:00', '12:00'], ['13:00', '17:30']], tue: [['09:00', '12:00'], ['13:00', '17:30']], wed: [['09:00', '17:30']], thu: [['09:00', '17:30']], fri: [['09:00', '15:00']] },
    holidays: ['2026-12-24', '2026-12-25', '2026-12-26'],
  };
  const cal = compileCalendar(office);

  it('counts split shifts in local time', () => {
    // Monday 2026-11-30, Berlin is UTC+1: 09:00-12:00 and 13:00-17:30 local = 7.5 h.
    expect(cal.businessMsBetween(ms('2026-11-30T00:00:00Z'), ms('2026-12-01T00:00:00Z'))).toBe(7.5 * H);
    // 11:00 to 14:00 local covers one hour before lunch and one after.
    expect(cal.businessMsBetween(ms('2026-11-30T10:00:00Z'), ms('2026-11-30T13:00:00Z'))).toBe(2 * H);
  });

  it('skips holidays and weekends when adding', () => {
    // Wednesday 2026-12-23 17:00 local (16:00Z) + 1 h: 30 min left that day, 24-26 holidays, weekend,
    // so Monday 28th 09:30 local (08:30Z).
    expect(cal.addBusinessMs(ms('2026-12-23T16:00:00Z'), H)).toBe(ms('2026-12-28T08:30:00Z'));
  });

  it('adds to the earliest instant: the end of a shift, not the next morning', () => {
    // Friday 2026-12-04 14:00 local + 1 h ends exactly at 15:00 local (14:00Z).
    expect(cal.addBusinessMs(ms('2026-12-04T13:00:00Z'), H)).toBe(ms('2026-12-04T14:00:00Z'));
    expect(cal.addBusinessMs(ms('2026-12-04T13:00:00Z'), 0)).toBe(ms('2026-12-04T13:00:00Z'));
  });

  it('is consistent: between(from, add(from, n)) = n across chunk and year boundaries', () => {
    const from = ms('2026-10-20T07:13:00Z');
    for (const minutes of [1, 59, 600, 5_000, 50_000, 200_000]) {
      const to = cal.addBusinessMs(from, minutes * 60_000);
      expect(cal.businessMsBetween(from, to)).toBe(minutes * 60_000);
    }
  });

  it('handles zones with 30- and 45-minute offsets', () => {
    const kathmandu = compileCalendar({ timezone: 'Asia/Kathmandu', week: { mon: [['09:00', '10:00']] } });
    // Kathmandu is UTC+5:45: Monday 09:00 local is 03:15Z.
    expect(kathmandu.addBusinessMs(ms('2026-11-30T00:00:00Z'), 60_000)).toBe(ms('2026-11-30T03:16:00Z'));
  });

  it('handles southern-hemisphere DST (Adelaide, UTC+10:30 in summer)', () => {
    const adelaide = compileCalendar({ timezone: 'Australia/Adelaide', week: { sun: [['00:00', '24:00']] } });
    // 2026-10-04: clocks go from 02:00 to 03:00: a 23-hour Sunday.
    expect(adelaide.businessMsBetween(ms('2026-10-01T00:00:00Z'), ms('2026-10-06T00:00:00Z'))).toBe(23 * H);
    // 2026-04-05: clocks go back from 03:00 to 02:00: a 25-hour Sunday.
    expect(adelaide.businessMsBetween(ms('2026-04-01T00:00:00Z'), ms('2026-04-07T00:00:00Z'))).toBe(25 * H);
  });

  it('24x7 counts every instant', () => {
    const always = compileCalendar('24x7');
    expect(always.businessMsBetween(ms('2026-01-01T00:00:00Z'), ms('2026-01-02T00:00:00Z'))).toBe(24 * H);
    expect(always.addBusinessMs(ms('2026-01-01T00:00:00Z'), 90 * 60_000)).toBe(ms('2026-01-01T01:30:00Z'));
  });

  it('merges a shift that runs over midnight', () => {
    const nights = compileCalendar({ timezone: 'UTC', week: { fri: [['22:00', '24:00']], sat: [['00:00', '06:00']] } });
    // Friday 2026-12-04 23:00 + 3 h continues into Saturday 02:00 without a gap.
    expect(nights.addBusinessMs(ms('2026-12-04T23:00:00Z'), 3 * H)).toBe(ms('2026-12-05T02:00:00Z'));
    expect(nights.businessMsBetween(ms('2026-12-04T00:00:00Z'), ms('2026-12-06T00:00:00Z'))).toBe(8 * H);
  });

  it('lists business intervals that add up to businessMsBetween, across holidays, DST and chunk edges', () => {
    // Monday 2026-11-30 in Berlin: two shifts.
    expect(cal.businessIntervals(ms('2026-11-30T00:00:00Z'), ms('2026-12-01T00:00:00Z'))).toEqual([
      [ms('2026-11-30T08:00:00Z'), ms('2026-11-30T11:00:00Z')],
      [ms('2026-11-30T12:00:00Z'), ms('2026-11-30T16:30:00Z')],
    ]);
    // Clipped to the range.
    expect(cal.businessIntervals(ms('2026-11-30T10:00:00Z'), ms('2026-11-30T13:00:00Z'))).toEqual([
      [ms('2026-11-30T10:00:00Z'), ms('2026-11-30T11:00:00Z')],
      [ms('2026-11-30T12:00:00Z'), ms('2026-11-30T13:00:00Z')],
    ]);
    // Christmas: the 24th-26th are holidays, so nothing from Wednesday night to Monday morning.
    expect(cal.businessIntervals(ms('2026-12-23T17:00:00Z'), ms('2026-12-28T08:00:00Z'))).toEqual([]);
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const calendar of [cal, compileCalendar('24x7'), compileCalendar({ timezone: 'America/New_York', week: { mon: [['00:00', '24:00']], sun: [['01:00', '03:00']] } })]) {
      for (let k = 0; k < 200; k++) {
        const from = ms('2026-01-01T00:00:00Z') + Math.floor(random() * 400 * 86_400_000);
        const to = from + Math.floor(random() * 120 * 86_400_000);
        const intervals = calendar.businessIntervals(from, to);
        expect(intervals.reduce((sum, [a, b]) => sum + (b - a), 0)).toBe(calendar.businessMsBetween(from, to));
        for (let i = 0; i < intervals.length; i++) {
          const [a, b] = intervals[i]!;
          expect(a).toBeGreaterThanOrEqual(from);
          expect(b).toBeLessThanOrEqual(to);
          expect(b).toBeGreaterThan(a);
          if (i > 0) expect(a).toBeGreaterThan(intervals[i - 1]![1]);
        }
      }
    }
  });

  it('describes itself in words, joining days with the same hours', () => {
    expect(describeCalendar(office)).toBe('Mon–Tue 09:00–12:00, 13:00–17:30; Wed–Thu 09:00–17:30; Fri 09:00–15:00 (Europe/Berlin), 3 holidays');
    expect(describeCalendar('24x7')).toBe('24x7');
    expect(describeCalendar(undefined)).toBe('24x7');
    expect(describeCalendar({ timezone: 'Asia/Tokyo', week: { mon: [['09:00', '18:00']], wed: [['09:00', '18:00']] }, holidays: ['2027-01-01'] })).toBe('Mon 09:00–18:00; Wed 09:00–18:00 (Asia/Tokyo), 1 holiday');
    expect(describeCalendar({ timezone: 'UTC', week: {} })).toBe('no business hours (UTC)');
  });

  it('returns the same compiled instance for the same spec', () => {
    expect(compileCalendar(structuredClone(office))).toBe(cal);
  });
});

describe('instant parsing and formatting', () => {
  it('reads the common UTC form exactly as Date.parse does', async () => {
    const { parseInstant, formatInstant } = await import('../../src/core/metrics.ts');
    for (let ms = Date.parse('1969-12-31T23:00:00Z'); ms < Date.parse('2101-01-01T00:00:00Z'); ms += 7_777_777_000) {
      const text = formatInstant(ms);
      expect(parseInstant(text)).toBe(Date.parse(text));
    }
    for (const text of ['2028-02-29T23:59:59Z', '2000-03-01T00:00:00Z', '2026-12-28T14:30:00.250Z', '2026-12-28T09:30:00-05:00']) {
      expect(parseInstant(text)).toBe(Date.parse(text));
    }
    expect(Number.isNaN(parseInstant('2026-1x-28T14:30:00Z'))).toBe(true);
    expect(formatInstant(Date.parse('2026-12-28T14:30:00.250Z'))).toBe('2026-12-28T14:30:00.250Z');
  });
});
