// Verifying the JWTs Jira sends the Connect app (issue 4), following "Understanding JWT for Connect
// apps" (https://developer.atlassian.com/cloud/jira/platform/understanding-jwt-for-connect-apps/) and
// "Connect installation lifecycle security" (signed-install):
// - install and uninstall callbacks: RS256, the key named by the header's `kid`, fetched from
//   Atlassian's install-key service; `aud` is our baseUrl; `iss` the site's clientKey;
// - every other call (iframes, webhooks): HS256 with the site's shared secret; `iss` the clientKey;
// - all of them: `exp` (with a little clock skew), and `qsh`, the hash of this very request's method,
//   path and query (atlassian-jwt's canonical form); context JWTs from AP.context.getToken() carry the
//   fixed qsh "context-qsh" and are accepted only where a route says so.
// Failures are values (401, a reason); nothing here throws for bad input.
import { AsymmetricAlgorithm, createQueryStringHash, decodeAsymmetric, decodeSymmetric, encodeSymmetric, SymmetricAlgorithm } from 'atlassian-jwt';
import { z } from 'zod';
import type { JiraConnectTenant } from '../../store/jira-connect-tenants-repo.ts';

/** Seconds either way that the clocks of Jira and sla-sync may disagree on `exp` and `iat`. */
export const CLOCK_SKEW_SECONDS = 30;
/** The fixed qsh of context JWTs (the "context-qsh" API migration). */
export const CONTEXT_QSH = 'context-qsh';

export interface JwtRefusal {
  ok: false;
  status: 401;
  reason: string;
}
export type Verified<T> = { ok: true; value: T } | JwtRefusal;
const refuse = (reason: string): JwtRefusal => ({ ok: false, status: 401, reason });

/** What the qsh covers: method, path (as the browser or Jira sent it) and the decoded query. */
export interface QshRequest {
  method: string;
  pathname: string;
  query: Record<string, unknown>;
}

/** The query string hash of a request to this app, its path taken relative to the app's baseUrl. */
export function requestQsh(req: QshRequest, baseUrl: string): string {
  return createQueryStringHash({ method: req.method, pathname: req.pathname, query: req.query }, false, baseUrl);
}

const claimsSchema = z.looseObject({
  iss: z.string().min(1),
  iat: z.number(),
  exp: z.number(),
  qsh: z.string().optional(),
  /** The Atlassian account id of the user, absent for calls no user made (webhooks, lifecycle). */
  sub: z.string().optional(),
  aud: z.union([z.string().transform((aud) => [aud]), z.array(z.string())]).optional(),
  context: z.unknown().optional(),
});
export type ConnectClaims = z.output<typeof claimsSchema>;

/** The token of a request: `Authorization: JWT <token>` (server calls) or `?jwt=` (iframe URLs). */
export function tokenOf(authorization: string | undefined, queryJwt: unknown): string | null {
  const header = /^JWT +(\S+) *$/.exec(authorization ?? '');
  if (header) return header[1]!;
  return typeof queryJwt === 'string' && queryJwt.length > 0 ? queryJwt : null;
}

