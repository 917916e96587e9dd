import { boolean, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { sourceEnum, timestamptz } from './columns.ts';
import { policies } from './policies.ts';

/** One configured source (a Jira site, a Zendesk account, a set of GitHub repositories). */
export const connections = pgTable('connections', {
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  name: text('name').notNull().unique(),
  source: sourceEnum('source').notNull(),
  /** The connector's own config (its zod schema validates it); secrets as `env:NAME` references. */
  config: jsonb('config').$type<Record<string, unknown>>().notNull(),
  // restrict: deleting a policy in use is refused rather than leaving cases without targets.
  policyId: integer('policy_id').references(() => policies.id, { onDelete: 'restrict' }),
  /** false = paused: no sync, no writeback. */
  enabled: boolean('enabled').notNull().default(true),
  /** How often the scheduled sync runs; webhooks refresh single cases in between. */
  syncIntervalMinutes: integer('sync_interval_minutes').notNull().default(5),
  /** Overrides the source's default request limits ({ concurrency, perSecond }); null: defaults. */
  rateLimit: jsonb('rate_limit').$type<{ concurrency?: number; perSecond?: number }>(),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
});
