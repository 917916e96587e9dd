// Users (issue 6): who may sign in, and with which role.
import { eq, sql } from 'drizzle-orm';
import type { Db } from './db.ts';
import { toIsoInstant } from './instants.ts';
import type { Role } from './schema/index.ts';
import { users } from './schema/index.ts';

export interface StoredUser {
  id: number;
  email: string;
  role: Role;
  hasPassword: boolean;
  createdAt: string;
}

/** Creates the user; null when the e-mail is taken (the caller says so; nothing is changed). */
export async function createUser(db: Db, input: { email: string; role: Role; passwordHash: string | null }): Promise<StoredUser | null> {
  const [row] = await db
    .insert(users)
    .values({ email: input.email.toLowerCase(), role: input.role, passwordHash: input.passwordHash })
    .onConflictDoNothing({ target: users.email })
    .returning();
  return row ? toStoredUser(row) : null;
}

/** True once any user exists (a fresh install has none: /setup creates the first admin). */
export async function hasUsers(db: Db): Promise<boolean> {
  const [row] = await db.select({ id: users.id }).from(users).limit(1);
  return row !== undefined;
}

/**
 * Creates the first user, only while there is none: null when any user exists. The table lock
 * (SHARE ROW EXCLUSIVE conflicts with itself and with inserts) makes concurrent first-admin
 * submissions wait for each other, so exactly one of them finds the table empty.
 */
export async function createFirstUser(db: Db, input: { email: string; role: Role; passwordHash: string }): Promise<StoredUser | null> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`lock table ${users} in share row exclusive mode`);
    if (await hasUsers(tx)) return null;
    return createUser(tx, input);
  });
}

export async function getUser(db: Db, id: number): Promise<StoredUser | null> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row ? toStoredUser(row) : null;
}

/** The user and the stored password hash, for sign-in only. */
export async function getUserCredentials(db: Db, email: string): Promise<{ user: StoredUser; passwordHash: string | null } | null> {
  const [row] = await db.select().from(users).where(eq(users.email, email.toLowerCase()));
  return row ? { user: toStoredUser(row), passwordHash: row.passwordHash } : null;
}

export function toStoredUser(row: typeof users.$inferSelect): StoredUser {
  return { id: row.id, email: row.email, role: row.role, hasPassword: row.passwordHash !== null, createdAt: toIsoInstant(row.createdAt) };
}
