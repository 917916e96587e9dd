// Random secrets (session, CSRF, API tokens) and how they are stored and compared.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 256 random bits, base64url; with a prefix (`sla_...`) for tokens people paste into tools. */
export function newSecret(prefix = ''): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/**
 * What the database keeps of a session or API token. A fast hash is enough here: the secret has
 * 256 random bits, so there is nothing to guess (passwords, which people choose, get scrypt).
 */
export function secretDigest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Constant-time equality of two strings of any length (both are hashed to 32 bytes first). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** API tokens start with this, so secret scanners and people can tell them apart. */
export const API_TOKEN_PREFIX = 'sla_';
