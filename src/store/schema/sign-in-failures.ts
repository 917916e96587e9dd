import { bigint, index, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';

/**
 * Failed sign-ins, counted per account and per client address over a sliding window to rate-limit
 * password guessing. In the database rather than in memory so that every web process behind a
 * load balancer sees the same count. The e-mail is kept as typed (lower-cased) even when no such
 * user exists, so an unknown address is limited like a known one.
 */
export const signInFailures = pgTable(
  'sign_in_failures',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    email: text('email').notNull(),
    ip: text('ip').notNull(),
    at: timestamptz('at').notNull(),
  },
  (t) => [index('sign_in_failures_email_at_idx').on(t.email, t.at), index('sign_in_failures_ip_at_idx').on(t.ip, t.at)],
);
