import { integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import type { CustomerMatcher } from '../../core/agreements.ts';
import { timestamptz } from './columns.ts';

/** Internal customers (other divisions), recognised from source data; tried in position order. */
export const customers = pgTable('customers', {
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  name: text('name').notNull().unique(),
  position: integer('position').notNull(),
  match: jsonb('match').$type<CustomerMatcher[]>().notNull(),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
});
