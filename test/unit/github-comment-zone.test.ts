// The status comment's local due time: formatInZone must print what luxon's
// "yyyy-MM-dd HH:mm ZZZZ" printed (the format the comment had), for any zone and instant,
// DST changes included.
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { formatInZone } from '../../src/connectors/github/writeback.ts';

const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Sydney', 'Pacific/Chatham', 'America/Sao_Paulo', 'Asia/Kathmandu'];

describe('the status comment in the calendar zone', () => {
  it("prints exactly luxon's text for any zone and instant", () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), fc.integer({ min: Date.parse('2020-01-01T00:00:00Z'), max: Date.parse('2030-12-31T23:59:59Z') }), (zone, ms) => {
        const iso = new Date(Math.floor(ms / 60_000) * 60_000).toISOString();
        expect(formatInZone(iso, zone)).toBe(DateTime.fromISO(iso, { zone }).toFormat('yyyy-MM-dd HH:mm ZZZZ'));
      }),
      { numRuns: 2_000 },
    );
  });

  it('across New York going to summer time, and midnight is 00, not 24', () => {
    expect(formatInZone('2026-03-08T06:59:00Z', 'America/New_York')).toBe('2026-03-08 01:59 EST');
    expect(formatInZone('2026-03-08T07:00:00Z', 'America/New_York')).toBe('2026-03-08 03:00 EDT');
    expect(formatInZone('2026-03-09T04:00:00Z', 'America/New_York')).toBe('2026-03-09 00:00 EDT');
  });

  it('says "—" for a zone that is not one', () => {
    expect(formatInZone('2026-03-08T06:59:00Z', 'Mars/Olympus')).toBe('—');
  });
});
