import { integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import type { PolicyRule } from '../../core/agreements.ts';
import { timestamptz } from './columns.ts';
import { policies } from './policies.ts';

/** Which policy applies to a case: conditions tried in position order, the first match wins. */
export const policyRules = pgTable('policy_rules', {
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  name: text('name').notNull().unique(),
  position: integer('position').notNull(),
  when: jsonb('when').$type<PolicyRule['when']>().notNull(),
  // restrict: a policy a rule still names cannot be deleted.
  policyId: integer('policy_id')
    .notNull()
    .references(() => policies.id, { onDelete: 'restrict' }),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
});
