// The Jira issue context panel in real headless Chromium (issue 4 acceptance): the Connect app is
// installed on a fake Jira site (signed install), the site's issue is synced in Connect mode, and
// the panel URL, opened as Jira frames it (with a JWT signed for it), shows a countdown that ticks
// down every second; its "why" link opens the explanation. all.js cannot load offline: the panel
// works without it. Screenshot kept as test-artifacts/screenshots/jira-issue-panel.png.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { migrateDatabase, openDatabase } from '../../src/store/db.ts';
import { createApp } from '../../src/web/app.ts';
import { startFakeInstallKeys } from '../fakes/atlassian-install-keys.ts';
import type { FakeInstallKeys } from '../fakes/atlassian-install-keys.ts';
import { startFakeJira } from '../fakes/jira/server.ts';
import type { FakeJira } from '../fakes/jira/server.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { browserAvailable, firstSecondsOfTickingClock, launchBrowser } from '../helpers/browser.ts';
import { APP_KEY, applyConnectConfig, CLIENT_A, connectWorld, postLifecycle, SECRET_A, signedUrl, syncConnection } from '../helpers/jira-connect.ts';

const MIN = 60_000;
describe.runIf(browserAvailable)('Jira issue panel in Chromium', () => {
  let handle: DatabaseHandle;
  let server: Server;
  let base = '';
  let keys: FakeInstallKeys;
  let jira: FakeJira;
  let browser: TestBrowser;
  let allJsRequests = 0;

  beforeAll(async () => {
    handle = await openDatabase({ memory: true });
    await migrateDatabase(handle);
    keys = await startFakeInstallKeys();
    // SUP-1, Highest (S1: first response in 60 minutes, around the clock), created 20 minutes ago.
    jira = await startFakeJira({ world: connectWorld(Date.now(), 20 * MIN), connect: { appKey: APP_KEY, sharedSecret: SECRET_A } });
    await applyConnectConfig(handle, jira.url);
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const app = createApp({ handle, baseUrl: base, enqueueRefreshes: async () => {}, env: { SLA_SYNC_CONNECT_INSTALL_KEYS_URL: keys.url } });
    server.on('request', app);
    const installed = await postLifecycle(base, keys, 'installed', { clientKey: CLIENT_A, baseUrl: jira.url, sharedSecret: SECRET_A });
    expect(installed.status).toBe(204);
    expect(await syncConnection(handle, 'jira-a', Date.now())).toBe(1);
    browser = await launchBrowser({ viewport: { width: 360, height: 640 } });
    // Offline, Atlassian's CDN is unreachable: fail it at once (as a blocked network would, only faster).
    await browser.context.route('https://connect-cdn.atl-paas.net/**', async (route) => {
      allJsRequests++;
      await route.abort('internetdisconnected');
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await jira?.close();
    await keys?.close();
    await handle?.close();
  });

  it('shows the countdown of the issue’s case, ticking down every second, with a working "why" link', async () => {
    const page = browser.page;
    const issue = jira.world.issue('SUP-1')!;
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const response = await page.goto(signedUrl(base, `/jira/panel?issueKey=${issue.key}&issueId=${issue.id}`, { clientKey: CLIENT_A, secret: SECRET_A, sub: '5b10ac8d82e05b22cc7d0042' }));
    expect(response?.status()).toBe(200);
    const clock = page.locator('[data-metric="firstResponse"] .sla-clock');
    const first = await firstSecondsOfTickingClock(clock);
    // 60 minutes target, created 20 minutes ago: about 40 minutes left.
    expect(first).toBeGreaterThan(38 * 60);
    expect(first).toBeLessThanOrEqual(40 * 60);
    expect(await page.getAttribute('[data-metric="firstResponse"]', 'data-state')).toBe('running');
    expect(await page.textContent('[data-metric="resolution"] .sla-calendar')).toBe('S1 target 4h · 24x7');
    // The page asked for all.js, which failed, and nothing broke.
    expect(allJsRequests).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await browser.screenshot('jira-issue-panel');

    const why = await page.getAttribute('a.sla-explain', 'href');
    expect(why).toMatch(/^\/jira\/explain\?issueId=\d+&jwt=/);
    // The countdown opens it in a new tab (out of Jira's small panel), still on its signed link.
    const [tab] = await Promise.all([browser.context.waitForEvent('page'), page.click('a.sla-explain')]);
    await tab.waitForLoadState();
    expect(tab.url()).toMatch(/\/jira\/explain\?issueId=\d+&jwt=/);
    await expect.poll(() => tab.locator('[data-metric="firstResponse"] .sla-clock').textContent()).toMatch(/left$/);
    expect(await tab.textContent('#explain h2')).toBe('Why this SLA');
    expect(await tab.locator('table.explain-steps tbody tr').count()).toBeGreaterThanOrEqual(2);
    await tab.close();
  });
});
