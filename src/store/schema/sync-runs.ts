import { index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';
import { connections } from './connections.ts';

/** Each sync of a connection, for the admin page: when, how it ended, how much it read, its error. */
export const syncRuns = pgTable(
  'sync_runs',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    connectionId: integer('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    /** full or incremental; and what started it: schedule, cli, admin, webhook. */
    mode: text('mode', { enum: ['full', 'incremental'] }).notNull(),
    trigger: text('trigger').notNull(),
    startedAt: timestamptz('started_at').notNull(),
    finishedAt: timestamptz('finished_at'),
    status: text('status', { enum: ['running', 'ok', 'failed'] }).notNull(),
    cases: integer('cases').notNull().default(0),
    pages: integer('pages').notNull().default(0),
    error: text('error'),
  },
  (t) => [index('sync_runs_connection_started_idx').on(t.connectionId, t.startedAt)],
);
