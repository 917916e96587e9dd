import { index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';
import { users } from './users.ts';

/**
 * Every configuration change (issue 6): who, when, what, and the entity before and after. Written
 * in the same transaction as the change, so the log never claims a change that did not happen.
 * Secrets are redacted before they get here.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    at: timestamptz('at').notNull().defaultNow(),
    /** null: not a signed-in user (the CLI's `config apply`, a lifecycle call); `actor` says who. */
    userId: integer('user_id').references(() => users.id, { onDelete: 'set null' }),
    /** A readable name that outlives the user row: an e-mail, `cli`, `jira-connect:<clientKey>`. */
    actor: text('actor').notNull(),
    /** connection, policy, mapping, customer, rule, user, share_link, ... */
    entity: text('entity').notNull(),
    /** The entity's name or id, as people know it. */
    entityKey: text('entity_key').notNull(),
    action: text('action', { enum: ['create', 'update', 'delete'] }).notNull(),
    before: jsonb('before').$type<unknown>(),
    after: jsonb('after').$type<unknown>(),
  },
  (t) => [index('audit_log_at_idx').on(t.at), index('audit_log_entity_idx').on(t.entity, t.entityKey)],
);
