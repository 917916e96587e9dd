// Opens the store: embedded PGlite (persisted under the data dir, or in memory for tests) when no
// Postgres URL is given, postgres.js otherwise. Both hand repositories the same drizzle type, Db.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { Sql } from 'postgres';
import { env } from '../env.ts';
import * as schema from './schema/index.ts';

export type Schema = typeof schema;

/** A drizzle database or transaction on either driver; every repository function takes one. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export type DatabaseHandle = {
  db: Db;
  close(): Promise<void>;
} & (
  | { kind: 'pglite'; client: PGlite; /** null when in memory */ dataDir: string | null }
  | { kind: 'postgres'; client: Sql; /** For other clients of the same database (pg-boss). */ url: string }
);

export interface OpenDatabaseOptions {
  /** In-memory PGlite (tests); wins over everything else. */
  memory?: boolean;
  /** A postgres:// URL; wins over dataDir and the environment. */
  url?: string;
  /** Data dir whose `pglite/` holds the embedded database; default SLA_SYNC_DATA_DIR. */
  dataDir?: string;
  /** postgres.js pool size (default 10). */
  maxConnections?: number;
}

/** The generated migrations, found from this file so that the working directory does not matter. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

// Any fixed 64-bit number: serializes concurrent `migrate` runs (several workers starting at once).
const MIGRATION_LOCK_ID = 7_305_124_001;

export async function openDatabase(opts: OpenDatabaseOptions = {}): Promise<DatabaseHandle> {
  if (opts.memory) return openPglite(null);
  const url = opts.url ?? (opts.dataDir === undefined ? env().DATABASE_URL : undefined);
  if (url !== undefined) return openPostgres(url, opts.maxConnections ?? 10);
  return openPglite(path.join(opts.dataDir ?? env().SLA_SYNC_DATA_DIR, 'pglite'));
}

async function openPglite(dataDir: string | null): Promise<DatabaseHandle> {
  if (dataDir !== null) mkdirSync(dataDir, { recursive: true });
  const client = dataDir === null ? new PGlite() : new PGlite(dataDir);
  await client.waitReady;
  const db = drizzlePglite({ client, schema });
  return { kind: 'pglite', client, dataDir, db, close: () => client.close() };
}

function openPostgres(url: string, max: number): DatabaseHandle {
  // onnotice: the migrator's "schema drizzle already exists, skipping" is no news.
  const client = postgres(url, { max, onnotice: () => {} });
  const db = drizzlePostgres({ client, schema });
  return { kind: 'postgres', client, url, db, close: () => client.end() };
}

/** Applies the migrations in ./drizzle that this database has not seen; a no-op when up to date. */
export async function migrateDatabase(handle: DatabaseHandle): Promise<void> {
  const config = { migrationsFolder: MIGRATIONS_FOLDER };
  if (handle.kind === 'pglite') {
    // PGlite is one connection in this process: nothing to race with.
    await migratePglite(drizzlePglite({ client: handle.client }), config);
    return;
  }
  const lock = await handle.client.reserve();
  try {
    await lock`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    try {
      await migratePostgres(drizzlePostgres({ client: handle.client }), config);
    } finally {
      await lock`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
    }
  } finally {
    lock.release();
  }
}

/** Runs fn in one transaction: committed when fn resolves, rolled back when it throws. */
export function withTransaction<T>(handle: { db: Db }, fn: (tx: Db) => Promise<T>): Promise<T> {
  return handle.db.transaction(fn);
}
