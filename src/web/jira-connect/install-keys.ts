// Atlassian's public keys for signed lifecycle callbacks: GET <service>/<kid> answers the PEM public
// key. A rotated key always gets a new kid, so keys are cached by kid (Atlassian's guidance in the
// signed-install announcement). The service is https://connect-install-keys.atlassian.com; tests
// point it at a loopback fake.
import { createPublicKey } from 'node:crypto';
import type { Verified } from './jwt.ts';

export const DEFAULT_INSTALL_KEYS_URL = 'https://connect-install-keys.atlassian.com';

/** Key ids are UUID-like; anything that could step out of the path is refused before any request. */
const KID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

export type InstallKeyFetcher = (kid: string) => Promise<Verified<string>>;

export function installKeyFetcher(serviceUrl: string, fetchImpl: typeof fetch = fetch): InstallKeyFetcher {
  const base = serviceUrl.replace(/\/+$/, '');
  const cache = new Map<string, string>();
  return async (kid) => {
    if (!KID.test(kid) || kid.includes('..')) return { ok: false, status: 401, reason: 'the lifecycle JWT has an invalid kid' };
    const cached = cache.get(kid);
    if (cached) return { ok: true, value: cached };
    let response: Response;
    try {
      response = await fetchImpl(`${base}/${encodeURIComponent(kid)}`, { signal: AbortSignal.timeout(5000) });
    } catch {
      // Atlassian shows the admin a 4xx install failure they can retry; nothing is stored.
      return { ok: false, status: 401, reason: 'the install-key service could not be reached to check the lifecycle JWT' };
    }
    const text = await response.text();
    if (!response.ok) return { ok: false, status: 401, reason: `the install-key service has no key ${kid} (${response.status})` };
    try {
      const pem = createPublicKey(text).export({ type: 'spki', format: 'pem' }).toString();
      cache.set(kid, pem);
      return { ok: true, value: pem };
    } catch {
      return { ok: false, status: 401, reason: `the install-key service answered no public key for ${kid}` };
    }
  };
}
