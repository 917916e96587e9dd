// The admin policy rules page in real headless Chromium (issue 7 through the admin page): an admin
// adds a customer and a rule, sees the preview count, saves, and sees the rule with its cases and the
// case's writeback queued. Screenshot: test-artifacts/screenshots/admin-rules.png (and -preview).
import type { Server } from 'node:http';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseInput } from '../../src/connectors/types.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { migrateDatabase, openDatabase, withTransaction } from '../../src/store/db.ts';
import { cases, policies } from '../../src/store/schema/index.ts';
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
const policy = (firstResponseMinutes: number, resolutionMinutes: number) => ({ calendar: '24x7', severities: { S3: { firstResponseMinutes, resolutionMinutes } }, defaultSeverity: 'S3', atRiskPercent: 75 });

function issue(number: number, repository: string, createdMinutesAgo: number): CaseInput {
  const at = new Date(NOW - createdMinutesAgo * 60_000).toISOString();
  return {
    externalId: String(number),
    externalKey: `${repository}#${number}`,
    url: `https://github.com/${repository}/issues/${number}`,
    title: `Issue ${number}`,
    rawPriority: null,
    status: 'open',
    createdAt: at,
    updatedAt: at,
    events: [{ at, type: 'created', status: 'open', rawPriority: null }],
    attributes: { repository, number, labels: [] },
  };
}

describe.runIf(browserAvailable)('admin policy rules in Chromium', () => {
  let handle: DatabaseHandle;
  let queue: JobQueue;
  let server: Server;
  let base = '';
  let browser: TestBrowser;

  beforeAll(async () => {
    handle = await openDatabase({ memory: true });
    await migrateDatabase(handle);
    await applyConfig(handle, {
      policies: { standard: policy(120, 600), gold: policy(30, 120) },
      connections: { 'gh-support': { source: 'github', policy: 'standard', config: { baseUrl: 'http://127.0.0.1:9', token: 'unused', repositories: ['acme/finance', 'acme/web'] } } },
    }, () => NOW);
    const runtime = await loadConnectionRuntime(handle.db, 'gh-support');
    // #1 and #2 are Finance's (acme/finance): 45 and 10 minutes old; #3 is not.
    await withTransaction(handle, (tx) => storeAndEvaluate(tx, runtime, [issue(1, 'acme/finance', 45), issue(2, 'acme/finance', 10), issue(3, 'acme/web', 45)], NOW));
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

  it('adds a customer and a rule, previews the rule, saves it, and the cases move to its policy', async () => {
    const page = browser.page;
    await page.goto(`${base}/admin/customers`);
    await signInFromPrompt(page, { email: 'admin@example.com', password: PASSWORD }, `${base}/admin/customers`);

    await page.click('a:has-text("Add a customer")');
    await page.fill('#f-name', 'Finance');
    await page.selectOption('#f-match-0-field', 'project');
    await page.fill('#f-match-0-values', 'acme/finance');
    await Promise.all([page.waitForURL(/notice=customer-saved/), page.click('#save-button')]);
    expect(await page.locator('tr[data-customer="Finance"] td[data-cases]').textContent()).toBe('2');
    // As if a worker had run the writebacks the customer queued: the rule's are looked at alone.
    await handle.db.execute(sql`delete from pgboss.job where name = 'writeback'`);

    await page.click('nav.admin-nav a:has-text("Policy rules")');
    await page.click('a:has-text("Add a rule")');
    await page.fill('#f-name', 'finance-gold');
    await page.check('input[name="when.customer"][value="Finance"]');
    await page.selectOption('#f-policy', 'gold');
    await Promise.all([page.waitForLoadState('load'), page.click('#preview-button')]);
    // Both Finance cases move to gold; #1 (45 minutes, no reply) breaches gold's 30-minute first response.
    await expect.poll(() => page.locator('#preview-moved').textContent()).toBe('2');
    expect(await page.locator('#preview-agreements h2').textContent()).toBe('Preview: 2 cases would move to another customer or policy');
    expect(await page.locator('#preview-count').textContent()).toBe('1');
    expect(await page.locator('#preview-moves tr[data-kind="policy"]').getAttribute('data-cases')).toBe('2');
    // The preview kept the form and wrote nothing.
    expect(await page.locator('input[name="when.customer"][value="Finance"]').isChecked()).toBe(true);
    const [gold] = await handle.db.select().from(policies).where(eq(policies.name, 'gold'));
    expect((await handle.db.select().from(cases).where(eq(cases.policyId, gold!.id))).length).toBe(0);
    await browser.screenshot('admin-rules-preview');

    await Promise.all([page.waitForURL(/notice=rule-saved/), page.click('#save-button')]);
    expect(await page.locator('#notice').textContent()).toBe('Rule saved. 2 cases got another customer, rule or policy; 2 had their SLA timers change (state or due time); their writebacks are queued.');
    expect(await page.locator('tr[data-rule="finance-gold"] td[data-cases]').textContent()).toBe('2');
    expect(await page.locator('tr[data-connection="gh-support"] td[data-cases]').textContent()).toBe('1');
    const result = (await handle.db.execute(sql`select c.external_key from pgboss.job j join cases c on c.id = (j.data->>'caseId')::int where j.name = 'writeback' order by 1`)) as unknown as { rows: { external_key: string }[] };
    expect(result.rows.map((r) => r.external_key)).toEqual(['acme/finance#1', 'acme/finance#2']);
    await browser.screenshot('admin-rules');

    await page.click('nav.admin-nav a:has-text("Audit log")');
    expect(await page.locator('tr[data-entity="rules"] td').nth(1).textContent()).toBe('admin@example.com');
  });
});
