// The install and uninstall callbacks (issue 4, "Two ways in"). With `signed-install` in the
// descriptor, Jira signs both RS256 with a key from its install-key service, for every install,
// first or repeated ("Connect installation lifecycle security", developer.atlassian.com), so a
// re-install needs no old shared secret: the Atlassian signature is what admits it, and its new
// shared secret replaces the old one. HS256-signed lifecycle calls (the pre-migration scheme) are
// refused. Order: bad body 400, bad signature 401; nothing is stored unless everything holds.
import type { Request } from 'express';
import { z } from 'zod';
import type { Db } from '../../store/db.ts';
import { getJiraConnectTenant, jiraConnectionsForSite, markJiraConnectUninstalled, saveJiraConnectInstall } from '../../store/jira-connect-tenants-repo.ts';
import type { JiraConnectTenant } from '../../store/jira-connect-tenants-repo.ts';
import { HttpError } from '../errors.ts';
import type { InstallKeyFetcher } from './install-keys.ts';
import { tokenOf, verifyInstallJwt } from './jwt.ts';
import { qshRequestOf } from './middleware.ts';

/** A Jira Cloud site: https (plain http only on loopback, the test fakes), no query or fragment. */
const siteUrl = z
  .url({ protocol: /^https?$/ })
  .refine((url) => {
    const { protocol, hostname, search, hash } = new URL(url);
    return (protocol === 'https:' || hostname === '127.0.0.1' || hostname === 'localhost') && search === '' && hash === '';
  }, 'expected an https:// site URL')
  .transform((url) => url.replace(/\/+$/, ''));

/** The lifecycle payload ("Lifecycle" in the Connect app descriptor reference); the rest is kept as details. */
const lifecyclePayloadSchema = z.looseObject({
  key: z.string().min(1),
  clientKey: z.string().min(1).max(255),
  baseUrl: siteUrl,
  eventType: z.enum(['installed', 'uninstalled']),
  sharedSecret: z.string().min(1).max(4096).optional(),
});
type LifecyclePayload = z.output<typeof lifecyclePayloadSchema>;

export interface LifecycleDeps {
  db: Db;
  now: () => number;
  baseUrl: string;
  appKey: string;
  installKey: InstallKeyFetcher;
}

/** The body, checked (400 naming what is wrong), then the signature (401): the payload to act on. */
async function verifiedPayload(req: Request, deps: LifecycleDeps, eventType: 'installed' | 'uninstalled'): Promise<LifecyclePayload> {
  if (!req.is('application/json')) throw new HttpError(415, 'unsupported_media_type', 'a lifecycle callback must be application/json');
  const parsed = lifecyclePayloadSchema.safeParse(req.body);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    throw new HttpError(400, 'bad_request', `not a lifecycle payload: ${errors.join('; ')}`, { errors });
  }
  const payload = parsed.data;
  if (payload.eventType !== eventType) throw new HttpError(400, 'bad_request', `eventType is "${payload.eventType}", this is the ${eventType} callback`);
  if (payload.key !== deps.appKey) throw new HttpError(400, 'bad_request', `this server is the app "${deps.appKey}", not "${payload.key}"`);
  if (eventType === 'installed' && payload.sharedSecret === undefined) throw new HttpError(400, 'bad_request', 'sharedSecret: an install must carry the shared secret');

  const token = tokenOf(req.get('authorization'), undefined);
  if (token === null) throw new HttpError(401, 'invalid_jwt', 'a lifecycle callback must carry Authorization: JWT <token>');
  const verified = await verifyInstallJwt(token, {
    request: qshRequestOf(req),
    baseUrl: deps.baseUrl,
    nowMs: deps.now(),
    clientKey: payload.clientKey,
    publicKey: deps.installKey,
  });
  if (!verified.ok) throw new HttpError(verified.status, 'invalid_jwt', verified.reason);
  return payload;
}

/**
 * POST /jira/lifecycle/installed: stores the tenant with its new shared secret. A site seen for the
 * first time is linked to the Jira connection configured for its URL, when exactly one is.
 */
export async function handleInstalled(req: Request, deps: LifecycleDeps): Promise<JiraConnectTenant> {
  const payload = await verifiedPayload(req, deps, 'installed');
  const { sharedSecret, publicKey: _deprecatedPublicKey, ...details } = payload;
  const existing = await getJiraConnectTenant(deps.db, payload.clientKey);
  let connectionId = existing?.connectionId ?? null;
  if (connectionId === null) {
    const candidates = await jiraConnectionsForSite(deps.db, payload.baseUrl);
    connectionId = candidates.length === 1 ? candidates[0]!.id : null;
  }
  return saveJiraConnectInstall(deps.db, { clientKey: payload.clientKey, baseUrl: payload.baseUrl, sharedSecret: sharedSecret!, details, connectionId }, new Date(deps.now()));
}

/** POST /jira/lifecycle/uninstalled: forgets the secret (a site never seen has nothing to forget). */
export async function handleUninstalled(req: Request, deps: LifecycleDeps): Promise<void> {
  const payload = await verifiedPayload(req, deps, 'uninstalled');
  await markJiraConnectUninstalled(deps.db, payload.clientKey, new Date(deps.now()));
}
