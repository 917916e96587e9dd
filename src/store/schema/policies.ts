import { integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import type { Policy } from '../../core/types.ts';
import { timestamptz } from './columns.ts';

/** SLA policies; `definition` is the core Policy, validated before it is stored. */
export const policies = pgTable('policies', {
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  name: text('name').notNull().unique(),
  definition: jsonb('definition').$type<Policy>().notNull(),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
});
