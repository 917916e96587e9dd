// Instants as the store passes them to timestamptz columns (src/store/instants.ts).
import { describe, expect, it } from 'vitest';
import { toStoreInstant } from '../../src/store/instants.ts';

describe('toStoreInstant', () => {
  it('passes an ISO instant with its zone as it is', () => {
    for (const iso of ['2026-03-29T01:30:00Z', '2026-03-29T01:30:00.250Z', '2026-03-29T03:30:00+02:00', '2026-10-25T02:30:00.123456-05:00']) {
      expect(toStoreInstant(iso)).toBe(iso);
    }
  });

  it('prints any other form Date reads as UTC ISO, and refuses what is no instant', () => {
    expect(toStoreInstant('2026-03-29T01:30Z')).toBe('2026-03-29T01:30:00.000Z');
    expect(toStoreInstant('Sun, 29 Mar 2026 01:30:00 GMT')).toBe('2026-03-29T01:30:00.000Z');
    expect(() => toStoreInstant('not an instant')).toThrow(RangeError);
    expect(() => toStoreInstant('')).toThrow(RangeError);
  });
});
