// Databases for the job queue tests: the store's in-memory PGlite always, and Postgres when
// DATABASE_URL is set. A backend's database is opened once per file (PGlite takes seconds to
// boot); every queue started on it gets a pg-boss schema of its own, dropped when it stops.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { openDatabase } from '../../src/store/db.ts';
import type { CreateQueueOptions, JobQueue, QueueDatabase } from '../../src/sync/queue.ts';
import { createQueue } from '../../src/sync/queue.ts';

export interface OpenedQueueBackend {
  database: QueueDatabase;
  /** The store on the same database (not migrated): for jobs sent in a store transaction. */
  store: DatabaseHandle;
  /** Runs one SQL statement with no parameters. */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

export interface QueueBackend {
  name: 'pglite' | 'postgres';
  open(): Promise<OpenedQueueBackend>;
}

export function testSchemaName(): string {
  return `pgboss_test_${randomBytes(5).toString('hex')}`;
}

const pglite: QueueBackend = {
  name: 'pglite',
  async open() {
    // The store's own handle: pg-boss shares its PGlite instance, as in `sla-sync serve`.
    const handle = await openDatabase({ memory: true });
    if (handle.kind !== 'pglite') throw new Error('expected PGlite');
    return {
      database: { kind: 'pglite', pglite: handle.client },
      store: handle,
      exec: async (sql) => {
        await handle.client.exec(sql);
      },
      close: () => handle.close(),
    };
  },
};

function postgresBackend(url: string): QueueBackend {
  return {
    name: 'postgres',
    async open() {
      const admin = postgres(url, { max: 1, onnotice: () => {} });
      const store = await openDatabase({ url, maxConnections: 2 });
      return {
        database: { kind: 'postgres', url, maxConnections: 4 },
        store,
        exec: async (sql) => {
          await admin.unsafe(sql);
        },
        async close() {
          await store.close();
          await admin.end();
        },
      };
    },
  };
}

export function queueBackends(): QueueBackend[] {
  const url = process.env.DATABASE_URL;
  return url ? [pglite, postgresBackend(url)] : [pglite];
}

export interface TestQueue {
  queue: JobQueue;
  schema: string;
  /** Stops the queue and drops its schema. */
  stop(): Promise<void>;
}

/** A started queue in a fresh schema, with test-short polling. */
export async function startTestQueue(
  opened: OpenedQueueBackend,
  options: Omit<CreateQueueOptions, 'database' | 'schema'> = {},
): Promise<TestQueue> {
  const schema = testSchemaName();
  const queue = createQueue({
    database: opened.database,
    schema,
    pollingIntervalSeconds: 0.5,
    instanceName: 'test',
    onError: (error) => console.error('job queue error:', error),
    ...options,
  });
  const dropSchema = () => opened.exec(`drop schema if exists "${schema}" cascade`);
  try {
    await queue.start();
  } catch (error) {
    await dropSchema();
    throw error;
  }
  return {
    queue,
    schema,
    async stop() {
      try {
        await queue.stop({ timeoutMs: 2000 });
      } finally {
        await dropSchema();
      }
    },
  };
}

/** Resolves once check() returns a value other than undefined; rejects after timeoutMs. */
export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
