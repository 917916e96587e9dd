// Instants cross the store boundary as the ISO strings of src/core and are stored as timestamptz.

/** `2026-12-24T21:30:00Z`, or `...:00.250Z` when there are milliseconds: the form core prints. */
export function toIsoInstant(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}

export function toIsoInstantOrNull(date: Date | null): string | null {
  return date === null ? null : toIsoInstant(date);
}

/** Parses an ISO instant; a string that is no instant is a bug upstream (edges validate), so it throws. */
export function toDate(iso: string): Date {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not an ISO instant: ${JSON.stringify(iso)}`);
  return date;
}

export function toDateOrNull(iso: string | null): Date | null {
  return iso === null ? null : toDate(iso);
}
