import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, unique } from 'drizzle-orm/pg-core';
import { severityEnum, statusEnum, timestamptz } from './columns.ts';
import { connections } from './connections.ts';
import { customers } from './customers.ts';
import { policies } from './policies.ts';
import { policyRules } from './policy-rules.ts';

/** A ticket or issue of one connection, normalized. */
export const cases = pgTable(
  'cases',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    connectionId: integer('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    /** The source's stable id (Jira issue id, Zendesk ticket id, GitHub issue node id). */
    externalId: text('external_id').notNull(),
    /** What people call it: `PROJ-12`, `#4711`, `owner/repo#12`. */
    externalKey: text('external_key').notNull(),
    url: text('url').notNull(),
    title: text('title').notNull(),
    rawPriority: text('raw_priority'),
    severity: severityEnum('severity').notNull(),
    status: statusEnum('status').notNull(),
    /** The source's own timestamps. */
    createdAt: timestamptz('created_at').notNull(),
    updatedAt: timestamptz('updated_at').notNull(),
    /** Vendor facts that writeback and policy rules use (repository, labels, project...). */
    attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull().default({}),
    /**
     * Set in the transaction that changes the case, cleared by its writeback job: the durable
     * truth that the ticket must be brought in line, so a crash between commit and enqueue loses
     * nothing (workers re-enqueue flagged cases when they start).
     */
    writebackPending: boolean('writeback_pending').notNull().default(false),
    /**
     * Until when one writeback holds the case (src/sync/writeback.ts): writebacks of a case, in
     * this process or another, never overlap. Null, or a past instant (its holder died), when free.
     */
    writebackLeaseUntil: timestamptz('writeback_lease_until'),
    /** The agreement that applies (issue 7): the customer, the rule that chose the policy, the policy. */
    customerId: integer('customer_id').references(() => customers.id, { onDelete: 'set null' }),
    ruleId: integer('rule_id').references(() => policyRules.id, { onDelete: 'set null' }),
    policyId: integer('policy_id').references(() => policies.id, { onDelete: 'restrict' }),
    /** What the connector last wrote back to the ticket (opaque to all but that connector). */
    writebackState: jsonb('writeback_state').$type<Record<string, unknown>>(),
    syncedAt: timestamptz('synced_at').notNull().defaultNow(),
  },
  (t) => [
    // Also serves "cases of a connection". (Reports count from metric_states, which carries the
    // severity: the severity indexes here served no query and cost every stored case; 0004.)
    unique('cases_connection_external_id_unique').on(t.connectionId, t.externalId),
    // Deleting a customer or a policy looks its cases up (set null / restrict).
    index('cases_customer_idx').on(t.customerId),
    index('cases_policy_idx').on(t.policyId),
    index('cases_writeback_pending_idx').on(t.id).where(sql`writeback_pending`),
  ],
);
