import { sql } from 'drizzle-orm';
import { bigint, check, integer, jsonb, pgTable, unique } from 'drizzle-orm/pg-core';
import { eventTypeEnum, severityEnum, statusEnum, timestamptz } from './columns.ts';
import { cases } from './cases.ts';

/** A case's timeline; `seq` is the index in the core CaseEvent array (core applies events in array order). */
export const caseEvents = pgTable(
  'case_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    caseId: integer('case_id')
      .notNull()
      .references(() => cases.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    at: timestamptz('at').notNull(),
    type: eventTypeEnum('type').notNull(),
    status: statusEnum('status'),
    severity: severityEnum('severity'),
    /** What the connector wants to keep about the source event (its id, author, ...). */
    data: jsonb('data').$type<Record<string, unknown>>(),
  },
  (t) => [
    unique('case_events_case_seq_unique').on(t.caseId, t.seq),
    // The columns a core event of each type must carry.
    check('case_events_status_event_has_status', sql`${t.type} <> 'status' or ${t.status} is not null`),
    check('case_events_severity_event_has_severity', sql`${t.type} <> 'severity' or ${t.severity} is not null`),
  ],
);
