// What the Connect routes share: the JWT check of every call after install (issue 4; issue 6 item 1,
// "inside Jira the app's own signed requests authenticate"), and the headers that let Jira frame
// the app's pages.
import type { RequestHandler, Response } from 'express';
import { getJiraConnectTenant } from '../../store/jira-connect-tenants-repo.ts';
import type { JiraConnectTenant } from '../../store/jira-connect-tenants-repo.ts';
import type { AreaDeps } from '../deps.ts';
import { HttpError } from '../errors.ts';
import type { ConnectClaims, QshRequest } from './jwt.ts';
import { tokenOf, verifyHostJwt } from './jwt.ts';

export interface ConnectAuth {
  tenant: JiraConnectTenant & { sharedSecret: string };
  claims: ConnectClaims;
}

const LOCALS_KEY = 'jiraConnect';

export function connectAuthOf(res: Response): ConnectAuth {
  const auth = res.locals[LOCALS_KEY] as ConnectAuth | undefined;
  if (!auth) throw new Error('a Connect route without requireConnectJwt reached connectAuthOf');
  return auth;
}

/** The request as its qsh covers it: the path as sent (the app is mounted at /), the decoded query. */
export function qshRequestOf(req: { method: string; path: string; query: unknown }): QshRequest {
  return { method: req.method, pathname: req.path, query: (req.query ?? {}) as Record<string, unknown> };
}

/**
 * Admits a request signed by an installed site (HS256, shared secret, qsh, exp), from the
 * Authorization header or the `jwt` query parameter; anything else is 401 with the reason.
 * `allowContext`: a context JWT (AP.context.getToken(), qsh "context-qsh") will do too.
 */
export function requireConnectJwt(deps: AreaDeps, options: { allowContext: boolean }): RequestHandler {
  return async (req, res, next) => {
    const token = tokenOf(req.get('authorization'), (req.query as Record<string, unknown>)['jwt']);
    if (token === null) throw new HttpError(401, 'unauthenticated', 'a Connect JWT is required (Authorization: JWT <token>, or ?jwt=)');
    const verified = await verifyHostJwt(token, {
      request: qshRequestOf(req),
      baseUrl: deps.baseUrl,
      nowMs: deps.now(),
      allowContext: options.allowContext,
      findTenant: (clientKey) => getJiraConnectTenant(deps.db, clientKey),
    });
    if (!verified.ok) throw new HttpError(verified.status, 'invalid_jwt', verified.reason);
    res.locals[LOCALS_KEY] = verified.value satisfies ConnectAuth;
    next();
  };
}

/** Jira Cloud's own origins, which frame Connect iframes (plus the tenant's site, for custom domains). */
const JIRA_FRAME_ANCESTORS = ['https://*.atlassian.net', 'https://*.jira.com'];
/** Where all.js, the Connect iframe bridge, is served from. */
export const CONNECT_ALL_JS = 'https://connect-cdn.atl-paas.net/all.js';

const originOf = (url: string): string | null => {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
};

/**
 * Replaces helmet's "same origin only" framing for a page Jira shows in an iframe: no
 * X-Frame-Options, and a CSP whose frame-ancestors are Jira's origins and the tenant's site, with
 * all.js allowed as a script. Everything else stays as strict as helmet's default.
 */
export function allowJiraFraming(res: Response, tenantBaseUrl: string | null): void {
  const tenantOrigin = tenantBaseUrl === null ? null : originOf(tenantBaseUrl);
  const ancestors = ["'self'", ...JIRA_FRAME_ANCESTORS, ...(tenantOrigin && !JIRA_FRAME_ANCESTORS.includes(tenantOrigin) ? [tenantOrigin] : [])];
  res.removeHeader('X-Frame-Options');
  res.set(
    'Content-Security-Policy',
    [
      "default-src 'self'",
      "base-uri 'self'",
      "font-src 'self' https: data:",
      "form-action 'self'",
      `frame-ancestors ${ancestors.join(' ')}`,
      "img-src 'self' data:",
      "object-src 'none'",
      `script-src 'self' ${new URL(CONNECT_ALL_JS).origin}`,
      "script-src-attr 'none'",
      "style-src 'self' https: 'unsafe-inline'",
    ].join('; '),
  );
}
