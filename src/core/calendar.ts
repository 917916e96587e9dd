// Business calendars: which real instants count as business time, and the two fast primitives the
// engine needs, "business time between" and "add business time".
//
// Rule (issue 2): a real instant counts when its local wall-clock reading in the calendar's zone lies
// inside an interval of its own local date, and that date is no holiday. We never compute offsets by
// hand: luxon (the zone database through Intl) gives the UTC offset of every instant, and we find the
// instants where it changes. On a spring-forward day the skipped local hour has no real instants, so
// it counts nothing; on a fall-back day the repeated hour has two runs of real instants, so it counts
// twice.
//
// Precomputation: real time is cut into fixed chunks (CHUNK_MS). For each chunk, computed once and
// cached, the business intervals are listed as sorted UTC [start, end) pairs with prefix sums, so
// both primitives are a binary search plus arithmetic.
import { IANAZone } from 'luxon';
import type { CalendarInput, CalendarSpec, Weekday } from './types.ts';
import { WEEKDAYS } from './types.ts';

export interface BusinessCalendar {
  /** "24x7" or the IANA zone, for display. */
  readonly label: string;
  readonly timezone: string;
  /** Business milliseconds in [fromMs, toMs); 0 when toMs <= fromMs. */
  businessMsBetween(fromMs: number, toMs: number): number;
  /** The earliest instant t >= fromMs with businessMsBetween(fromMs, t) === amountMs. */
  addBusinessMs(fromMs: number, amountMs: number): number;
  /**
   * The business intervals within [fromMs, toMs), as sorted, disjoint UTC [start, end) pairs: what
   * a browser needs to tick a countdown in business time without knowing the calendar.
   */
  businessIntervals(fromMs: number, toMs: number): [number, number][];
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** About 49.7 days: long enough that a case rarely spans many chunks, short enough to build fast. */
const CHUNK_MS = 2 ** 32;
/** Offsets are sampled this often to find transitions; zones never change offset twice in 6 hours. */
const OFFSET_SAMPLE_MS = 6 * 3_600_000;
/** addBusinessMs gives up after this many empty chunks (a calendar with no hours at all). */
const MAX_EMPTY_CHUNKS = 200;

/** "HH:MM" (00:00..23:59) or "24:00", to minutes after local midnight; null when malformed. */
export function parseWallClock(text: string): number | null {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (match) return Number(match[1]) * 60 + Number(match[2]);
  return text === '24:00' ? 1440 : null;
}

/** "YYYY-MM-DD" that is a real calendar date, to days since 1970-01-01; null when not. */
export function parseLocalDate(text: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return null;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(y, m - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== m - 1 || back.getUTCDate() !== d) return null;
  return ms / DAY_MS;
}

export function isIanaZone(name: string): boolean {
  return IANAZone.isValidZone(name);
}

class AroundTheClock implements BusinessCalendar {
  readonly label = '24x7';
  readonly timezone = 'UTC';
  businessMsBetween(fromMs: number, toMs: number): number {
    return toMs > fromMs ? toMs - fromMs : 0;
  }
  addBusinessMs(fromMs: number, amountMs: number): number {
    return amountMs > 0 ? fromMs + amountMs : fromMs;
  }
  businessIntervals(fromMs: number, toMs: number): [number, number][] {
    return toMs > fromMs ? [[fromMs, toMs]] : [];
  }
}

interface Chunk {
  starts: Float64Array;
  ends: Float64Array;
  /** Business ms before interval i within this chunk. */
  cumBefore: Float64Array;
  total: number;
}

/** Last index i with starts[i] <= t, or -1. */
function lastStartAtOrBefore(starts: Float64Array, t: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]! <= t) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Business ms in the chunk before instant t (t inside or at the edges of the chunk). */
function withinChunk(chunk: Chunk, t: number): number {
  const i = lastStartAtOrBefore(chunk.starts, t);
  if (i < 0) return 0;
  return chunk.cumBefore[i]! + Math.min(t, chunk.ends[i]!) - chunk.starts[i]!;
}

/** Earliest instant at which the chunk's running business total reaches need (0 < need <= total). */
function instantReaching(chunk: Chunk, need: number): number {
  let lo = 0;
  let hi = chunk.starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const cumEnd = chunk.cumBefore[mid]! + chunk.ends[mid]! - chunk.starts[mid]!;
    if (cumEnd >= need) hi = mid;
    else lo = mid + 1;
  }
  return chunk.starts[lo]! + (need - chunk.cumBefore[lo]!);
}

