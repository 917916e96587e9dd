// Store backends for integration tests: in-memory PGlite always, and real Postgres when
// DATABASE_URL is set. Each Postgres handle gets a database of its own, created here and dropped
// on close, so runs are repeatable and concurrent runs (other files, other checkouts) never meet.
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import type { DatabaseHandle, Db } from '../../src/store/db.ts';
import { migrateDatabase, openDatabase } from '../../src/store/db.ts';

export interface StoreBackend {
  name: 'pglite' | 'postgres';
  /** A fresh, migrated, empty store; close() disposes of it. */
  open(): Promise<DatabaseHandle>;
}

const pglite: StoreBackend = {
  name: 'pglite',
  async open() {
    const handle = await openDatabase({ memory: true });
    await migrateDatabase(handle);
    return handle;
  },
};

function postgresBackend(baseUrl: string): StoreBackend {
  return {
    name: 'postgres',
    async open() {
      const name = `sla_sync_test_${process.pid}_${randomBytes(4).toString('hex')}`;
      const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`create database "${name}"`);
      const url = new URL(baseUrl);
      url.pathname = `/${name}`;
      const handle = await openDatabase({ url: url.toString(), maxConnections: 4 });
      const dropDatabase = async () => {
        try {
          await admin.unsafe(`drop database if exists "${name}" with (force)`);
        } finally {
          await admin.end();
        }
      };
      try {
        await migrateDatabase(handle);
      } catch (error) {
        await handle.close();
        await dropDatabase();
        throw error;
      }
      return {
        ...handle,
        async close() {
          await handle.close();
          await dropDatabase();
        },
      };
    },
  };
}

/** PGlite, plus Postgres when DATABASE_URL is set. */
export function storeBackends(): StoreBackend[] {
  const url = process.env.DATABASE_URL;
  return url ? [pglite, postgresBackend(url)] : [pglite];
}

/** Empties every table (identities restart), keeping the schema and the migration history. */
export async function resetStore(db: Db): Promise<void> {
  await db.execute(sql`truncate policies, connections restart identity cascade`);
}
