// The admin mapping page in real headless Chromium (issue 6): an admin signs in, maps an unmapped
// priority, sees the preview count, saves, and sees the cases' states change and their writebacks
// queued. Screenshots: test-artifacts/screenshots/admin-mapping.png (and -phone, admin-policy).
import type { Server } from 'node:http';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseInput } from '../../src/connectors/types.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { migrateDatabase, openDatabase, withTransaction } from '../../src/store/db.ts';
import { cases } from '../../src/store/schema/index.ts';
import { createUser } from '../../src/store/users-repo.ts';
import { applyConfig } from '../../src/sync/config.ts';
import { loadConnectionRuntime } from '../../src/sync/connection.ts';
import type { JobQueue } from '../../src/sync/queue.ts';
import { queueFor } from '../../src/sync/queue.ts';
import { storeAndEvaluate } from '../../src/sync/run-sync.ts';
import { createApp } from '../../src/web/app.ts';
import { hashPassword } from '../../src/web/auth/passwords.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { browserAvailable, launchBrowser, signInFromPrompt } from '../helpers/browser.ts';
import { listenOnLoopback } from '../helpers/listen.ts';

const NOW = Date.parse('2027-03-02T12:00:00Z');
const PASSWORD = 'correct horse battery staple';
const minutesAgo = (m: number) => new Date(NOW - m * 60_000).toISOString().replace('.000Z', 'Z');

function issue(number: number, rawPriority: string | null, createdMinutesAgo: number): CaseInput {
  const at = minutesAgo(createdMinutesAgo);
  return {
    externalId: String(5000 + number),
    externalKey: `acme/support#${number}`,
    url: `https://github.com/acme/support/issues/${number}`,
    title: `Customer issue ${number}`,
    rawPriority,
    status: 'open',
    createdAt: at,
    updatedAt: at,
    events: [{ at, type: 'created', status: 'open', rawPriority }],
    attributes: { repository: 'acme/support', number, labels: rawPriority ? [rawPriority] : [] },
  };
}

