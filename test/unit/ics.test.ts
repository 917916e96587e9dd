// .ics import for policy holidays: all-day events to local dates, yearly rules expanded over a range,
// multi-day events to every day they cover, timed events left out.
import { describe, expect, it } from 'vitest';
import { IcsError, holidaysFromIcs } from '../../src/sync/ics.ts';

const calendar = (...events: string[]) => ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', ...events, 'END:VCALENDAR', ''].join('\r\n');
const vevent = (...lines: string[]) => ['BEGIN:VEVENT', `UID:${Math.random()}@test`, 'DTSTAMP:20260101T000000Z', ...lines, 'END:VEVENT'].join('\r\n');

describe('holidaysFromIcs', () => {
  it('turns a single all-day event into its date', () => {
    const ics = calendar(vevent('SUMMARY:Christmas', 'DTSTART;VALUE=DATE:20261225', 'DTEND;VALUE=DATE:20261226'));
    expect(holidaysFromIcs(ics, { fromYear: 2026, toYear: 2027 })).toEqual({ dates: ['2026-12-25'], events: 1, timedEvents: 0 });
  });

  it('covers every day of a multi-day event, DTEND exclusive', () => {
    const ics = calendar(vevent('SUMMARY:Closure', 'DTSTART;VALUE=DATE:20261230', 'DTEND;VALUE=DATE:20270102'));
    expect(holidaysFromIcs(ics, { fromYear: 2026, toYear: 2027 }).dates).toEqual(['2026-12-30', '2026-12-31', '2027-01-01']);
  });

  it('expands a yearly rule over the range only, and leaves timed events out', () => {
    const ics = calendar(
      vevent('SUMMARY:New Year', 'DTSTART;VALUE=DATE:20200101', 'DTEND;VALUE=DATE:20200102', 'RRULE:FREQ=YEARLY'),
      vevent('SUMMARY:Standup', 'DTSTART:20260105T090000Z', 'DTEND:20260105T091500Z'),
      vevent('SUMMARY:Independence Day', 'DTSTART;VALUE=DATE:20250704', 'RRULE:FREQ=YEARLY;COUNT=2'),
    );
    expect(holidaysFromIcs(ics, { fromYear: 2026, toYear: 2028 })).toEqual({
      dates: ['2026-01-01', '2026-07-04', '2027-01-01', '2028-01-01'],
      events: 2,
      timedEvents: 1,
    });
  });

  it('expands a rule like "fourth Thursday of November"', () => {
    const ics = calendar(vevent('SUMMARY:Thanksgiving', 'DTSTART;VALUE=DATE:20241128', 'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH'));
    expect(holidaysFromIcs(ics, { fromYear: 2026, toYear: 2027 }).dates).toEqual(['2026-11-26', '2027-11-25']);
  });

  it('refuses text that is not iCalendar', () => {
    expect(() => holidaysFromIcs('hello', { fromYear: 2026, toYear: 2027 })).toThrow(IcsError);
    expect(() => holidaysFromIcs('BEGIN:VCARD\r\nVERSION:4.0\r\nEND:VCARD\r\n', { fromYear: 2026, toYear: 2027 })).toThrow(/no VCALENDAR/);
  });
});