/** The header and claims, read without checking the signature (to find whose key checks it). */
function unverifiedClaims(token: string): Verified<{ alg: unknown; kid: unknown; claims: ConnectClaims }> {
  const segments = token.split('.');
  if (segments.length !== 3) return refuse('the JWT is malformed');
  let header: unknown;
  let payload: unknown;
  try {
    header = JSON.parse(Buffer.from(segments[0]!, 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(segments[1]!, 'base64url').toString('utf8'));
  } catch {
    return refuse('the JWT is malformed');
  }
  if (typeof header !== 'object' || header === null) return refuse('the JWT is malformed');
  const parsed = claimsSchema.safeParse(payload);
  if (!parsed.success) return refuse(`the JWT's claims are incomplete: ${parsed.error.issues.map((i) => i.path.join('.') || 'claims').join(', ')}`);
  const { alg, kid } = header as { alg?: unknown; kid?: unknown };
  return { ok: true, value: { alg, kid, claims: parsed.data } };
}

function checkTimes(claims: ConnectClaims, nowMs: number): JwtRefusal | null {
  const now = nowMs / 1000;
  if (claims.exp + CLOCK_SKEW_SECONDS < now) return refuse('the JWT has expired');
  if (claims.iat - CLOCK_SKEW_SECONDS > now) return refuse('the JWT was issued in the future');
  return null;
}

function checkQsh(claims: ConnectClaims, request: QshRequest, baseUrl: string, allowContext: boolean): JwtRefusal | null {
  if (claims.qsh === undefined) return refuse('the JWT has no qsh claim');
  if (claims.qsh === CONTEXT_QSH) return allowContext ? null : refuse('a context JWT is not accepted here: this URL needs a JWT signed for it');
  if (claims.qsh !== requestQsh(request, baseUrl)) return refuse('the JWT qsh does not match this request');
  return null;
}

export interface HostVerification {
  request: QshRequest;
  /** The app's public base URL (the qsh path is relative to it). */
  baseUrl: string;
  nowMs: number;
  /** Whether a context JWT (qsh "context-qsh") will do. */
  allowContext: boolean;
  findTenant(clientKey: string): Promise<JiraConnectTenant | null>;
}

/** An HS256 JWT from an installed site (iframe or webhook): whose it is, and its claims. */
export async function verifyHostJwt(token: string, v: HostVerification): Promise<Verified<{ tenant: JiraConnectTenant & { sharedSecret: string }; claims: ConnectClaims }>> {
  const read = unverifiedClaims(token);
  if (!read.ok) return read;
  if (read.value.alg !== 'HS256') return refuse(`the JWT must be signed HS256 with the shared secret, not ${String(read.value.alg)}`);
  const tenant = await v.findTenant(read.value.claims.iss);
  // Unknown and uninstalled sites read the same: neither has a secret that could sign.
  if (!tenant || tenant.sharedSecret === null) return refuse('the JWT issuer is not an installed Jira site');
  let claims: ConnectClaims;
  try {
    claims = claimsSchema.parse(decodeSymmetric(token, tenant.sharedSecret, SymmetricAlgorithm.HS256));
  } catch {
    return refuse('the JWT signature does not verify with the site\'s shared secret');
  }
  const bad = checkTimes(claims, v.nowMs) ?? checkQsh(claims, v.request, v.baseUrl, v.allowContext);
  if (bad) return bad;
  return { ok: true, value: { tenant: { ...tenant, sharedSecret: tenant.sharedSecret }, claims } };
}

export interface InstallVerification {
  request: QshRequest;
  baseUrl: string;
  nowMs: number;
  /** The clientKey the lifecycle payload names: the token must be issued by it. */
  clientKey: string;
  /** The PEM public key for a kid, or a reason it could not be had. */
  publicKey(kid: string): Promise<Verified<string>>;
}

const sameBase = (a: string, b: string): boolean => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** An RS256 lifecycle JWT (signed-install): Atlassian's key for its kid, our baseUrl as audience. */
export async function verifyInstallJwt(token: string, v: InstallVerification): Promise<Verified<ConnectClaims>> {
  const read = unverifiedClaims(token);
  if (!read.ok) return read;
  const { alg, kid } = read.value;
  if (alg !== 'RS256') return refuse(`lifecycle callbacks must be signed RS256 (signed-install), not ${String(alg)}`);
  if (typeof kid !== 'string' || kid.length === 0) return refuse('the lifecycle JWT has no kid');
  const key = await v.publicKey(kid);
  if (!key.ok) return key;
  let claims: ConnectClaims;
  try {
    claims = claimsSchema.parse(decodeAsymmetric(token, key.value, AsymmetricAlgorithm.RS256));
  } catch {
    return refuse('the lifecycle JWT signature does not verify with Atlassian\'s key');
  }
  if (!(claims.aud ?? []).some((aud) => sameBase(aud, v.baseUrl))) return refuse(`the lifecycle JWT's audience is not ${v.baseUrl}`);
  if (claims.iss !== v.clientKey) return refuse('the lifecycle JWT was issued for another clientKey than the payload names');
  const bad = checkTimes(claims, v.nowMs) ?? checkQsh(claims, v.request, v.baseUrl, false);
  if (bad) return bad;
  return { ok: true, value: claims };
}

/** How long the links the panel hands out (its "why" page and JSON) stay valid. */
export const LINK_TOKEN_SECONDS = 15 * 60;

/**
 * A JWT for a link this app hands to the iframe it rendered (the panel's "why" page): signed like
 * Jira's own, with the site's shared secret, iss = clientKey and the qsh of exactly that URL, so
 * the same verification admits it and it opens nothing else. `sub` carries the user on.
 */
export function signLinkJwt(input: { clientKey: string; sharedSecret: string; sub?: string | undefined; request: QshRequest; baseUrl: string; nowMs: number }): string {
  const iat = Math.floor(input.nowMs / 1000);
  const claims = { iss: input.clientKey, iat, exp: iat + LINK_TOKEN_SECONDS, qsh: requestQsh(input.request, input.baseUrl), ...(input.sub ? { sub: input.sub } : {}) };
  return encodeSymmetric(claims, input.sharedSecret);
}