class ZonedCalendar implements BusinessCalendar {
  readonly label: string;
  readonly timezone: string;
  private readonly zone: IANAZone;
  /** Per ISO weekday index (0 = Monday): flat [start, end, start, end...] minutes, sorted. */
  private readonly week: number[][];
  private readonly holidays: Set<number>;
  private readonly chunks = new Map<number, Chunk>();

  constructor(spec: CalendarSpec) {
    this.timezone = spec.timezone;
    this.label = spec.timezone;
    this.zone = IANAZone.create(spec.timezone);
    this.week = WEEKDAYS.map((day: Weekday) => {
      const intervals = (spec.week[day] ?? [])
        .map(([s, e]) => [parseWallClock(s)!, parseWallClock(e)!] as const)
        .sort((a, b) => a[0] - b[0]);
      return intervals.flat();
    });
    this.holidays = new Set((spec.holidays ?? []).map((d) => parseLocalDate(d)!));
  }

  private offsetMs(t: number): number {
    return this.zone.offset(t) * MINUTE_MS;
  }

  /** Real-time runs of constant UTC offset covering [from, to). */
  private offsetRuns(from: number, to: number): { start: number; end: number; offset: number }[] {
    const runs: { start: number; end: number; offset: number }[] = [];
    let runStart = from;
    let runOffset = this.offsetMs(from);
    for (let probe = from + OFFSET_SAMPLE_MS; ; probe += OFFSET_SAMPLE_MS) {
      const at = Math.min(probe, to);
      const offset = this.offsetMs(at);
      if (offset !== runOffset) {
        // Binary search the first millisecond with the new offset in (previous probe, at].
        let lo = Math.max(runStart, at - OFFSET_SAMPLE_MS);
        let hi = at;
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (this.offsetMs(mid) === runOffset) lo = mid;
          else hi = mid;
        }
        runs.push({ start: runStart, end: hi, offset: runOffset });
        runStart = hi;
        runOffset = this.offsetMs(hi);
      }
      if (at >= to) break;
    }
    runs.push({ start: runStart, end: to, offset: runOffset });
    return runs;
  }

  private buildChunk(index: number): Chunk {
    const from = index * CHUNK_MS;
    const to = from + CHUNK_MS;
    const starts: number[] = [];
    const ends: number[] = [];
    for (const run of this.offsetRuns(from, to)) {
      // Within a run, local wall-clock time = real time + offset, a plain shift.
      const localFrom = run.start + run.offset;
      const localTo = run.end + run.offset;
      for (let day = Math.floor(localFrom / DAY_MS); day * DAY_MS < localTo; day++) {
        if (this.holidays.has(day)) continue;
        const weekday = (((day + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday (index 3)
        const intervals = this.week[weekday]!;
        for (let k = 0; k < intervals.length; k += 2) {
          const a = Math.max(day * DAY_MS + intervals[k]! * MINUTE_MS, localFrom);
          const b = Math.min(day * DAY_MS + intervals[k + 1]! * MINUTE_MS, localTo);
          if (b <= a) continue;
          const realStart = a - run.offset;
          const realEnd = b - run.offset;
          // Merge intervals that touch (e.g. "24:00" followed by "00:00" of the next day).
          if (ends.length > 0 && ends[ends.length - 1] === realStart) ends[ends.length - 1] = realEnd;
          else {
            starts.push(realStart);
            ends.push(realEnd);
          }
        }
      }
    }
    const cumBefore = new Float64Array(starts.length);
    let total = 0;
    for (let i = 0; i < starts.length; i++) {
      cumBefore[i] = total;
      total += ends[i]! - starts[i]!;
    }
    return { starts: Float64Array.from(starts), ends: Float64Array.from(ends), cumBefore, total };
  }

  private lastIndex = Number.NaN;
  private lastChunk: Chunk | null = null;

  private chunk(index: number): Chunk {
    // Consecutive queries nearly always fall in the same chunk: skip the map for those.
    if (index === this.lastIndex && this.lastChunk) return this.lastChunk;
    let chunk = this.chunks.get(index);
    if (!chunk) {
      chunk = this.buildChunk(index);
      this.chunks.set(index, chunk);
    }
    this.lastIndex = index;
    this.lastChunk = chunk;
    return chunk;
  }

  businessMsBetween(fromMs: number, toMs: number): number {
    if (!(toMs > fromMs)) return 0;
    const first = Math.floor(fromMs / CHUNK_MS);
    const last = Math.floor(toMs / CHUNK_MS);
    const head = this.chunk(first);
    if (first === last) return withinChunk(head, toMs) - withinChunk(head, fromMs);
    let sum = head.total - withinChunk(head, fromMs);
    for (let k = first + 1; k < last; k++) sum += this.chunk(k).total;
    return sum + withinChunk(this.chunk(last), toMs);
  }

  addBusinessMs(fromMs: number, amountMs: number): number {
    if (!(amountMs > 0)) return fromMs;
    let index = Math.floor(fromMs / CHUNK_MS);
    let chunk = this.chunk(index);
    let need = withinChunk(chunk, fromMs) + amountMs;
    for (let empty = 0; empty <= MAX_EMPTY_CHUNKS; ) {
      if (need <= chunk.total) return instantReaching(chunk, need);
      need -= chunk.total;
      if (chunk.total === 0) empty++;
      else empty = 0;
      index++;
      chunk = this.chunk(index);
    }
    throw new Error(`calendar ${this.label} has no business time for ${MAX_EMPTY_CHUNKS} chunks`);
  }

  businessIntervals(fromMs: number, toMs: number): [number, number][] {
    const out: [number, number][] = [];
    if (!(toMs > fromMs)) return out;
    for (let index = Math.floor(fromMs / CHUNK_MS); index <= Math.floor((toMs - 1) / CHUNK_MS); index++) {
      const chunk = this.chunk(index);
      for (let i = Math.max(0, lastStartAtOrBefore(chunk.starts, fromMs)); i < chunk.starts.length && chunk.starts[i]! < toMs; i++) {
        const start = Math.max(chunk.starts[i]!, fromMs);
        const end = Math.min(chunk.ends[i]!, toMs);
        if (end <= start) continue;
        // Chunk boundaries cut intervals in two: join the halves again.
        const last = out[out.length - 1];
        if (last && last[1] === start) last[1] = end;
        else out.push([start, end]);
      }
    }
    return out;
  }
}

const AROUND_THE_CLOCK = new AroundTheClock();
const compiled = new Map<string, BusinessCalendar>();

/**
 * A calendar ready for fast queries; the same spec always returns the same cached instance, so its
 * precomputed chunks are shared. The spec must already be valid (see validateCalendar).
 */
export function compileCalendar(input: CalendarInput | undefined): BusinessCalendar {
  if (input === undefined || input === '24x7') return AROUND_THE_CLOCK;
  const key = JSON.stringify([input.timezone, input.week, input.holidays ?? []]);
  let calendar = compiled.get(key);
  if (!calendar) {
    calendar = new ZonedCalendar(input);
    compiled.set(key, calendar);
  }
  return calendar;
}

const DAY_NAMES: Record<Weekday, string> = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };

/**
 * The calendar in words, for people: "24x7", or "Mon–Fri 09:00–17:30 (Europe/Berlin), 3 holidays",
 * with runs of weekdays that share their hours joined.
 */
export function describeCalendar(input: CalendarInput | undefined): string {
  if (input === undefined || input === '24x7') return '24x7';
  const runs: { from: Weekday; to: Weekday; hours: string }[] = [];
  for (const day of WEEKDAYS) {
    const intervals = input.week[day] ?? [];
    if (intervals.length === 0) continue;
    const hours = intervals.map(([a, b]) => `${a}–${b}`).join(', ');
    const last = runs[runs.length - 1];
    if (last && last.hours === hours && WEEKDAYS.indexOf(last.to) === WEEKDAYS.indexOf(day) - 1) last.to = day;
    else runs.push({ from: day, to: day, hours });
  }
  const week = runs.length === 0 ? 'no business hours' : runs.map((r) => `${DAY_NAMES[r.from]}${r.to === r.from ? '' : `–${DAY_NAMES[r.to]}`} ${r.hours}`).join('; ');
  const holidays = input.holidays?.length ?? 0;
  return `${week} (${input.timezone})${holidays > 0 ? `, ${holidays} holiday${holidays === 1 ? '' : 's'}` : ''}`;
}
