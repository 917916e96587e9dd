// Failed sign-ins (issue 6), counted per account and per client address over a sliding window.
import { and, count, eq, gt, lte, min } from 'drizzle-orm';
import type { Db } from './db.ts';
import { signInFailures } from './schema/index.ts';

export interface FailureCount {
  count: number;
  /** The oldest failure inside the window (epoch ms), null when none: the window frees up from it. */
  oldestMs: number | null;
}

export async function recordSignInFailure(db: Db, input: { email: string; ip: string; at: Date }): Promise<void> {
  await db.insert(signInFailures).values({ ...input, email: input.email.toLowerCase() });
}

/** Failures since `since` for this account and for this address. */
export async function countSignInFailures(db: Db, input: { email: string; ip: string; since: Date }): Promise<{ account: FailureCount; ip: FailureCount }> {
  const of = async (where: ReturnType<typeof eq>): Promise<FailureCount> => {
    const [row] = await db
      .select({ n: count(), oldest: min(signInFailures.at) })
      .from(signInFailures)
      .where(and(where, gt(signInFailures.at, input.since)));
    return { count: row?.n ?? 0, oldestMs: row?.oldest ? new Date(row.oldest).getTime() : null };
  };
  return { account: await of(eq(signInFailures.email, input.email.toLowerCase())), ip: await of(eq(signInFailures.ip, input.ip)) };
}

/** A successful sign-in forgets the account's failures (the address keeps its own). */
export async function clearSignInFailures(db: Db, email: string): Promise<void> {
  await db.delete(signInFailures).where(eq(signInFailures.email, email.toLowerCase()));
}

/** Drops failures older than the window: they no longer limit anyone. */
export async function pruneSignInFailures(db: Db, before: Date): Promise<void> {
  await db.delete(signInFailures).where(lte(signInFailures.at, before));
}
