// API tokens (issue 6): bearer credentials of a user, found by their SHA-256, revocable.
import { and, eq, isNull, lt, or } from 'drizzle-orm';
import type { Db } from './db.ts';
import { apiTokens, users } from './schema/index.ts';
import type { StoredUser } from './users-repo.ts';
import { toStoredUser } from './users-repo.ts';

export async function createApiToken(db: Db, input: { userId: number; tokenHash: string; prefix: string }): Promise<number> {
  const [row] = await db.insert(apiTokens).values(input).returning({ id: apiTokens.id });
  return row!.id;
}

/** The user of an unrevoked token with this hash, or null. */
export async function findApiTokenUser(db: Db, tokenHash: string): Promise<{ tokenId: number; user: StoredUser } | null> {
  const [row] = await db
    .select({ tokenId: apiTokens.id, user: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt)));
  return row ? { tokenId: row.tokenId, user: toStoredUser(row.user) } : null;
}

/** Records a use, at most once a minute per token (a write per request would cost every API call). */
export async function touchApiToken(db: Db, tokenId: number, at: Date): Promise<void> {
  const minuteAgo = new Date(at.getTime() - 60_000);
  await db
    .update(apiTokens)
    .set({ lastUsedAt: at })
    .where(and(eq(apiTokens.id, tokenId), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, minuteAgo))));
}

/** Revokes the token; false when there is no such unrevoked token. */
export async function revokeApiToken(db: Db, tokenId: number, at: Date): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: at })
    .where(and(eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}
