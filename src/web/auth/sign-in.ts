// Password sign-in (issue 6): refused early while the account or the client address has too many
// recent failures (429 with Retry-After), else the password is verified and a session created.
import type { Db } from '../../store/db.ts';
import { createSession, deleteExpiredSessions } from '../../store/sessions-repo.ts';
import { clearSignInFailures, countSignInFailures, pruneSignInFailures, recordSignInFailure } from '../../store/sign-in-failures-repo.ts';
import type { StoredUser } from '../../store/users-repo.ts';
import { getUserCredentials } from '../../store/users-repo.ts';
import { verifyNothing, verifyPassword } from './passwords.ts';
import { newSecret, secretDigest } from './tokens.ts';

export interface SignInPolicy {
  /** Failures of one account inside the window before further tries are refused. */
  maxFailuresPerAccount: number;
  /** Failures from one address (any accounts) inside the window: stops spraying many accounts. */
  maxFailuresPerIp: number;
  windowMs: number;
  /** A session's lifetime from sign-in (absolute: sign in again after it). */
  sessionTtlMs: number;
}

export const DEFAULT_SIGN_IN_POLICY: SignInPolicy = {
  maxFailuresPerAccount: 5,
  maxFailuresPerIp: 20,
  windowMs: 15 * 60_000,
  sessionTtlMs: 12 * 3600_000,
};

export type SignInResult =
  | { ok: true; user: StoredUser; sessionToken: string; csrfToken: string; expiresAt: Date }
  | { ok: false; reason: 'wrong_credentials' }
  | { ok: false; reason: 'rate_limited'; retryAfterSeconds: number };

export async function signIn(
  db: Db,
  input: { email: string; password: string; ip: string },
  options: { nowMs: number; policy: SignInPolicy },
): Promise<SignInResult> {
  const { nowMs, policy } = options;
  const email = input.email.trim().toLowerCase();
  const since = new Date(nowMs - policy.windowMs);
  const failures = await countSignInFailures(db, { email, ip: input.ip, since });
  const limited = [
    failures.account.count >= policy.maxFailuresPerAccount ? failures.account.oldestMs : null,
    failures.ip.count >= policy.maxFailuresPerIp ? failures.ip.oldestMs : null,
  ].filter((oldest): oldest is number => oldest !== null);
  if (limited.length > 0) {
    // The window frees up as its oldest failure ages out (a refused try is not counted again).
    const freeAtMs = Math.max(...limited) + policy.windowMs;
    return { ok: false, reason: 'rate_limited', retryAfterSeconds: Math.max(1, Math.ceil((freeAtMs - nowMs) / 1000)) };
  }
  const credentials = await getUserCredentials(db, email);
  const matches = credentials?.passwordHash ? await verifyPassword(input.password, credentials.passwordHash) : await verifyNothing(input.password);
  if (!credentials || !matches) {
    await recordSignInFailure(db, { email, ip: input.ip, at: new Date(nowMs) });
    return { ok: false, reason: 'wrong_credentials' };
  }
  await clearSignInFailures(db, email);
  // Housekeeping on the rare path: old failures and expired sessions limit and open nothing.
  await pruneSignInFailures(db, since);
  await deleteExpiredSessions(db, new Date(nowMs));
  return { ok: true, user: credentials.user, ...(await startSession(db, credentials.user.id, { nowMs, ttlMs: policy.sessionTtlMs })) };
}

/** A new session for the user (sign-in, and the first admin right after /setup); the cookie's token is returned once. */
export async function startSession(db: Db, userId: number, options: { nowMs: number; ttlMs: number }): Promise<{ sessionToken: string; csrfToken: string; expiresAt: Date }> {
  const sessionToken = newSecret();
  const csrfToken = newSecret();
  const expiresAt = new Date(options.nowMs + options.ttlMs);
  await createSession(db, { tokenHash: secretDigest(sessionToken), userId, csrfToken, expiresAt });
  return { sessionToken, csrfToken, expiresAt };
}
