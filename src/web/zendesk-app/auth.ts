// Who may read a ticket's SLA from inside Zendesk (issue 5 item 6, issue 6 item 1): the sidebar app
// of one Zendesk connection, proven by that connection's `sidebarSecret`, and nobody else.
//
// - The iframe asks through Zendesk's proxy (`client.request({ secure: true })`), which puts the
//   app's secure setting into `Authorization: Bearer <secret>`; the browser never holds the secret.
//   https://developer.zendesk.com/documentation/apps/app-developer-guide/making-api-requests-from-a-zendesk-app/
// - "Why this SLA?" opens in a new tab, where no proxy adds a header: the sidebar's answer carries a
//   link signed with the same secret (HMAC-SHA256 over connection, ticket and expiry), good for one
//   ticket of one connection for EXPLAIN_LINK_TTL_MS.
//
// Either way the caller is mapped to the agent role: it reads what any signed-in agent may read (a
// case's SLA and its explanation), for tickets of that one connection only, and nothing else (the
// secret is no API token; the routes behind `authenticate` refuse it).
import { createHmac } from 'node:crypto';
import type { Request } from 'express';
import { getConnectionByName } from '../../store/connections-repo.ts';
import type { Connection } from '../../store/connections-repo.ts';
import type { Db } from '../../store/db.ts';
import type { Role } from '../../store/schema/index.ts';
import { resolveSecrets } from '../../sync/secrets.ts';
import { sameSecret } from '../auth/tokens.ts';
import { HttpError } from '../errors.ts';

/** The role the sidebar app acts with: an agent's (issue 6: "mapped to the same roles"). */
export const ZENDESK_APP_ROLE = 'agent' satisfies Role;
/** A shorter secret is treated as none: it could be guessed through the API. */
export const MIN_SIDEBAR_SECRET_LENGTH = 16;
/** How long a signed explanation link (and the countdown refreshes of its page) works. */
export const EXPLAIN_LINK_TTL_MS = 60 * 60_000;

export interface ZendeskAppPrincipal {
  connection: Connection;
  role: typeof ZENDESK_APP_ROLE;
  via: 'secret' | 'signed-link';
  /**
   * The `expires` + `signature` query for links to this ticket's views: minted fresh for the app,
   * the very one it came with for a signed link (so following links never extends a link's life).
   */
  linkQuery: string;
}

/** The connection's sidebar secret, resolved from `env:` where sla-sync runs; null when it has none usable. */
async function sidebarSecretOf(db: Db, name: string, env: NodeJS.ProcessEnv): Promise<{ connection: Connection; secret: string } | null> {
  const connection = await getConnectionByName(db, name);
  if (!connection || connection.source !== 'zendesk') return null;
  let secret: unknown;
  try {
    secret = resolveSecrets('zendesk', connection.config, env)['sidebarSecret'];
  } catch (error) {
    console.warn(`zendesk sidebar: connection "${name}": ${(error as Error).message}`);
    return null;
  }
  if (typeof secret !== 'string') return null;
  if (secret.length < MIN_SIDEBAR_SECRET_LENGTH) {
    console.warn(`zendesk sidebar: connection "${name}" has a sidebarSecret shorter than ${MIN_SIDEBAR_SECRET_LENGTH} characters; refusing it`);
    return null;
  }
  return { connection, secret };
}

const LINK_CONTEXT = 'sla-sync zendesk-app explain v1';

function linkSignature(secret: string, connection: string, ticketId: string, expires: string): string {
  return createHmac('sha256', secret).update(`${LINK_CONTEXT}\n${connection}\n${ticketId}\n${expires}`).digest('base64url');
}

/** `?expires=...&signature=...` for one ticket of one connection, valid until nowMs + EXPLAIN_LINK_TTL_MS. */
export function signedLinkQuery(secret: string, connection: string, ticketId: string, nowMs: number): string {
  const expires = String(Math.floor((nowMs + EXPLAIN_LINK_TTL_MS) / 1000));
  return new URLSearchParams({ expires, signature: linkSignature(secret, connection, ticketId, expires) }).toString();
}

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * Authenticates a sidebar request for `:connection` and `:ticketId`, or throws a 401 that says what
 * to send. Unknown connection, one without a usable secret, and a wrong secret answer alike, so a
 * caller without the secret learns nothing about which connections exist.
 */
export async function authenticateZendeskApp(req: Request, deps: { db: Db; now: () => number; env?: NodeJS.ProcessEnv }): Promise<ZendeskAppPrincipal> {
  const { connection: name, ticketId } = req.params as { connection: string; ticketId: string };
  const header = req.get('authorization');
  const expires = typeof req.query['expires'] === 'string' ? req.query['expires'] : undefined;
  const signature = typeof req.query['signature'] === 'string' ? req.query['signature'] : undefined;
  if (header === undefined && (expires === undefined || signature === undefined)) {
    throw new HttpError(401, 'unauthenticated', 'send Authorization: Bearer <sidebar secret> (the Zendesk app does, through Zendesk\'s proxy), or open a signed link from the sidebar');
  }
  const found = await sidebarSecretOf(deps.db, name, deps.env ?? process.env);
  const refused = () => new HttpError(401, 'unauthenticated', `no Zendesk connection "${name}" with this sidebar secret`);
  if (header !== undefined) {
    const given = BEARER.exec(header)?.[1];
    if (given === undefined) throw new HttpError(401, 'unauthenticated', 'Authorization must be "Bearer <sidebar secret>"');
    // Compared even when the connection has no secret, so the answer takes as long either way.
    const ok = sameSecret(given, found?.secret ?? '\0no secret');
    if (!found || !ok) throw refused();
    return { connection: found.connection, role: ZENDESK_APP_ROLE, via: 'secret', linkQuery: signedLinkQuery(found.secret, name, ticketId, deps.now()) };
  }
  if (!/^\d{1,12}$/.test(expires!)) throw new HttpError(401, 'unauthenticated', 'the link\'s expiry is not a time; open the link again from the Zendesk sidebar');
  const ok = sameSecret(signature!, linkSignature(found?.secret ?? '\0no secret', name, ticketId, expires!));
  if (!found || !ok) throw new HttpError(401, 'unauthenticated', 'the link\'s signature does not match; open the link again from the Zendesk sidebar');
  if (Number(expires) * 1000 <= deps.now()) throw new HttpError(401, 'unauthenticated', 'the link has expired; open it again from the Zendesk sidebar');
  return { connection: found.connection, role: ZENDESK_APP_ROLE, via: 'signed-link', linkQuery: new URLSearchParams({ expires: expires!, signature: signature! }).toString() };
}
