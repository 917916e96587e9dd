import { bigint, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz, writebackOutcomeEnum } from './columns.ts';
import { cases } from './cases.ts';
import { connections } from './connections.ts';

/** Every writeback attempt (label, field, comment) and how it ended. */
export const writebackLog = pgTable(
  'writeback_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** Null for connection-level actions (e.g. creating the SLA labels in a repository). */
    caseId: integer('case_id').references(() => cases.id, { onDelete: 'cascade' }),
    connectionId: integer('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    action: text('action').notNull(),
    payload: jsonb('payload').$type<unknown>().notNull(),
    outcome: writebackOutcomeEnum('outcome').notNull(),
    error: text('error'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('writeback_log_case_idx').on(t.caseId, t.id),
    index('writeback_log_connection_idx').on(t.connectionId, t.id),
  ],
);
