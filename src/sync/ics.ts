// Holidays from an iCalendar (.ics) file (issue 6, policy calendars): every all-day VEVENT becomes
// the local dates it covers (DTEND is exclusive, RFC 5545 3.6.1), recurring ones (a yearly public
// holiday) expanded over a range of years. Timed events are not holidays: they are counted, not used.
import ICAL from 'ical.js';

export interface IcsHolidays {
  /** YYYY-MM-DD, sorted, each once. */
  dates: string[];
  /** All-day events read. */
  events: number;
  /** Events with a time of day, left out. */
  timedEvents: number;
}

export class IcsError extends Error {}

/** Longest all-day event taken as holidays; a longer one is more likely a "term" than a day off. */
const MAX_EVENT_DAYS = 31;

const dateOf = (t: ICAL.Time): string => `${String(t.year).padStart(4, '0')}-${String(t.month).padStart(2, '0')}-${String(t.day).padStart(2, '0')}`;

/** Dates of one all-day occurrence starting at `start` and lasting `days`. */
function occurrenceDates(start: ICAL.Time, days: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < days; i++) {
    const d = start.clone();
    d.adjust(i, 0, 0, 0);
    out.push(dateOf(d));
  }
  return out;
}

/**
 * Reads the holidays of an .ics text. Recurring events are expanded from `fromYear` through
 * `toYear` (inclusive); single events are kept whatever their year.
 */
export function holidaysFromIcs(text: string, range: { fromYear: number; toYear: number }): IcsHolidays {
  let root: ICAL.Component;
  try {
    root = new ICAL.Component(ICAL.parse(text) as unknown[]);
  } catch (error) {
    throw new IcsError(`is not an iCalendar file (${(error as Error).message.split('\n')[0]})`);
  }
  if (root.name !== 'vcalendar') throw new IcsError('is not an iCalendar file (no VCALENDAR)');
  const dates = new Set<string>();
  let events = 0;
  let timedEvents = 0;
  for (const component of root.getAllSubcomponents('vevent')) {
    const event = new ICAL.Event(component);
    const start = event.startDate;
    if (!start) continue;
    if (!start.isDate) {
      timedEvents++;
      continue;
    }
    events++;
    const end = event.endDate;
    const days = end && end.isDate ? Math.min(MAX_EVENT_DAYS, Math.max(1, Math.round(end.subtractDate(start).toSeconds() / 86400))) : 1;
    if (!event.isRecurring()) {
      for (const d of occurrenceDates(start, days)) dates.add(d);
      continue;
    }
    const expansion = event.iterator();
    // Bounded however the rule is written (an RRULE without COUNT or UNTIL never ends).
    for (let i = 0; i < 10_000; i++) {
      const next = expansion.next();
      if (!next || next.year > range.toYear) break;
      if (next.year < range.fromYear) continue;
      for (const d of occurrenceDates(next, days)) dates.add(d);
    }
  }
  return { dates: [...dates].sort(), events, timedEvents };
}
