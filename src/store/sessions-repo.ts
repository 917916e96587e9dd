// Browser sessions (issue 6), found by the SHA-256 of the cookie's token, valid until they expire.
import { and, eq, gt, lte } from 'drizzle-orm';
import type { Db } from './db.ts';
import { toIsoInstant } from './instants.ts';
import { sessions, users } from './schema/index.ts';
import type { StoredUser } from './users-repo.ts';
import { toStoredUser } from './users-repo.ts';

export interface StoredSession {
  tokenHash: string;
  userId: number;
  csrfToken: string;
  expiresAt: string;
}

export async function createSession(db: Db, input: { tokenHash: string; userId: number; csrfToken: string; expiresAt: Date }): Promise<void> {
  await db.insert(sessions).values(input);
}

/** The unexpired session with this token hash and its user, or null. */
export async function findSession(db: Db, tokenHash: string, now: Date): Promise<{ session: StoredSession; user: StoredUser } | null> {
  const [row] = await db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, tokenHash), gt(sessions.expiresAt, now)));
  if (!row) return null;
  const s = row.session;
  return { session: { tokenHash: s.tokenHash, userId: s.userId, csrfToken: s.csrfToken, expiresAt: toIsoInstant(s.expiresAt) }, user: toStoredUser(row.user) };
}

export async function deleteSession(db: Db, tokenHash: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
}

/** Drops sessions past their expiry (they already open nothing; this keeps the table small). */
export async function deleteExpiredSessions(db: Db, now: Date): Promise<number> {
  const rows = await db.delete(sessions).where(lte(sessions.expiresAt, now)).returning({ tokenHash: sessions.tokenHash });
  return rows.length;
}