describe.runIf(browserAvailable)('admin mapping page in Chromium', () => {
  let handle: DatabaseHandle;
  let queue: JobQueue;
  let server: Server;
  let base = '';
  let browser: TestBrowser;

  beforeAll(async () => {
    handle = await openDatabase({ memory: true });
    await migrateDatabase(handle);
    await applyConfig(handle, {
      policies: {
        standard: {
          calendar: '24x7',
          severities: { S1: { firstResponseMinutes: 15, resolutionMinutes: 60 }, S3: { firstResponseMinutes: 120, resolutionMinutes: 600 } },
          defaultSeverity: 'S3',
          atRiskPercent: 75,
        },
      },
      // The connector is never called: cases are stored as it would hand them over.
      connections: { 'gh-support': { source: 'github', policy: 'standard', config: { baseUrl: 'http://127.0.0.1:9', token: 'unused', repositories: ['acme/support'], severityLabels: { P1: 'S1' } } } },
    }, () => NOW);
    const runtime = await loadConnectionRuntime(handle.db, 'gh-support');
    await withTransaction(handle, (tx) => storeAndEvaluate(tx, runtime, [issue(7, 'Sev-A', 90), issue(8, 'Sev-A', 30), issue(9, 'P1', 5), issue(10, 'Sev-B', 20)], NOW));
    await handle.db.update(cases).set({ writebackPending: false });
    await createUser(handle.db, { email: 'admin@example.com', role: 'admin', passwordHash: await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 }) });
    queue = queueFor(handle, { maintenance: false });
    await queue.start();
    const app = createApp({ handle, enqueueRefreshes: async () => {}, now: () => NOW, queue });
    ({ server, base } = await listenOnLoopback(app));
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await queue?.stop({ timeoutMs: 1000 });
    await handle?.close();
  });

  it('maps a priority, previews the change, saves, and shows the new states with writebacks queued', async () => {
    const page = browser.page;
    await page.goto(`${base}/admin/connections`);
    await signInFromPrompt(page, { email: 'admin@example.com', password: PASSWORD }, `${base}/admin/connections`);
    await expect.poll(() => page.locator('tr[data-connection="gh-support"]').textContent()).toContain('2 unmapped');

    await page.click('tr[data-connection="gh-support"] a:has-text("Priorities")');
    await page.waitForURL(/\/admin\/connections\/\d+\/mapping$/);
    const sevA = page.locator('tr[data-raw="Sev-A"]');
    expect(await sevA.getAttribute('class')).toBe('unmapped');
    expect(await sevA.locator('td.num').textContent()).toBe('2');
    // #7: S3 by default, 90 minutes old, first response at risk (90 of 120 minutes).
    const row7 = page.locator('tr[data-case="acme/support#7"]');
    expect(await row7.locator('.case-severity').textContent()).toBe('S3');
    expect(await row7.locator('.case-resolution').textContent()).toBe('running');

    await sevA.locator('select').selectOption('S1');
    await Promise.all([page.waitForLoadState('load'), page.click('#preview-button')]);
    await expect.poll(() => page.locator('#preview-count').textContent()).toBe('2');
    expect(await page.locator('#preview h2').textContent()).toBe('Preview: 2 of 4 cases would change SLA state');
    // The preview wrote nothing: the selection is kept, the case is unchanged.
    expect(await page.locator('tr[data-raw="Sev-A"] select').inputValue()).toBe('S1');
    expect(await row7.locator('.case-resolution').textContent()).toBe('running');
    await browser.screenshot('admin-mapping-preview');

    await Promise.all([page.waitForURL(/notice=mapping-saved/), page.click('#save-button')]);
    expect(await page.locator('#notice').textContent()).toBe('Mapping saved. 2 cases changed SLA state; writebacks queued for 2 cases.');
    // Sev-A is S1 now: #7 (90 minutes) breached its 60-minute resolution; #8 (30 minutes) breached its 15-minute first response.
    expect(await row7.locator('.case-severity').textContent()).toBe('S1');
    expect(await row7.locator('.case-resolution').textContent()).toBe('breached');
    expect(await row7.locator('.case-writeback').textContent()).toBe('pending');
    const row8 = page.locator('tr[data-case="acme/support#8"]');
    expect(await row8.locator('.case-severity').textContent()).toBe('S1');
    expect(await row8.locator('.case-writeback').textContent()).toBe('pending');
    expect(await page.locator('tr[data-case="acme/support#10"] .case-writeback').textContent()).toBe('in line');
    expect(await page.locator('tr[data-raw="Sev-A"]').getAttribute('class')).toBe('');
    expect(await page.locator('tr[data-raw="Sev-B"]').getAttribute('class')).toBe('unmapped');
    // The queue received the writebacks of exactly those two cases.
    const result = (await handle.db.execute(sql`select c.external_key from pgboss.job j join cases c on c.id = (j.data->>'caseId')::int where j.name = 'writeback' order by 1`)) as unknown as { rows: { external_key: string }[] };
    expect(result.rows.map((r) => r.external_key)).toEqual(['acme/support#7', 'acme/support#8']);
    await browser.screenshot('admin-mapping');

    // The audit log shows the change, by whom.
    await page.click('nav.admin-nav a:has-text("Audit log")');
    expect(await page.locator('tr[data-entity="mapping"] td').nth(1).textContent()).toBe('admin@example.com');

    // On a phone.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/admin/connections`);
    await browser.screenshot('admin-connections-phone');
    await page.goto(`${base}/admin/policies`);
    await page.click('tr[data-policy="standard"] a');
    await browser.screenshot('admin-policy-phone');
    const zones = await page.locator('#f-timezone option').count();
    expect(zones).toBeGreaterThan(300);
  });
});
