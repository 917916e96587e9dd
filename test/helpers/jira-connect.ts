// What the Connect app's tests share: two Jira sites (one a loopback fake Jira with the app installed
// and a Connect-mode connection, one another tenant's), the lifecycle calls Jira makes, and the
// JWTs Jira signs for iframes, webhooks and context calls.
import { createQueryStringHash, encodeSymmetric, fromMethodAndUrl } from 'atlassian-jwt';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { applyConfig } from '../../src/sync/config.ts';
import { loadConnectionRuntime } from '../../src/sync/connection.ts';
import { runSync } from '../../src/sync/run-sync.ts';
import type { FakeInstallKeys } from '../fakes/atlassian-install-keys.ts';
import { FakeJiraWorld } from '../fakes/jira/world.ts';
import { VIEW_POLICY } from './seed-case.ts';

export const APP_KEY = 'sla-sync';
/** Tenant A: the fake Jira site, installed, linked to connection jira-a (Connect mode). */
export const CLIENT_A = 'client-key-site-a';
export const SECRET_A = 'shared-secret-of-site-a-0123456789abcdef';
/** Tenant B: another company's site, linked to jira-b; its cases must never show to A. */
export const CLIENT_B = 'client-key-site-b';
export const SECRET_B = 'shared-secret-of-site-b-0123456789abcdef';
export const SITE_B = 'https://other-company.atlassian.net';
/** The Jira user who is a site admin on the fake (getBulkPermissions grants ADMINISTER). */
export const ADMIN_ACCOUNT = '5b10ac8d82e05b22cc7dadmin';
export const AGENT_ACCOUNT = '5b10ac8d82e05b22cc7dagent';

/** A world with one JSM issue, SUP-1 (id 10001), Highest priority, created `ageMs` before `nowMs`. */
export function connectWorld(nowMs: number, ageMs: number): FakeJiraWorld {
  const world = new FakeJiraWorld({ startAt: new Date(nowMs - ageMs).toISOString(), apiUserTimeZone: 'UTC' });
  const project = world.addProject('SUP', 'Support', true);
  const reporter = world.user('Rita Reporter', 'customer');
  world.createIssue(project, { summary: 'Checkout fails for every card', reporter: reporter.accountId, at: world.clockMs, priority: 'Highest' });
  return world;
}

/** Policies and the two Jira connections; jira-b's site is never called. */
export async function applyConnectConfig(handle: DatabaseHandle, siteA: string): Promise<void> {
  await applyConfig(handle, {
    policies: { 'view-policy': VIEW_POLICY },
    connections: {
      'jira-a': { source: 'jira', policy: 'view-policy', config: { siteUrl: siteA, connect: true, jql: 'project = SUP' }, priorityMappings: { Highest: 'S1', High: 'S2', Medium: 'S3', Low: 'S4' } },
      'jira-b': { source: 'jira', policy: 'view-policy', config: { siteUrl: SITE_B, email: 'bot@other.example', apiToken: 'unused', jql: 'project = OPS' }, priorityMappings: { Highest: 'S1' } },
    },
  });
}

/** Syncs a connection for real (Connect mode for jira-a: the secret comes from its tenant). */
export async function syncConnection(handle: DatabaseHandle, name: string, nowMs: number): Promise<number> {
  const runtime = await loadConnectionRuntime(handle.db, name);
  return (await runSync(handle, runtime, { now: () => nowMs })).cases;
}

export interface LifecycleCall {
  path: '/jira/lifecycle/installed' | '/jira/lifecycle/uninstalled';
  body: Record<string, unknown>;
  authorization?: string;
}

/** The payload Jira posts to the lifecycle callbacks. */
export function lifecyclePayload(eventType: 'installed' | 'uninstalled', site: { clientKey: string; baseUrl: string; sharedSecret: string }): Record<string, unknown> {
  return {
    key: APP_KEY,
    clientKey: site.clientKey,
    sharedSecret: site.sharedSecret,
    baseUrl: site.baseUrl,
    displayUrl: site.baseUrl,
    productType: 'jira',
    description: 'Atlassian JIRA at ' + site.baseUrl,
    eventType,
    cloudId: 'cloud-' + site.clientKey,
  };
}

/** Posts a lifecycle callback signed as Atlassian signs it (overrides make it bad). */
export async function postLifecycle(
  appBase: string,
  keys: FakeInstallKeys,
  eventType: 'installed' | 'uninstalled',
  site: { clientKey: string; baseUrl: string; sharedSecret: string },
  overrides: Partial<Parameters<FakeInstallKeys['lifecycleAuthorization']>[0]> & { authorization?: string | null; body?: Record<string, unknown> } = {},
): Promise<Response> {
  const path = `/jira/lifecycle/${eventType}`;
  const { authorization, body, ...sign } = overrides;
  const header =
    authorization === null ? undefined : (authorization ?? keys.lifecycleAuthorization({ url: `${appBase}${path}`, appBaseUrl: appBase, clientKey: site.clientKey, ...sign }));
  return fetch(`${appBase}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(header ? { authorization: header } : {}) },
    body: JSON.stringify(body ?? lifecyclePayload(eventType, site)),
  });
}

/**
 * A JWT as Jira signs it for a call to the app: HS256 with the site's secret, iss = clientKey, the
 * qsh of `method` + `pathAndQuery` (relative to the app's base URL), or `qsh` as given.
 */
export function hostJwt(input: {
  clientKey: string;
  secret: string;
  method?: string;
  pathAndQuery: string;
  appBase: string;
  nowMs?: number;
  sub?: string;
  qsh?: string;
  expiresInSeconds?: number;
}): string {
  const iat = Math.floor((input.nowMs ?? Date.now()) / 1000);
  const qsh = input.qsh ?? createQueryStringHash(fromMethodAndUrl(input.method ?? 'GET', `${input.appBase}${input.pathAndQuery}`), false, input.appBase);
  return encodeSymmetric({ iss: input.clientKey, iat, exp: iat + (input.expiresInSeconds ?? 180), qsh, ...(input.sub ? { sub: input.sub } : {}), context: {} }, input.secret);
}

/** A URL as Jira frames it: the module URL with its context parameters and `jwt` appended. */
export function signedUrl(appBase: string, pathAndQuery: string, input: Omit<Parameters<typeof hostJwt>[0], 'pathAndQuery' | 'appBase'>): string {
  const jwt = hostJwt({ ...input, pathAndQuery, appBase });
  return `${appBase}${pathAndQuery}${pathAndQuery.includes('?') ? '&' : '?'}jwt=${encodeURIComponent(jwt)}`;
}
