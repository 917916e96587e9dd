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

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * An instant as a statement parameter for a timestamptz column. An ISO instant with its zone (what
 * core and the connectors give) goes as it is: Postgres reads it, and refuses an impossible one
 * (Feb 30), where a JS Date would roll it over; parsing and printing it here cost a sync page more
 * than the rest of its row. Any other form is parsed as toDate does (and throws if it is no instant).
 */
export function toStoreInstant(iso: string): string {
  return ISO_INSTANT.test(iso) ? iso : toDate(iso).toISOString();
}

export function toDateOrNull(iso: string | null): Date | null {
  return iso === null ? null : toDate(iso);
}
