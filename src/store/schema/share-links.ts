import { index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';
import { customers } from './customers.ts';
import { policies } from './policies.ts';
import { users } from './users.ts';

/**
 * Read-only links to a policy's customer SLA page (issue 6, item 5). The URL carries a random
 * token; only its SHA-256 is stored. An admin revokes a link by setting revoked_at.
 */
export const shareLinks = pgTable(
  'share_links',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    tokenHash: text('token_hash').notNull().unique(),
    policyId: integer('policy_id')
      .notNull()
      .references(() => policies.id, { onDelete: 'cascade' }),
    /** When set, the page shows this customer's cases only (issue 7). */
    customerId: integer('customer_id').references(() => customers.id, { onDelete: 'cascade' }),
    label: text('label').notNull().default(''),
    createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    revokedAt: timestamptz('revoked_at'),
  },
  (t) => [index('share_links_policy_idx').on(t.policyId)],
);
