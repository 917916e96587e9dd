import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';
import { connections } from './connections.ts';

/** Where a connection's incremental sync resumes; written in the same transaction as its page. */
export const syncCursors = pgTable('sync_cursors', {
  connectionId: integer('connection_id')
    .primaryKey()
    .references(() => connections.id, { onDelete: 'cascade' }),
  cursor: text('cursor'),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  lastRunAt: timestamptz('last_run_at'),
  lastError: text('last_error'),
});
