// Connect mode's request signing (issue 4, "Two ways in"): every call from sla-sync to a site where
// its Connect app is installed carries `Authorization: JWT <token>`, HS256 with the installation's
// shared secret, `iss` = the app key, and a `qsh` binding the token to this one method, path and query
// ("Understanding JWT for Connect apps", "Creating a query string hash":
// https://developer.atlassian.com/cloud/jira/platform/understanding-jwt-for-connect-apps/).
// atlassian-jwt computes the canonical request exactly as Jira checks it.
import { createQueryStringHash, encodeSymmetric, fromMethodAndUrl } from 'atlassian-jwt';
import { ConnectorError } from '../types.ts';
import type { JiraConfig } from './config.ts';

/** A token is made per request and used at once; Atlassian's own libraries give them 3 minutes. */
export const CONNECT_TOKEN_SECONDS = 180;

export type JiraAuthConfig = Pick<JiraConfig, 'siteUrl' | 'email' | 'apiToken' | 'connect' | 'sharedSecret' | 'appKey'>;

/** The Connect JWT for one request from the app to the site (url: absolute, query included). */
export function connectJwt(input: { appKey: string; sharedSecret: string; siteUrl: string; method: string; url: string; nowMs: number }): string {
  const iat = Math.floor(input.nowMs / 1000);
  const qsh = createQueryStringHash(fromMethodAndUrl(input.method, input.url), false, input.siteUrl);
  return encodeSymmetric({ iss: input.appKey, iat, exp: iat + CONNECT_TOKEN_SECONDS, qsh }, input.sharedSecret);
}

/**
 * The Authorization header of one request: basic auth in REST mode, a fresh Connect JWT in Connect
 * mode. A Connect connection whose site has not installed the app (no shared secret) cannot call.
 */
export function jiraAuthorization(cfg: JiraAuthConfig, method: string, url: string, nowMs: number): string {
  if (cfg.connect === true) {
    if (!cfg.sharedSecret) {
      throw new ConnectorError('unauthorized', `jira: ${cfg.siteUrl} is in Connect mode but the app is not installed there (or the site is not linked to this connection): no shared secret`);
    }
    return `JWT ${connectJwt({ appKey: cfg.appKey, sharedSecret: cfg.sharedSecret, siteUrl: cfg.siteUrl, method, url, nowMs })}`;
  }
  // Basic auth with the account email and an API token:
  // https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/
  return `Basic ${Buffer.from(`${cfg.email ?? ''}:${cfg.apiToken ?? ''}`).toString('base64')}`;
}
