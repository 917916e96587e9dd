// Real headless Chromium for end-to-end tests (Debian's `chromium`, driven by playwright-core; the
// playwright download cannot work here). Screenshots go to test-artifacts/screenshots/.
//
// Without /usr/bin/chromium the browser tests are skipped with a note, so `npm test` still runs on a
// laptop without it; `.ci/run` installs chromium and sets SLA_SYNC_REQUIRE_BROWSER=1, which turns a
// missing browser into a failure instead.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = resolve('test-artifacts', 'screenshots');

const required = process.env['SLA_SYNC_REQUIRE_BROWSER'] === '1';

/** Whether the browser tests run here: `describe.runIf(browserAvailable)(...)`. */
export const browserAvailable = existsSync(CHROMIUM_PATH) || required;
if (!browserAvailable) console.warn(`browser tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`);

export interface TestBrowser {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Saves a full-page PNG as test-artifacts/screenshots/<name>.png and returns its path. */
  screenshot(name: string, page?: Page): Promise<string>;
  close(): Promise<void>;
}

/** Launches Chromium the way this closed network needs (no background networking; playwright gives each launch a fresh profile). */
export async function launchBrowser(options: { viewport?: { width: number; height: number } } = {}): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 900 } });
  const page = await context.newPage();
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    browser,
    context,
    page,
    async screenshot(name, target = page) {
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      await target.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await browser.close();
    },
  };
}

/** A countdown's text as sla-countdown.js shows it ("1h 29m 58s left", "Paused · 3h 40m 00s left") in seconds. */
export function secondsLeft(text: string): number {
  const match = /^(?:(\d+)d )?(?:(\d+)h )?(?:(\d+)m )?(\d+)s left$/.exec(text.replace(/^Paused · /, ''));
  if (!match) throw new Error(`not a countdown: "${text}"`);
  const [, d, h, m, s] = match.map((x) => Number(x ?? 0));
  return d! * 86400 + h! * 3600 + m! * 60 + s!;
}

/**
 * From a page that answered "sign in required": follows its link to the sign-in form, signs in,
 * and waits to be brought back to `returnUrl` (what the product does after sign-in).
 */
export async function signInFromPrompt(page: Page, credentials: { email: string; password: string }, returnUrl: string | RegExp): Promise<void> {
  await page.click('a[href^="/signin"]');
  await page.fill('#email', credentials.email);
  await page.fill('#password', credentials.password);
  await Promise.all([page.waitForURL(returnUrl), page.click('button[type=submit]')]);
}

/**
 * Waits for a countdown (a `.sla-clock`) to show time left, then until it has ticked down by at least
 * two seconds; returns the seconds it first showed, for the caller to check against the case.
 */
export async function firstSecondsOfTickingClock(clock: Locator, options: { showTimeoutMs?: number } = {}): Promise<number> {
  await expect.poll(() => clock.textContent(), { timeout: options.showTimeoutMs ?? 5000 }).toMatch(/left$/);
  const first = secondsLeft((await clock.textContent())!);
  await expect.poll(async () => secondsLeft((await clock.textContent())!), { timeout: 5000 }).toBeLessThanOrEqual(first - 2);
  return first;
}
