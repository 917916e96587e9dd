import { sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

/** `excluded.<column>` inside ON CONFLICT DO UPDATE: the value the insert proposed. */
export function excluded(column: PgColumn): SQL {
  return sql`excluded.${sql.identifier(column.name)}`;
}

/** Splits rows so that one statement stays below Postgres' 65,535 bind parameters. */
export function chunk<T>(rows: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/**
 * `column = any(ids)` with the ids as ONE parameter: the statement's text is then the same for any
 * number of ids, so postgres.js (which prepares statements by their text) parses and describes it
 * once per connection, where drizzle's inArray, one parameter per id, made a new statement for
 * every list length (a webhook burst's batches vary in size all the time).
 */
export function inIntegers(column: PgColumn, ids: readonly number[]): SQL {
  for (const id of ids) if (!Number.isSafeInteger(id)) throw new RangeError(`not an integer id: ${id}`);
  return sql`${column} = any(${`{${ids.join(',')}}`}::int[])`;
}

/** inIntegers for text values, as a jsonb array (no array-literal quoting to get wrong). */
export function inTexts(column: PgColumn, values: readonly string[]): SQL {
  return sql`${column} in (select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`;
}
