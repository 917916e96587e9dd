// The Atlassian Connect app (issue 4) on a real express app on a free port, on both stores: the
// descriptor's shape and a walk over every URL it names; signed install and uninstall against a fake
// install-key service; Connect JWTs (valid, wrong secret, wrong qsh, expired, unknown clientKey,
// context JWTs where they may and may not be used); tenant isolation; Connect webhooks queueing the
// refresh; the admin page module's role check with Jira; and Connect mode of the connector: a real
// sync and writeback against the fake Jira with JWT-signed requests only.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { count, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { JIRA_WEBHOOK_EVENTS, statusPropertyKey } from '../../src/connectors/jira/index.ts';
import { jiraConfigSchema } from '../../src/connectors/jira/config.ts';
import { createApiToken } from '../../src/store/api-tokens-repo.ts';
import { findCase } from '../../src/store/cases-repo.ts';
import { getConnectionByName } from '../../src/store/connections-repo.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { withTransaction } from '../../src/store/db.ts';
import { getJiraConnectTenant } from '../../src/store/jira-connect-tenants-repo.ts';
import { jiraConnectTenants, webhookDeliveries } from '../../src/store/schema/index.ts';
import { createUser } from '../../src/store/users-repo.ts';
import { forgetAgreementContext } from '../../src/sync/agreement-cache.ts';
import type { CaseSlaView } from '../../src/sync/case-sla.ts';
import { loadConnectionRuntime } from '../../src/sync/connection.ts';
import { refreshEnqueuer } from '../../src/sync/jobs.ts';
import type { JobQueue } from '../../src/sync/queue.ts';
import { queueFor } from '../../src/sync/queue.ts';
import { storeAndEvaluate } from '../../src/sync/run-sync.ts';
import { runWriteback } from '../../src/sync/writeback.ts';
import { createApp } from '../../src/web/app.ts';
import { newSecret, secretDigest } from '../../src/web/auth/tokens.ts';
import { startFakeInstallKeys } from '../fakes/atlassian-install-keys.ts';
import type { FakeInstallKeys } from '../fakes/atlassian-install-keys.ts';
import { startFakeJira } from '../fakes/jira/server.ts';
import type { FakeJira } from '../fakes/jira/server.ts';
import { storeBackends } from '../helpers/db.ts';
import {
  ADMIN_ACCOUNT,
  AGENT_ACCOUNT,
  APP_KEY,
  applyConnectConfig,
  CLIENT_A,
  CLIENT_B,
  connectWorld,
  hostJwt,
  postLifecycle,
  SECRET_A,
  SECRET_B,
  signedUrl,
  SITE_B,
  syncConnection,
} from '../helpers/jira-connect.ts';

const MIN = 60_000;
const NOW = Date.parse('2027-03-01T10:00:00Z');
const descriptorFile = JSON.parse(readFileSync(new URL('../../atlassian-connect.json', import.meta.url), 'utf8')) as Record<string, unknown> & {
  modules: { jiraIssueContexts: { key: string; target: { url: string }; icon: { url: string } }[]; adminPages: { key: string; url: string }[]; webhooks: { event: string; url: string }[] };
  lifecycle: Record<string, string>;
};

/** A key pair Atlassian's install-key service knows nothing of. */
const strangerKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** The embedded CaseSlaView of a panel page. */
function panelView(body: string): CaseSlaView {
  const match = /data-sla-view="([^"]*)"/.exec(body);
  if (!match) throw new Error(`no countdown in: ${body.slice(0, 300)}`);
  const unescaped = match[1]!.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return JSON.parse(unescaped) as CaseSlaView;
}

