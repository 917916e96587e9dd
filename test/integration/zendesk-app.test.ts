// The Zendesk sidebar app's API (issue 5 item 6) on a real express app on a free port, called with
// fetch as Zendesk's proxy would, on tickets synced from fake Zendesk accounts through the real
// pipeline: the right SLA for a synced ticket, 401 without the connection's secret, no reads across
// connections (two accounts whose ticket ids collide), 404 for an untracked ticket, 400 for a bad
// id, and the signed explanation links the answer hands out.
import type { Server } from 'node:http';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCase } from '../../src/store/cases-repo.ts';
import { getConnectionByName } from '../../src/store/connections-repo.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { forgetAgreementContext } from '../../src/sync/agreement-cache.ts';
import { applyConfig } from '../../src/sync/config.ts';
import { caseSlaView } from '../../src/sync/case-sla.ts';
import { explainCaseRecord } from '../../src/sync/explain.ts';
import { createApp } from '../../src/web/app.ts';
import { EXPLAIN_LINK_TTL_MS } from '../../src/web/zendesk-app/auth.ts';
import { startSidebarAccount, syncSidebarConnection } from '../fakes/zendesk/sidebar-world.ts';
import type { SidebarAccount } from '../fakes/zendesk/sidebar-world.ts';
import { runCli } from '../helpers/cli.ts';
import { storeBackends } from '../helpers/db.ts';
import { listenOnLoopback } from '../helpers/listen.ts';

const NOW = Date.parse('2026-03-02T10:00:00Z');
const MIN = 60_000;
/** Instants as the engine writes them: whole seconds, no milliseconds. */
const at = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const PUBLIC_URL = 'https://sla.example.com';
const SECRET_A = 'a-secret-for-account-a-0123456789';
const SECRET_B = 'b-secret-for-account-b-9876543210';
const ENV = { SLA_TEST_SIDEBAR_SECRET_B: SECRET_B };

