// CSV for every report table (issue 6: "CSV and JSON export of every table"): RFC 4180 with CRLF
// line ends, a header of the JSON field names, and text that starts like a formula defused.

/** One CSV field: quoted when it must be, and a text starting like a formula is defused (OWASP CSV injection). */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The rows' named columns as CSV, the header first. */
export function toCsv<T extends object, K extends keyof T & string>(columns: readonly K[], rows: readonly T[]): string {
  const lines = [columns.join(','), ...rows.map((row) => columns.map((c) => csvField(row[c])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}