describe.each(storeBackends())('Jira Connect app on $name', (backend) => {
  let handle: DatabaseHandle;
  let server: Server;
  let base = '';
  let keys: FakeInstallKeys;
  let jira: FakeJira;
  let queue: JobQueue;
  let siteA: { clientKey: string; baseUrl: string; sharedSecret: string };
  const siteB = { clientKey: CLIENT_B, baseUrl: SITE_B, sharedSecret: SECRET_B };
  let clock = NOW;
  let failEnqueue = false;

  const tenantCount = async () => (await handle.db.select({ n: count() }).from(jiraConnectTenants))[0]!.n;
  type RefreshRow = { data: { connectionId: number; refs: { externalId: string; externalKey: string }[] } };
  /** The refresh jobs queued (pg-boss's table; PGlite answers { rows }, postgres.js an array). */
  const refreshJobs = async (): Promise<RefreshRow[]> => {
    const result = (await handle.db.execute(sql`select data from pgboss.job where name = 'refresh'`)) as unknown as RefreshRow[] | { rows: RefreshRow[] };
    return Array.isArray(result) ? result : result.rows;
  };
  const panelUrl = (issue: { id: string; key: string }) => `/jira/panel?issueKey=${issue.key}&issueId=${issue.id}`;
  const asA = (pathAndQuery: string, extra: { sub?: string; nowMs?: number } = {}) => signedUrl(base, pathAndQuery, { clientKey: CLIENT_A, secret: SECRET_A, nowMs: clock, ...extra });

  beforeAll(async () => {
    handle = await backend.open();
    keys = await startFakeInstallKeys();
    jira = await startFakeJira({ world: connectWorld(NOW, 20 * MIN), connect: { appKey: APP_KEY, sharedSecret: SECRET_A }, siteAdmins: [ADMIN_ACCOUNT] });
    siteA = { clientKey: CLIENT_A, baseUrl: jira.url, sharedSecret: SECRET_A };
    await applyConnectConfig(handle, jira.url);
    queue = queueFor(handle, { maintenance: false });
    await queue.start();
    // The app's baseUrl is its own address (qsh paths and the install audience are relative to it).
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The refreshes go to the real queue, in the transaction that records their delivery; a test
    // may make that queueing fail.
    const enqueueRefreshes = refreshEnqueuer(queue);
    const app = createApp({
      handle,
      queue,
      baseUrl: base,
      now: () => clock,
      enqueueRefreshes: async (requests, options) => {
        if (failEnqueue) throw new Error('queue unavailable');
        await enqueueRefreshes(requests, options);
      },
      env: { SLA_SYNC_CONNECT_INSTALL_KEYS_URL: keys.url },
    });
    server.on('request', app);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await queue?.stop({ timeoutMs: 1000 });
    await jira?.close();
    await keys?.close();
    await handle?.close();
  });

  describe('the descriptor', () => {
    it('has the required fields, relative URLs, READ and WRITE, and the keys the writeback uses', () => {
      const d = descriptorFile;
      for (const field of ['key', 'name', 'description', 'vendor', 'baseUrl', 'authentication', 'lifecycle', 'scopes', 'modules']) expect(d, field).toHaveProperty(field);
      expect(d['key']).toBe(APP_KEY);
      expect(d['authentication']).toEqual({ type: 'jwt' });
      expect(d['apiMigrations']).toEqual({ 'signed-install': true, 'context-qsh': true, gdpr: true });
      expect(d['scopes']).toEqual(['READ', 'WRITE']);
      expect(Object.keys(d.lifecycle).sort()).toEqual(['installed', 'uninstalled']);
      const [context] = d.modules.jiraIssueContexts;
      // The writeback sets com.atlassian.jira.issue:<appKey>:<moduleKey>:status with the config's defaults.
      const defaults = jiraConfigSchema.parse({ siteUrl: 'https://x.atlassian.net', connect: true, jql: 'project = X' });
      expect(statusPropertyKey(defaults)).toBe(`com.atlassian.jira.issue:${d['key'] as string}:${context!.key}:status`);
      expect(context).toMatchObject({ content: { type: 'label' }, target: { type: 'web_panel' }, name: { value: 'SLA' } });
      expect(context!.target.url).toContain('issueId={issue.id}');
      expect(d.modules.adminPages.map((p) => p.key)).toEqual(['sla-sync-admin']);
      expect(d.modules.webhooks.map((w) => w.event)).toEqual([...JIRA_WEBHOOK_EVENTS]);
      expect(d.modules.webhooks.map((w) => w.event)).toEqual(expect.arrayContaining(['jira:issue_created', 'jira:issue_updated', 'comment_created']));
      const urls = [...Object.values(d.lifecycle), context!.target.url, context!.icon.url, ...d.modules.adminPages.map((p) => p.url), ...d.modules.webhooks.map((w) => w.url)];
      for (const url of urls) expect(url, url).toMatch(/^\/[^/]/);
    });

    it('is served with this server as baseUrl', async () => {
      const response = await fetch(`${base}/atlassian-connect.json`);
      expect(response.status).toBe(200);
      const served = (await response.json()) as Record<string, unknown>;
      expect(served['baseUrl']).toBe(base);
      expect(served['key']).toBe(APP_KEY);
      expect(served['modules']).toEqual(descriptorFile.modules);
    });

    it('names only URLs the app serves (each answers, and refuses what is unsigned)', async () => {
      const d = descriptorFile;
      const fill = (url: string) => url.replace('{issue.key}', 'SUP-1').replace('{issue.id}', '10001');
      const calls: { method: string; url: string; unsigned: number }[] = [
        ...Object.values(d.lifecycle).map((url) => ({ method: 'POST', url, unsigned: 401 })),
        ...d.modules.jiraIssueContexts.map((m) => ({ method: 'GET', url: fill(m.target.url), unsigned: 401 })),
        ...d.modules.jiraIssueContexts.map((m) => ({ method: 'GET', url: m.icon.url, unsigned: 200 })),
        ...d.modules.adminPages.map((m) => ({ method: 'GET', url: m.url, unsigned: 401 })),
        ...d.modules.webhooks.map((w) => ({ method: 'POST', url: w.url, unsigned: 401 })),
      ];
      expect(calls.length).toBe(2 + 1 + 1 + 1 + JIRA_WEBHOOK_EVENTS.length);
      for (const call of calls) {
        const body = call.method === 'POST' ? JSON.stringify({ key: APP_KEY, clientKey: 'x', baseUrl: 'https://x.atlassian.net', eventType: call.url.endsWith('uninstalled') ? 'uninstalled' : 'installed', sharedSecret: 's' }) : null;
        const response = await fetch(`${base}${call.url}`, { method: call.method, body, headers: { 'content-type': 'application/json' } });
        expect(response.status, `${call.method} ${call.url}`).toBe(call.unsigned);
      }
      expect(await tenantCount()).toBe(0);
    });
  });

  describe('the install lifecycle', () => {
    it.each([
      ['no Authorization', { authorization: null }],
      ['a key Atlassian does not hold (another RSA key)', { privateKey: strangerKey }],
      ['an unknown kid', { kid: 'no-such-kid' }],
      ['a kid that climbs out of the key path', { kid: '../etc/passwd' }],
      ['another audience', { aud: 'https://someone-else.example.com' }],
      ['an expired token', { nowMs: NOW - 10 * MIN, expiresInSeconds: 180 }],
      ['a qsh of another request', { qsh: 'f'.repeat(64) }],
      ['a token issued for another clientKey', { clientKey: 'someone-elses-client-key' }],
      ['an HS256 token signed with the payload’s own secret', { authorization: `JWT ${hostJwt({ clientKey: CLIENT_A, secret: SECRET_A, method: 'POST', pathAndQuery: '/jira/lifecycle/installed', appBase: 'http://placeholder', nowMs: NOW })}` }],
    ])('refuses an install with %s (401), storing nothing', async (_name, overrides) => {
      const response = await postLifecycle(base, keys, 'installed', siteA, overrides);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid_jwt' });
      expect(await tenantCount()).toBe(0);
    });

    it.each([
      ['no clientKey', { clientKey: undefined }, 'clientKey'],
      ['another app key', { key: 'someone-elses-app' }, 'not "someone-elses-app"'],
      ['a plain-http site', { baseUrl: 'http://acme.atlassian.net' }, 'baseUrl'],
      ['no shared secret', { sharedSecret: undefined }, 'sharedSecret'],
    ])('refuses an install payload with %s (400), storing nothing', async (_name, change, says) => {
      const body = { key: APP_KEY, clientKey: CLIENT_A, sharedSecret: SECRET_A, baseUrl: siteA.baseUrl, eventType: 'installed', ...change };
      const response = await postLifecycle(base, keys, 'installed', siteA, { body });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toContain(says);
      expect(await tenantCount()).toBe(0);
    });

    it('stores a signed install, linked to the Jira connection of its site URL; a re-install replaces the secret', async () => {
      clock = NOW;
      const first = await postLifecycle(base, keys, 'installed', { ...siteA, sharedSecret: 'the-first-secret' }, { nowMs: clock });
      expect(first.status).toBe(204);
      const jiraA = (await getConnectionByName(handle.db, 'jira-a'))!;
      expect(await getJiraConnectTenant(handle.db, CLIENT_A)).toMatchObject({ clientKey: CLIENT_A, baseUrl: jira.url, sharedSecret: 'the-first-secret', connectionId: jiraA.id, uninstalledAt: null });
      // Re-installed (signed by Atlassian again): the new secret replaces the old, the link stays.
      const again = await postLifecycle(base, keys, 'installed', siteA, { nowMs: clock });
      expect(again.status).toBe(204);
      const tenant = (await getJiraConnectTenant(handle.db, CLIENT_A))!;
      expect(tenant).toMatchObject({ sharedSecret: SECRET_A, connectionId: jiraA.id });
      expect(tenant.details).toMatchObject({ productType: 'jira', cloudId: `cloud-${CLIENT_A}` });
      expect(tenant.details).not.toHaveProperty('sharedSecret');
      // Keys are fetched by kid once.
      expect(keys.requests.filter((r) => r === `/${keys.kid}`)).toHaveLength(1);
      expect((await postLifecycle(base, keys, 'installed', siteB, { nowMs: clock })).status).toBe(204);
      expect((await getJiraConnectTenant(handle.db, CLIENT_B))!.connectionId).toBe((await getConnectionByName(handle.db, 'jira-b'))!.id);
    });
  });

  describe('with both sites installed and cases synced', () => {
    let sup1: { id: string; key: string };

    beforeAll(async () => {
      // jira-a syncs from the fake in Connect mode: every request carries the app's JWT.
      expect(await syncConnection(handle, 'jira-a', NOW)).toBe(1);
      const issue = jira.world.issue('SUP-1')!;
      sup1 = { id: issue.id, key: issue.key };
      // Tenant B's connection has a case with the very same issue id on its own site.
      const runtimeB = await loadConnectionRuntime(handle.db, 'jira-b');
      await withTransaction(handle, (tx) =>
        storeAndEvaluate(
          tx,
          runtimeB,
          [
            {
              externalId: issue.id,
              externalKey: 'OPS-7',
              url: `${SITE_B}/browse/OPS-7`,
              title: 'Secret merger ticket',
              rawPriority: 'Highest',
              status: 'open',
              createdAt: new Date(NOW - 5 * MIN).toISOString(),
              updatedAt: new Date(NOW - 5 * MIN).toISOString(),
              events: [{ at: new Date(NOW - 5 * MIN).toISOString(), type: 'created', status: 'open', rawPriority: 'Highest' }],
              attributes: { projectKey: 'OPS' },
            },
          ],
          NOW,
        ),
      );
    });

    it('synced through Connect JWTs only, every request valid against the OpenAPI description', async () => {
      expect(jira.violations).toEqual([]);
      expect(jira.count('searchAndReconsileIssuesUsingJql')).toBeGreaterThan(0);
      const stored = (await findCase(handle.db, (await getConnectionByName(handle.db, 'jira-a'))!.id, 'SUP-1'))!;
      expect(stored).toMatchObject({ externalId: sup1.id, title: 'Checkout fails for every card', rawPriority: 'Highest', severity: 'S1' });
    });

    it('shows the panel with a valid JWT: the countdown of the tenant’s own case, framable by Jira only', async () => {
      clock = NOW;
      const response = await fetch(asA(panelUrl(sup1)));
      expect(response.status).toBe(200);
      const body = await response.text();
      const view = panelView(body);
      expect(view.case).toMatchObject({ externalKey: 'SUP-1', severity: 'S1', title: 'Checkout fails for every card' });
      const fr = view.metrics.find((m) => m.metric === 'firstResponse')!;
      // S1: 60 minutes around the clock, created 20 minutes ago: 40 minutes left, ticking.
      expect(fr).toMatchObject({ state: 'running', remainingSeconds: 40 * 60, targetSeconds: 3600 });
      expect(fr.ticking).not.toBeNull();
      expect(view.explainUrl).toMatch(/^\/jira\/explain\?issueId=10001&jwt=/);
      expect(body).toContain('src="/assets/sla-countdown.js"');
      expect(body).toContain('src="https://connect-cdn.atl-paas.net/all.js"');
      expect(body).not.toContain('Secret merger');
      expect(response.headers.get('x-frame-options')).toBeNull();
      const csp = response.headers.get('content-security-policy')!;
      expect(csp).toContain(`frame-ancestors 'self' https://*.atlassian.net https://*.jira.com ${jira.url}`);
      expect(csp).toContain('script-src \'self\' https://connect-cdn.atl-paas.net');
      // Everything else keeps helmet's same-origin framing.
      const other = await fetch(`${base}/signin`);
      expect(other.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(other.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
    });

    it.each([
      ['a wrong secret', () => signedUrl(base, panelUrl(sup1), { clientKey: CLIENT_A, secret: 'not-the-secret', nowMs: clock }), 'signature'],
      ['a wrong qsh (signed for another issue)', () => `${base}${panelUrl(sup1)}&jwt=${hostJwt({ clientKey: CLIENT_A, secret: SECRET_A, pathAndQuery: '/jira/panel?issueKey=SUP-2&issueId=10002', appBase: base, nowMs: clock })}`, 'qsh'],
      ['an expired token', () => signedUrl(base, panelUrl(sup1), { clientKey: CLIENT_A, secret: SECRET_A, nowMs: clock - 10 * MIN }), 'expired'],
      ['an unknown clientKey', () => signedUrl(base, panelUrl(sup1), { clientKey: 'who-is-this', secret: SECRET_A, nowMs: clock }), 'not an installed'],
      ['a context JWT where the URL must be signed', () => signedUrl(base, panelUrl(sup1), { clientKey: CLIENT_A, secret: SECRET_A, nowMs: clock, qsh: 'context-qsh' }), 'context JWT'],
      ['no JWT', () => `${base}${panelUrl(sup1)}`, 'required'],
      ['a malformed JWT', () => `${base}${panelUrl(sup1)}&jwt=abc.def`, 'malformed'],
    ])('refuses the panel with %s (401)', async (_name, url, says) => {
      clock = NOW;
      const response = await fetch(url());
      expect(response.status).toBe(401);
      const body = (await response.json()) as { error: string; message: string };
      expect(body.message).toContain(says);
      expect(JSON.stringify(body)).not.toContain('Checkout');
    });

    it('keeps tenants apart: another tenant’s issue is not found, with nothing of it shown', async () => {
      clock = NOW;
      // B's issue by key, as A: the same 404 as an issue nobody tracks.
      const byKey = await fetch(asA('/jira/panel?issueKey=OPS-7'));
      expect(byKey.status).toBe(404);
      const text = await byKey.text();
      expect(text).toContain('not tracked by sla-sync');
      expect(text).not.toContain('Secret merger');
      expect(text).not.toContain('OPS-7');
      const untracked = await fetch(asA('/jira/panel?issueKey=SUP-999&issueId=99999'));
      expect(untracked.status).toBe(404);
      expect(await untracked.text()).toBe(text.replace(/OPS-7/g, 'SUP-999'));
      // The same issue id at B shows B's own case; A's shows A's.
      const asB = await fetch(signedUrl(base, '/jira/panel?issueKey=OPS-7&issueId=10001', { clientKey: CLIENT_B, secret: SECRET_B, nowMs: clock }));
      expect(asB.status).toBe(200);
      expect(panelView(await asB.text()).case.title).toBe('Secret merger ticket');
      // B's secret cannot speak for A.
      const forged = await fetch(signedUrl(base, panelUrl(sup1), { clientKey: CLIENT_A, secret: SECRET_B, nowMs: clock }));
      expect(forged.status).toBe(401);
      // The JSON routes too.
      const json = await fetch(asA('/jira/sla?issueKey=OPS-7'));
      expect(json.status).toBe(404);
      expect(await json.text()).not.toContain('Secret');
    });

    it('opens the "why" page from the panel’s signed link, which opens nothing else', async () => {
      clock = NOW;
      const view = panelView(await (await fetch(asA(panelUrl(sup1)))).text());
      const explain = await fetch(`${base}${view.explainUrl}`);
      expect(explain.status).toBe(200);
      const page = await explain.text();
      expect(page).toContain('Why this SLA');
      expect(page).toContain('jira-a');
      expect(explain.headers.get('content-security-policy')).toContain('https://*.atlassian.net');
      // Its countdown and JSON links are signed for the same tenant.
      const slaLink = /data-sla-src="([^"]+)"/.exec(page)![1]!.replace(/&amp;/g, '&');
      const sla = await fetch(`${base}${slaLink}`);
      expect(sla.status).toBe(200);
      expect(((await sla.json()) as CaseSlaView).case.externalKey).toBe('SUP-1');
      const jsonLink = /href="(\/jira\/explain\.json[^"]+)"/.exec(page)![1]!.replace(/&amp;/g, '&');
      const explanation = (await (await fetch(`${base}${jsonLink}`)).json()) as { result: { metrics: { firstResponse: { state: string } } } };
      expect(explanation.result.metrics.firstResponse.state).toBe('running');
      // The link's token is bound to its URL: another issue with it is refused.
      const jwt = new URL(view.explainUrl, base).searchParams.get('jwt')!;
      expect((await fetch(`${base}/jira/explain?issueKey=OPS-7&jwt=${jwt}`)).status).toBe(401);
      expect((await fetch(`${base}/jira/panel?issueId=10001&jwt=${jwt}`)).status).toBe(401);
      // A context JWT (AP.context.getToken()) will do for the JSON the iframe fetches.
      const context = hostJwt({ clientKey: CLIENT_A, secret: SECRET_A, pathAndQuery: '/', appBase: base, nowMs: clock, qsh: 'context-qsh' });
      const viaContext = await fetch(`${base}/jira/sla?issueId=10001`, { headers: { authorization: `JWT ${context}` } });
      expect(viaContext.status).toBe(200);
    });

    it('answers 409 no_policy (the app\'s JSON error) on the panel, its "why" page and their JSON when the connection has no policy', async () => {
      clock = NOW;
      await handle.db.execute(sql`update connections set policy_id = null where name = 'jira-a'`);
      // The views reuse the agreement context a few seconds: drop this process's copy of it.
      forgetAgreementContext(handle.db);
      try {
        for (const path of [panelUrl(sup1), `/jira/explain?issueId=${sup1.id}`, `/jira/sla?issueId=${sup1.id}`, `/jira/explain.json?issueId=${sup1.id}`]) {
          const response = await fetch(asA(path));
          expect(response.headers.get('content-type'), path).toMatch(/^application\/json/);
          expect({ status: response.status, body: await response.json() }, path).toEqual({ status: 409, body: { error: 'no_policy', message: 'connection "jira-a" has no policy' } });
        }
      } finally {
        await handle.db.execute(sql`update connections set policy_id = (select id from policies where name = 'view-policy') where name = 'jira-a'`);
        forgetAgreementContext(handle.db);
      }
      expect((await fetch(asA(panelUrl(sup1)))).status).toBe(200);
    });

    it('queues the refresh for a signed Connect webhook, once per delivery; refuses unsigned ones', async () => {
      clock = NOW;
      const payload = { webhookEvent: 'jira:issue_updated', timestamp: NOW, issue: { id: sup1.id, key: sup1.key, fields: { project: { key: 'SUP' }, labels: [] } } };
      const post = (authorization: string | null, delivery: string, body: object = payload) =>
        fetch(`${base}/jira/webhooks`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-atlassian-webhook-identifier': delivery, ...(authorization ? { authorization } : {}) },
          body: JSON.stringify(body),
        });
      const signed = `JWT ${hostJwt({ clientKey: CLIENT_A, secret: SECRET_A, method: 'POST', pathAndQuery: '/jira/webhooks', appBase: base, nowMs: clock })}`;
      for (const bad of [null, `JWT ${hostJwt({ clientKey: CLIENT_A, secret: 'wrong', method: 'POST', pathAndQuery: '/jira/webhooks', appBase: base, nowMs: clock })}`, `JWT ${hostJwt({ clientKey: CLIENT_A, secret: SECRET_A, method: 'GET', pathAndQuery: '/jira/webhooks', appBase: base, nowMs: clock })}`]) {
        expect((await post(bad, 'delivery-bad')).status).toBe(401);
      }
      expect((await refreshJobs())).toHaveLength(0);
      expect((await handle.db.select({ n: count() }).from(webhookDeliveries))[0]!.n).toBe(0);

      const accepted = await post(signed, 'delivery-1');
      expect(accepted.status).toBe(202);
      expect(await accepted.json()).toEqual({ accepted: true, event: 'jira:issue_updated', refs: 1, paused: false });
      const duplicate = await post(signed, 'delivery-1');
      expect(await duplicate.json()).toMatchObject({ accepted: false, duplicate: true });
      const jobs = (await refreshJobs());
      expect(jobs).toHaveLength(1);
      const jiraA = (await getConnectionByName(handle.db, 'jira-a'))!;
      expect(jobs[0]!.data).toMatchObject({ connectionId: jiraA.id, refs: [{ externalId: sup1.id, externalKey: 'SUP-1' }] });
      // An event sla-sync does not handle is acknowledged and not queued.
      const other = await fetch(`${base}/jira/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: signed }, body: JSON.stringify({ webhookEvent: 'worklog_created', issue: payload.issue }) });
      expect(other.status).toBe(202);
      expect((await refreshJobs())).toHaveLength(1);

      // The delivery is recorded with its refresh, in one transaction: when the refresh cannot be
      // queued, neither is kept, and Jira's retry of that delivery is taken rather than dropped.
      // (Another issue: a refresh of SUP-1 is pending already, and the queue keeps one per case set.)
      const sup2 = { ...payload, issue: { id: '10002', key: 'SUP-2', fields: { project: { key: 'SUP' }, labels: [] } } };
      const deliveries = async () => (await handle.db.select({ n: count() }).from(webhookDeliveries))[0]!.n;
      const recorded = await deliveries();
      const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
      failEnqueue = true;
      try {
        const failed = await post(signed, 'delivery-2', sup2);
        expect(failed.status).toBe(500);
      } finally {
        failEnqueue = false;
        logged.mockRestore();
      }
      expect(await deliveries()).toBe(recorded);
      expect((await refreshJobs())).toHaveLength(1);
      const retried = await post(signed, 'delivery-2', sup2);
      expect(await retried.json()).toEqual({ accepted: true, event: 'jira:issue_updated', refs: 1, paused: false });
      expect(await deliveries()).toBe(recorded + 1);
      expect((await refreshJobs()).map((j) => j.data.refs.map((r) => r.externalKey))).toEqual(expect.arrayContaining([['SUP-1'], ['SUP-2']]));
      expect((await refreshJobs())).toHaveLength(2);
    });

    it('shows the admin page module to Jira site admins only, checked with Jira', async () => {
      clock = NOW;
      const before = jira.count('getBulkPermissions');
      const admin = await fetch(asA('/jira/admin', { sub: ADMIN_ACCOUNT }));
      expect(admin.status).toBe(200);
      const page = await admin.text();
      expect(page).toMatch(/id="linked-connection"><strong>jira-a<\/strong>/);
      expect(page).toContain(`href="${base}/admin" target="_blank" rel="noopener"`);
      expect(page).toMatch(/id="last-sync">2027-03-01T10:00:00/);
      const agent = await fetch(asA('/jira/admin', { sub: AGENT_ACCOUNT }));
      expect(agent.status).toBe(403);
      expect(await agent.text()).toContain('Jira site administrators');
      expect((await fetch(asA('/jira/admin'))).status).toBe(403);
      expect(jira.count('getBulkPermissions')).toBe(before + 2);
      expect(jira.violations).toEqual([]);
    });

    it('writes back in Connect mode: labels and the panel’s status lozenge, JWT-signed', async () => {
      const jiraA = (await getConnectionByName(handle.db, 'jira-a'))!;
      const stored = (await findCase(handle.db, jiraA.id, 'SUP-1'))!;
      const runtimes = (id: number) => loadConnectionRuntime(handle.db, id);
      // 50 minutes in: first response (60 min) is at risk.
      const run = await runWriteback(handle, runtimes, stored.id, NOW + 30 * MIN);
      expect(run.outcome?.actions).toEqual(expect.arrayContaining(['label +sla-at-risk', 'property sla-sync']));
      const issue = jira.world.issue('SUP-1')!;
      expect(issue.labels).toContain('sla-at-risk');
      expect(issue.properties.get(`com.atlassian.jira.issue:${APP_KEY}:sla-panel:status`)).toEqual({ type: 'lozenge', value: { label: '10m left', type: 'moved' } });
      expect(jira.violations).toEqual([]);
    });

    it('lets an sla-sync admin link a site to another connection (and refuses a non-Jira one)', async () => {
      const admin = (await createUser(handle.db, { email: 'admin@example.com', role: 'admin', passwordHash: null }))!;
      const secret = newSecret('sla_');
      await createApiToken(handle.db, { userId: admin.id, tokenHash: secretDigest(secret), prefix: secret.slice(0, 10) });
      const auth = { authorization: `Bearer ${secret}` };
      const list = await fetch(`${base}/jira/tenants`, { headers: auth });
      expect(list.status).toBe(200);
      expect(await list.text()).toContain(`data-client-key="${CLIENT_B}"`);
      const form = (connection: string) => fetch(`${base}/jira/tenants/${CLIENT_B}/link`, { method: 'POST', redirect: 'manual', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ connection }).toString() });
      const bad = await form('no-such-connection');
      expect(bad.status).toBe(400);
      expect((await getJiraConnectTenant(handle.db, CLIENT_B))!.connectionId).toBe((await getConnectionByName(handle.db, 'jira-b'))!.id);
      const unlinked = await form('');
      expect(unlinked.status).toBe(303);
      expect((await getJiraConnectTenant(handle.db, CLIENT_B))!.connectionId).toBeNull();
      // Unlinked, B's panel sees no cases at all.
      const panel = await fetch(signedUrl(base, '/jira/panel?issueKey=OPS-7&issueId=10001', { clientKey: CLIENT_B, secret: SECRET_B, nowMs: clock }));
      expect(await panel.text()).toContain('not linked to an sla-sync connection');
    });

    it('forgets the secret on a signed uninstall: nothing signed with it is accepted any more', async () => {
      clock = NOW;
      expect((await postLifecycle(base, keys, 'uninstalled', siteA, { nowMs: clock, clientKey: 'forged-client' })).status).toBe(401);
      expect((await getJiraConnectTenant(handle.db, CLIENT_A))!.sharedSecret).toBe(SECRET_A);
      const response = await postLifecycle(base, keys, 'uninstalled', siteA, { nowMs: clock });
      expect(response.status).toBe(204);
      const tenant = (await getJiraConnectTenant(handle.db, CLIENT_A))!;
      expect(tenant.sharedSecret).toBeNull();
      expect(tenant.uninstalledAt).toBe('2027-03-01T10:00:00Z');
      const panel = await fetch(asA(panelUrl(sup1)));
      expect(panel.status).toBe(401);
      expect(((await panel.json()) as { message: string }).message).toContain('not an installed');
      // And the Connect-mode connection can no longer call Jira.
      await expect(syncConnection(handle, 'jira-a', NOW)).rejects.toThrow(/not installed/);
    });
  });
});