describe.each(storeBackends())('Zendesk sidebar API on $name', (backend) => {
  let handle: DatabaseHandle;
  let server: Server;
  let base = '';
  let clock = NOW;
  let a: SidebarAccount;
  let b: SidebarAccount;

  beforeAll(async () => {
    handle = await backend.open();
    [a, b] = await Promise.all([startSidebarAccount(NOW, 'Acme'), startSidebarAccount(NOW, 'Globex')]);
    await syncSidebarConnection(handle, 'zd-a', a.fake, { sidebarSecret: SECRET_A }, NOW);
    // B's secret is an env: reference, resolved where sla-sync runs.
    await syncSidebarConnection(handle, 'zd-b', b.fake, { sidebarSecret: 'env:SLA_TEST_SIDEBAR_SECRET_B' }, NOW, ENV);
    // Connections whose secret is missing or too short to trust: the sidebar refuses them.
    await applyConfig(handle, {
      connections: {
        'zd-none': { source: 'zendesk', policy: 'view-policy', config: { baseUrl: a.fake.url, email: a.fake.email, apiToken: a.fake.apiToken } },
        'zd-short': { source: 'zendesk', policy: 'view-policy', config: { baseUrl: a.fake.url, email: a.fake.email, apiToken: a.fake.apiToken, sidebarSecret: 'short' } },
      },
    });
    const app = createApp({ handle, enqueueRefreshes: async () => {}, now: () => clock, env: ENV, baseUrl: PUBLIC_URL });
    ({ server, base } = await listenOnLoopback(app));
  }, 60_000);
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await Promise.all([a?.fake.close(), b?.fake.close()]);
    await handle?.close();
  });

  const sla = (connection: string, ticket: string | number, secret?: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/zendesk-app/api/connections/${connection}/tickets/${ticket}/sla`, { headers: { accept: 'application/json', ...(secret === undefined ? {} : { authorization: `Bearer ${secret}` }), ...headers } });
  const caseOf = async (connection: string, ticketId: number) => (await findCase(handle.db, (await getConnectionByName(handle.db, connection))!.id, String(ticketId)))!;
  /** The path and query of an absolute link the API handed out (served here, not at PUBLIC_URL). */
  const local = (link: string) => `${base}${link.slice(PUBLIC_URL.length)}`;

  it('answers the synced ticket\'s live SLA: the case view of that ticket, counted at now', async () => {
    const response = await sla('zd-a', a.running.id, SECRET_A);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    // Called through Zendesk's proxy: no browser origin is admitted.
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const view = (await response.json()) as Awaited<ReturnType<typeof caseSlaView>>;
    const stored = await caseOf('zd-a', a.running.id);
    expect(view).toEqual(await caseSlaView(handle.db, stored, NOW, { explainUrl: view.explainUrl }));
    expect(view.case).toMatchObject({ connection: 'zd-a', externalKey: `#${a.running.id}`, title: 'Acme: checkout is down', status: 'new', severity: 'S1', url: `${a.fake.url}/agent/tickets/${a.running.id}` });
    const [firstResponse, resolution] = view.metrics;
    // S1: 60 minutes to respond, 240 to resolve, around the clock; asked 20 minutes ago.
    expect(firstResponse).toMatchObject({ metric: 'firstResponse', state: 'running', severity: 'S1', targetSeconds: 3600, elapsedSeconds: 1200, remainingSeconds: 2400, dueAt: at(NOW + 40 * MIN), calendar: '24x7', pauseReason: null });
    expect(firstResponse!.ticking).toEqual([[NOW, NOW + 14 * 86_400_000]]);
    expect(resolution).toMatchObject({ metric: 'resolution', state: 'running', remainingSeconds: 13_200 });
    expect(view.explainUrl).toMatch(new RegExp(`^${PUBLIC_URL}/zendesk-app/connections/zd-a/tickets/${a.running.id}/explain\\?expires=\\d+&signature=[\\w-]+$`));
  });

  it('shows a paused clock with its reason and a met first response', async () => {
    const view = (await (await sla('zd-a', a.paused.id, SECRET_A)).json()) as Awaited<ReturnType<typeof caseSlaView>>;
    expect(view.case.status).toBe('pending');
    expect(view.metrics[0]).toMatchObject({ state: 'met', completedAt: at(NOW - 40 * MIN) });
    // 20 minutes counted before the pause, 220 of 240 left, standing still.
    expect(view.metrics[1]).toMatchObject({ state: 'paused', remainingSeconds: 220 * 60, pauseReason: 'waiting on the requester (pending)', ticking: null });
  });

  it('reads an env: secret where sla-sync runs, and never another connection\'s tickets', async () => {
    // Both accounts have a ticket #1; each secret reads its own connection's.
    expect(a.running.id).toBe(b.running.id);
    const viewB = (await (await sla('zd-b', b.running.id, SECRET_B)).json()) as { case: { title: string; connection: string } };
    expect(viewB.case).toMatchObject({ connection: 'zd-b', title: 'Globex: checkout is down' });
    for (const [connection, secret] of [['zd-b', SECRET_A], ['zd-a', SECRET_B]] as const) {
      const refused = await sla(connection, 1, secret);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({ error: 'unauthenticated', message: `no Zendesk connection "${connection}" with this sidebar secret` });
    }
  });

  it('answers 401 without the secret, with a wrong one, and for connections it cannot vouch for', async () => {
    const missing = await sla('zd-a', a.running.id);
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { message: string }).message).toMatch(/^send Authorization: Bearer <sidebar secret>/);
    const cases: [string, Record<string, string>, string][] = [
      ['zd-a', { authorization: `Bearer ${SECRET_A}x` }, 'no Zendesk connection "zd-a" with this sidebar secret'],
      ['zd-a', { authorization: `Bearer ${SECRET_A.slice(0, -1)}` }, 'no Zendesk connection "zd-a" with this sidebar secret'],
      ['zd-a', { authorization: `Basic ${Buffer.from(`x:${SECRET_A}`).toString('base64')}` }, 'Authorization must be "Bearer <sidebar secret>"'],
      ['zd-a', { authorization: 'Bearer {{setting.sidebarSecret}}' }, 'no Zendesk connection "zd-a" with this sidebar secret'],
      ['nope', { authorization: `Bearer ${SECRET_A}` }, 'no Zendesk connection "nope" with this sidebar secret'],
      ['zd-none', { authorization: `Bearer ${SECRET_A}` }, 'no Zendesk connection "zd-none" with this sidebar secret'],
      ['zd-short', { authorization: 'Bearer short' }, 'no Zendesk connection "zd-short" with this sidebar secret'],
    ];
    for (const [connection, headers, message] of cases) {
      const response = await sla(connection, a.running.id, undefined, headers);
      expect(response.status, `${connection} ${headers['authorization']}`).toBe(401);
      expect(await response.json()).toEqual({ error: 'unauthenticated', message });
    }
  });

  it('answers 404 for a ticket sla-sync does not track, and 400 for what is no ticket id', async () => {
    const untracked = await sla('zd-a', 999, SECRET_A);
    expect(untracked.status).toBe(404);
    expect(await untracked.json()).toEqual({ error: 'not_found', message: 'ticket #999 is not tracked by sla-sync (connection "zd-a" has no case for it)' });
    for (const bad of ['abc', '0', '-1', '1.5', '01', '1e3', '9999999999999999']) {
      const response = await sla('zd-a', bad, SECRET_A);
      expect(response.status, bad).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'bad_request', message: `ticketId: "${bad}" is not a Zendesk ticket id (a positive whole number)`, fields: ['ticketId'] });
    }
  });

  it('is no API token: the signed-in API refuses the sidebar secret', async () => {
    const stored = await caseOf('zd-a', a.running.id);
    for (const path of ['/api/me', `/api/cases/${stored.id}/sla`, `/cases/${stored.id}`, '/admin']) {
      const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${SECRET_A}`, accept: 'application/json' }, redirect: 'manual' });
      expect(response.status, path).toBe(401);
    }
  });

  it('hands out an explanation link that works without the header, for that ticket only, until it expires', async () => {
    const view = (await (await sla('zd-a', a.running.id, SECRET_A)).json()) as { explainUrl: string };
    const page = await fetch(local(view.explainUrl));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<h2>Why this SLA</h2>');
    expect(html).toContain('Acme: checkout is down');
    const query = view.explainUrl.slice(view.explainUrl.indexOf('?') + 1);
    // The page's countdown and JSON link use the same signed query (HTML-escaped in the attributes).
    const slaSrc = /data-sla-src="([^"]+)"/.exec(html)![1]!.replaceAll('&amp;', '&');
    expect(slaSrc).toBe(`/zendesk-app/api/connections/zd-a/tickets/${a.running.id}/sla?${query}`);
    const viaLink = await fetch(`${base}${slaSrc}`);
    expect(viaLink.status).toBe(200);
    // Following links never extends a link's life: the answer carries the same query.
    expect(((await viaLink.json()) as { explainUrl: string }).explainUrl).toBe(view.explainUrl);
    const json = await fetch(`${base}/zendesk-app/api/connections/zd-a/tickets/${a.running.id}/explain?${query}`);
    expect(await json.json()).toEqual(JSON.parse(JSON.stringify(await explainCaseRecord(handle.db, await caseOf('zd-a', a.running.id), NOW))));

    const refusals: [string, string][] = [
      [`/zendesk-app/connections/zd-a/tickets/${a.paused.id}/explain?${query}`, "the link's signature does not match; open the link again from the Zendesk sidebar"],
      [`/zendesk-app/connections/zd-b/tickets/${a.running.id}/explain?${query}`, "the link's signature does not match; open the link again from the Zendesk sidebar"],
      [`/zendesk-app/connections/zd-a/tickets/${a.running.id}/explain?${query.replace(/expires=(\d+)/, (_m, e: string) => `expires=${Number(e) + 3600}`)}`, "the link's signature does not match; open the link again from the Zendesk sidebar"],
      [`/zendesk-app/connections/zd-a/tickets/${a.running.id}/explain?${query.replace(/expires=\d+/, 'expires=soon')}`, "the link's expiry is not a time; open the link again from the Zendesk sidebar"],
      [`/zendesk-app/connections/zd-a/tickets/${a.running.id}/explain?expires=1`, 'send Authorization: Bearer <sidebar secret> (the Zendesk app does, through Zendesk\'s proxy), or open a signed link from the sidebar'],
    ];
    for (const [path, message] of refusals) {
      const response = await fetch(`${base}${path}`, { headers: { accept: 'application/json' } });
      expect(response.status, path).toBe(401);
      expect(await response.json()).toEqual({ error: 'unauthenticated', message });
    }
    clock = NOW + EXPLAIN_LINK_TTL_MS + 1000;
    try {
      const expired = await fetch(local(view.explainUrl));
      expect(expired.status).toBe(401);
      expect(await expired.json()).toEqual({ error: 'unauthenticated', message: 'the link has expired; open it again from the Zendesk sidebar' });
    } finally {
      clock = NOW;
    }
  });

  it('answers 409 no_policy (the app\'s JSON error) on the sidebar\'s SLA, explanation and explanation page when the connection has no policy', async () => {
    const view = (await (await sla('zd-a', a.running.id, SECRET_A)).json()) as { explainUrl: string };
    await handle.db.execute(sql`update connections set policy_id = null where name = 'zd-a'`);
    // The views reuse the agreement context a few seconds: drop this process's copy of it.
    forgetAgreementContext(handle.db);
    try {
      const calls: [string, () => Promise<Response>][] = [
        ['sla', () => sla('zd-a', a.running.id, SECRET_A)],
        ['explain', () => fetch(`${base}/zendesk-app/api/connections/zd-a/tickets/${a.running.id}/explain`, { headers: { authorization: `Bearer ${SECRET_A}` } })],
        ['explain page', () => fetch(local(view.explainUrl))],
      ];
      for (const [name, call] of calls) {
        const response = await call();
        expect(response.headers.get('content-type'), name).toMatch(/^application\/json/);
        expect(response.headers.get('cache-control'), name).toBe('no-store');
        expect({ status: response.status, body: await response.json() }, name).toEqual({ status: 409, body: { error: 'no_policy', message: 'connection "zd-a" has no policy' } });
      }
    } finally {
      await handle.db.execute(sql`update connections set policy_id = (select id from policies where name = 'view-policy') where name = 'zd-a'`);
      forgetAgreementContext(handle.db);
    }
    expect((await sla('zd-a', a.running.id, SECRET_A)).status).toBe(200);
  });

  it('redacts the sidebar secret in `config export`, keeping env references', async () => {
    const exported = await runCli(['config', 'export', '--format', 'json'], { database: handle });
    expect(exported.code).toBe(0);
    const config = JSON.parse(exported.stdout) as { connections: Record<string, { config: Record<string, unknown> }> };
    expect(config.connections['zd-a']!.config['sidebarSecret']).toBe('<redacted>');
    expect(config.connections['zd-b']!.config['sidebarSecret']).toBe('env:SLA_TEST_SIDEBAR_SECRET_B');
    expect(exported.stdout).not.toContain(SECRET_A);
  });
});
