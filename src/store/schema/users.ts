import { integer, pgEnum, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';

/** What a user may do (issue 6): admins configure, managers read reports, agents read their cases. */
export const ROLES = ['admin', 'manager', 'agent'] as const;
export type Role = (typeof ROLES)[number];

export const roleEnum = pgEnum('role', ROLES);

/** People and API clients that sign in; an API-only user has no password. */
export const users = pgTable('users', {
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  /** Lower-cased on the way in: one account per address whatever its spelling. */
  email: text('email').notNull().unique(),
  role: roleEnum('role').notNull(),
  /** `scrypt$N$r$p$salt$hash` (src/web/auth/passwords.ts); null: no password sign-in. */
  passwordHash: text('password_hash'),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
});
