// The report's acceptance in real headless Chromium (issue 6): a manager signs in, opens the report
// for a fixed period, and the headline numbers read from the page equal the JSON API's and
// `sla-sync report`'s for the same period; the trend charts render; a phone-sized viewport has no
// horizontal overflow; the customer SLA page renders. Screenshots: test-artifacts/screenshots/
// reports.png, reports-phone.png, customer-sla-page.png.
import type { Server } from 'node:http';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { migrateDatabase, openDatabase } from '../../src/store/db.ts';
import { policies } from '../../src/store/schema/index.ts';
import { createUser } from '../../src/store/users-repo.ts';
import { createShareLink } from '../../src/sync/report-share.ts';
import type { ComplianceReport } from '../../src/sync/report.ts';
import { createApp } from '../../src/web/app.ts';
import { hashPassword } from '../../src/web/auth/passwords.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { browserAvailable, launchBrowser } from '../helpers/browser.ts';
import { runCli } from '../helpers/cli.ts';
import { NOW, seedReportStore } from '../integration/report-seed.ts';
import { listenOnLoopback } from '../helpers/listen.ts';

// The few browser globals the page functions below use (tsconfig has no DOM lib; they run in Chromium).
interface CanvasLike {
  width: number;
  height: number;
  dataset: Record<string, string | undefined>;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
declare const document: {
  querySelectorAll(selector: string): { length: number };
  documentElement: { scrollWidth: number; clientWidth: number };
  body: { scrollWidth: number };
};

const PASSWORD = 'correct horse battery staple';
const PERIOD = { from: '2027-01-01', to: '2027-04-01' };

describe.runIf(browserAvailable)('reports in Chromium', () => {
  let handle: DatabaseHandle;
  let server: Server;
  let base = '';
  let browser: TestBrowser;

  beforeAll(async () => {
    handle = await openDatabase({ memory: true });
    await migrateDatabase(handle);
    await seedReportStore(handle);
    await createUser(handle.db, { email: 'manager@example.com', role: 'manager', passwordHash: await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 }) });
    const app = createApp({ handle, enqueueRefreshes: async () => {}, now: () => NOW });
    ({ server, base } = await listenOnLoopback(app));
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await handle?.close();
  });

  async function signIn() {
    const { page } = browser;
    await page.goto(`${base}/signin?next=${encodeURIComponent(`/reports?period=custom&from=${PERIOD.from}&to=${PERIOD.to}`)}`);
    await page.fill('#email', 'manager@example.com');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(/\/reports\?/), page.click('button[type="submit"]')]);
  }

  it('shows the headline numbers of the JSON API and the CLI for the same period, with the trend charts drawn', async () => {
    await signIn();
    const { page } = browser;
    expect(await page.locator('#period-bounds').getAttribute('data-from')).toBe('2027-01-01T00:00:00Z');
    const onPage = await page.locator('li[data-headline]').evaluateAll((items) =>
      items.map((li) => ({ metric: li.getAttribute('data-metric'), severity: li.getAttribute('data-severity'), headline: li.textContent })),
    );
    // The JSON API, called with the browser's own session.
    const apiResponse = await page.request.get(`${base}/api/reports/compliance?from=${PERIOD.from}&to=${PERIOD.to}`);
    expect(apiResponse.status()).toBe(200);
    const api = (await apiResponse.json()) as ComplianceReport;
    const cli = await runCli(['report', '--from', PERIOD.from, '--to', PERIOD.to, '--format', 'json'], { database: handle });
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual(api);
    const byKey = (rows: { metric: string | null; severity: string | null; headline: string | null }[]) => rows.map((r) => `${r.metric}/${r.severity}: ${r.headline}`).sort();
    expect(onPage.length).toBe(api.rows.length);
    expect(byKey(onPage)).toEqual(byKey(api.rows));
    expect(onPage.map((r) => r.headline)).toContain(api.rows.find((r) => r.metric === 'resolution' && r.severity === 'S1')!.headline);
    // The CLI's table prints the same headlines.
    const table = await runCli(['report', '--from', PERIOD.from, '--to', PERIOD.to], { database: handle });
    for (const row of api.rows) expect(table.stdout).toContain(`  ${row.headline}`);

    // One chart per severity with completions, drawn by Chart.js on a canvas with pixels.
    const severities = [...new Set(api.rows.filter((r) => r.severity !== 'all' && r.completed > 0).map((r) => r.severity))];
    await page.waitForFunction((n) => document.querySelectorAll('canvas[data-rendered]').length === n, severities.length);
    const charts = await page.locator('canvas[data-severity]').evaluateAll((canvases) =>
      canvases.map((c) => {
        const canvas = c as unknown as CanvasLike;
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let inked = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) inked++;
        return { severity: canvas.dataset['severity'], datasets: canvas.dataset['rendered'], width: canvas.width, inked };
      }),
    );
    expect(charts.map((c) => c.severity).sort()).toEqual([...severities].sort());
    for (const c of charts) {
      expect(c.datasets).toBe('3');
      expect(c.width).toBeGreaterThan(100);
      expect(c.inked).toBeGreaterThan(500);
    }
    await browser.screenshot('reports');
  });

  it('fits a phone-sized viewport without horizontal overflow of the page', async () => {
    const phone = await browser.browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    try {
      await phone.addCookies(await browser.context.cookies());
      const page = await phone.newPage();
      await page.goto(`${base}/reports?period=custom&from=${PERIOD.from}&to=${PERIOD.to}`);
      await page.waitForSelector('canvas[data-rendered]');
      const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, body: document.body.scrollWidth }));
      expect(widths.client).toBe(390);
      expect(widths.scroll).toBeLessThanOrEqual(widths.client);
      expect(widths.body).toBeLessThanOrEqual(widths.client);
      expect(await page.locator('li[data-headline]').count()).toBeGreaterThan(0);
      await browser.screenshot('reports-phone', page);
    } finally {
      await phone.close();
    }
  });

  it('renders the customer SLA page for a share link, signed out', async () => {
    const [standard] = await handle.db.select().from(policies).where(eq(policies.name, 'standard'));
    const { token } = await createShareLink(handle.db, { policyId: standard!.id, customerId: null, label: 'Standard support' }, null);
    const anonymous = await browser.browser.newContext({ viewport: { width: 1024, height: 900 } });
    try {
      const page = await anonymous.newPage();
      const response = await page.goto(`${base}/sla/${token}`);
      expect(response!.status()).toBe(200);
      expect(await page.locator('h1').textContent()).toBe('Standard support');
      expect(await page.locator('#targets tbody tr').count()).toBe(4);
      expect(await page.locator('section.shared-period').count()).toBe(2);
      expect(await page.locator('a').count()).toBe(0);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
      expect(overflow).toBe(false);
      await browser.screenshot('customer-sla-page', page);
    } finally {
      await anonymous.close();
    }
  });
});
