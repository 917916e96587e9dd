// The case page in real headless Chromium (issue 7): an agent signs in, opens a case, and sees each
// clock's countdown tick down second by second, a paused clock stand still with its reason, and the
// explanation below; screenshot kept as test-artifacts/screenshots/case-page.png.
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { openDatabase, migrateDatabase } from '../../src/store/db.ts';
import { createUser } from '../../src/store/users-repo.ts';
import { createApp } from '../../src/web/app.ts';
import { hashPassword } from '../../src/web/auth/passwords.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { browserAvailable, firstSecondsOfTickingClock, launchBrowser, secondsLeft, signInFromPrompt } from '../helpers/browser.ts';
import { seedCase, seedGithubConnection } from '../helpers/seed-case.ts';
import { listenOnLoopback } from '../helpers/listen.ts';

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
describe.runIf(browserAvailable)('case page in Chromium', () => {
  let handle: DatabaseHandle;
  let server: Server;
  let base = '';
  let browser: TestBrowser;
  let runningId = 0;
  let pausedId = 0;

  beforeAll(async () => {
    handle = await openDatabase({ memory: true });
    await migrateDatabase(handle);
    await seedGithubConnection(handle);
    const now = Date.now();
    runningId = (await seedCase(handle, { number: 1, priority: 'P1', nowMs: now, events: [{ at: iso(now - 20 * MIN), type: 'created', status: 'open', rawPriority: 'P1' }] })).id;
    pausedId = (
      await seedCase(handle, {
        number: 2,
        priority: 'P1',
        nowMs: now,
        status: 'pending',
        events: [
          { at: iso(now - 50 * MIN), type: 'created', status: 'open', rawPriority: 'P1' },
          { at: iso(now - 40 * MIN), type: 'agent_reply' },
          { at: iso(now - 30 * MIN), type: 'status', status: 'pending' },
        ],
      })
    ).id;
    await createUser(handle.db, { email: 'agent@example.com', role: 'agent', passwordHash: await hashPassword('correct horse battery staple', { N: 1024, r: 8, p: 1 }) });
    const app = createApp({ handle, enqueueRefreshes: async () => {} });
    ({ server, base } = await listenOnLoopback(app));
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await handle?.close();
  });

  it('signs in, ticks the countdown down every second, and links to the explanation', async () => {
    const page = browser.page;
    await page.goto(`${base}/cases/${runningId}`);
    // Not signed in: the page links to the sign-in form, which brings the agent back.
    await signInFromPrompt(page, { email: 'agent@example.com', password: 'correct horse battery staple' }, `${base}/cases/${runningId}`);
    const clock = page.locator('[data-metric="firstResponse"] .sla-clock');
    const first = await firstSecondsOfTickingClock(clock);
    // 60 minutes target, created 20 minutes ago: about 40 minutes left.
    expect(first).toBeGreaterThan(38 * 60);
    expect(first).toBeLessThanOrEqual(40 * 60);
    expect(await page.getAttribute('[data-metric="firstResponse"]', 'data-state')).toBe('running');
    expect(await page.textContent('[data-metric="resolution"] .sla-calendar')).toBe('S1 target 4h · 24x7');
    expect(await page.getAttribute('a.sla-explain', 'href')).toBe(`/cases/${runningId}#explain`);
    expect(await page.locator('table.explain-steps tbody tr').count()).toBe(2);
    await browser.screenshot('case-page');
  });

  it('shows a paused clock standing still with its reason', async () => {
    const page = browser.page;
    await page.goto(`${base}/cases/${pausedId}`);
    const clock = page.locator('[data-metric="resolution"] .sla-clock');
    await expect.poll(() => clock.textContent()).toMatch(/^Paused · /);
    const before = await clock.textContent();
    await page.waitForTimeout(1500);
    expect(await clock.textContent()).toBe(before);
    // 240 minutes target, 20 minutes counted before the pause.
    expect(secondsLeft(before!)).toBe(220 * 60);
    expect(await page.textContent('[data-metric="resolution"] .sla-pause')).toBe('Paused: waiting on the requester (pending)');
    expect(await page.getAttribute('[data-metric="firstResponse"]', 'data-state')).toBe('met');
    await browser.screenshot('case-page-paused');
  });
});
