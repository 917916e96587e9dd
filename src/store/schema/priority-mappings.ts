import { integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { severityEnum } from './columns.ts';
import { connections } from './connections.ts';

/** A connection's raw priority (as the source spells it) to a severity. */
export const priorityMappings = pgTable(
  'priority_mappings',
  {
    connectionId: integer('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    rawPriority: text('raw_priority').notNull(),
    severity: severityEnum('severity').notNull(),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.rawPriority] })],
);
