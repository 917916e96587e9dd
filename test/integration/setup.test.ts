// First-admin onboarding (issue 6, item 6) on a real express app on a free port, called with fetch:
// a fresh install leads to /setup; bad input and forged forms store nothing; concurrent first-admin
// submissions create exactly one admin, who is signed in and led to add a connection; once anyone
// has an account /setup creates nothing. `sla-sync serve` prints the setup URL while no user exists.
import type { Server } from 'node:http';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { sessions, users } from '../../src/store/schema/index.ts';
import { createApp } from '../../src/web/app.ts';
import { verifyPassword } from '../../src/web/auth/passwords.ts';
import { storeBackends } from '../helpers/db.ts';
import { listenOnLoopback } from '../helpers/listen.ts';

const PASSWORD = 'first admin passphrase';

describe.each(storeBackends())('first-admin setup on $name', (backend) => {
  let handle: DatabaseHandle;
  let server: Server;
  let base = '';

  beforeAll(async () => {
    handle = await backend.open();
    const app = createApp({ handle, enqueueRefreshes: async () => {} });
    ({ server, base } = await listenOnLoopback(app));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await handle?.close();
  });

  const request = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { redirect: 'manual', ...init });
  const cookieOf = (response: Response, name: string): string | undefined => response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  const cookieValue = (setCookie: string) => setCookie.split(';')[0]!;
  const userCount = async () => (await handle.db.select({ n: count() }).from(users))[0]!.n;
  const sessionCount = async () => (await handle.db.select({ n: count() }).from(sessions))[0]!.n;

  /** The setup form's double-submit pair: its cookie and the hidden field's value. */
  async function setupForm() {
    const response = await request('/setup');
    expect(response.status).toBe(200);
    const body = await response.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(body)![1]!;
    const setCookie = cookieOf(response, 'sla_setup_csrf')!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).toMatch(/Path=\/setup/);
    return { cookie: cookieValue(setCookie), token };
  }

  const postSetup = (fields: Record<string, string>, cookie?: string) =>
    request('/setup', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
      body: new URLSearchParams(fields).toString(),
    });

  it('leads the home page and the sign-in form to /setup while no user exists', async () => {
    expect(await userCount()).toBe(0);
    for (const path of ['/', '/signin']) {
      const response = await request(path, { headers: { accept: 'text/html' } });
      expect(response.status, path).toBe(303);
      expect(response.headers.get('location'), path).toBe('/setup');
    }
    const page = await request('/setup');
    expect(page.status).toBe(200);
    const body = await page.text();
    expect(body).toContain('<form method="post" action="/setup"');
    for (const field of ['email', 'password', 'passwordConfirm']) expect(body).toContain(`name="${field}"`);
    expect(body).not.toMatch(/<script(?![^>]*\bsrc=)/); // no inline script: the CSP holds
  });

  it('refuses bad input with 400, naming the field, keeping the e-mail, storing nothing', async () => {
    const cases: [Record<string, string>, string, string][] = [
      [{ email: '', password: PASSWORD, passwordConfirm: PASSWORD }, 'email-error', 'is required'],
      [{ email: 'not-an-email', password: PASSWORD, passwordConfirm: PASSWORD }, 'email-error', 'is not an e-mail address'],
      [{ email: 'admin@acme.example', password: 'short pass', passwordConfirm: 'short pass' }, 'password-error', 'is shorter than 12 characters'],
      [{ email: 'admin@acme.example', password: 'abababababababab', passwordConfirm: 'abababababababab' }, 'password-error', 'has fewer than 5 different characters'],
      [{ email: 'admin@acme.example', password: 'admin@acme.example1', passwordConfirm: 'admin@acme.example1' }, 'password-error', 'contains your e-mail address'],
      [{ email: 'admin@acme.example', password: PASSWORD, passwordConfirm: `${PASSWORD}!` }, 'passwordConfirm-error', 'does not match the password'],
      [{ email: 'admin@acme.example', password: PASSWORD }, 'passwordConfirm-error', 'is required'],
    ];
    for (const [fields, id, message] of cases) {
      const form = await setupForm();
      const response = await postSetup({ _csrf: form.token, ...fields }, form.cookie);
      const what = JSON.stringify(fields);
      expect(response.status, what).toBe(400);
      const body = await response.text();
      expect(body, what).toContain(`<span class="field-error" id="${id}">${message}</span>`);
      expect(body, what).toContain('aria-invalid="true"');
      if (fields.email) expect(body, what).toContain(`value="${fields.email}"`);
      // The password is never echoed back into the page.
      expect(body, what).not.toContain(PASSWORD);
      expect(cookieOf(response, 'sla_session'), what).toBeUndefined();
    }
    expect(await userCount()).toBe(0);
    expect(await sessionCount()).toBe(0);
  });

  it('refuses a form without its CSRF pair (403), storing nothing', async () => {
    const good = await setupForm();
    const other = await setupForm();
    const fields = { email: 'admin@acme.example', password: PASSWORD, passwordConfirm: PASSWORD };
    for (const [what, response] of [
      ['no token', await postSetup(fields, good.cookie)],
      ['no cookie', await postSetup({ ...fields, _csrf: good.token })],
      ["another form's token", await postSetup({ ...fields, _csrf: other.token }, good.cookie)],
      ['a sign-in cookie instead', await postSetup({ ...fields, _csrf: good.token }, `sla_signin_csrf=${good.token}`)],
    ] as const) {
      expect(response.status, what).toBe(403);
      expect(await response.text(), what).toContain('The form expired or was not sent from this site');
      expect(cookieOf(response, 'sla_session'), what).toBeUndefined();
    }
    expect(await userCount()).toBe(0);
    expect(await sessionCount()).toBe(0);
  });

  let leftOverForm: { cookie: string; token: string };

  it('creates exactly one admin from concurrent submissions, signs them in and leads them to add a connection', async () => {
    const forms = await Promise.all(Array.from({ length: 4 }, () => setupForm()));
    leftOverForm = await setupForm();
    const responses = await Promise.all(
      forms.map((form, i) => postSetup({ _csrf: form.token, email: ` Admin${i}@Acme.example `, password: `${PASSWORD} ${i}`, passwordConfirm: `${PASSWORD} ${i}` }, form.cookie)),
    );
    expect(responses.map((r) => r.status)).toEqual([303, 303, 303, 303]);
    const winners = responses.filter((r) => r.headers.get('location') === '/admin/connections/new');
    const losers = responses.filter((r) => r.headers.get('location') === '/signin');
    expect(winners.length).toBe(1);
    expect(losers.length).toBe(3);
    for (const loser of losers) expect(cookieOf(loser, 'sla_session')).toBeUndefined();

    const rows = await handle.db.select().from(users);
    expect(rows.length).toBe(1);
    const admin = rows[0]!;
    expect(admin.role).toBe('admin');
    // The e-mail is trimmed and lower-cased; the password is stored as a scrypt hash only.
    const i = Number(/^admin(\d)@acme\.example$/.exec(admin.email)![1]);
    expect(admin.passwordHash).toMatch(/^scrypt\$/);
    expect(await verifyPassword(`${PASSWORD} ${i}`, admin.passwordHash!)).toBe(true);

    // The winner is signed in: its session cookie works, and the setup form's cookie is cleared.
    const winner = winners[0]!;
    const session = cookieOf(winner, 'sla_session')!;
    expect(session).toMatch(/HttpOnly/);
    expect(cookieOf(winner, 'sla_setup_csrf')).toMatch(/Expires=Thu, 01 Jan 1970/);
    const me = await request('/api/me', { headers: { cookie: cookieValue(session) } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ email: admin.email, role: 'admin', via: 'session' });
    expect(await sessionCount()).toBe(1);
  });

  it('is unusable once a user exists: redirects to sign-in and never creates a second account', async () => {
    const page = await request('/setup');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/signin');
    expect(cookieOf(page, 'sla_setup_csrf')).toBeUndefined();
    // A form fetched before the admin existed, with its valid CSRF pair, creates nothing now.
    const late = await postSetup({ _csrf: leftOverForm.token, email: 'intruder@evil.example', password: 'intruder passphrase', passwordConfirm: 'intruder passphrase' }, leftOverForm.cookie);
    expect(late.status).toBe(303);
    expect(late.headers.get('location')).toBe('/signin');
    expect(cookieOf(late, 'sla_session')).toBeUndefined();
    expect(await userCount()).toBe(1);
    expect(await sessionCount()).toBe(1);
    // The home page and the sign-in form are back to normal.
    expect((await request('/signin')).status).toBe(200);
    const home = await request('/', { headers: { accept: 'text/html' } });
    expect(home.status).toBe(401);
    expect(await home.text()).toContain('href="/signin?next=');
  });

  it('`sla-sync serve` prints the setup URL only while no user exists', async () => {
    const serveOnce = async (database: DatabaseHandle) => {
      let stdout = '';
      let stderr = '';
      let stop: () => void = () => {};
      const stopped = new Promise<void>((resolve) => (stop = resolve));
      const code = await main(['node', 'sla-sync', 'serve', '--port', '0', '--no-worker'], {
        stdout: (t) => {
          stdout += t;
          // serve prints the setup line before it waits for this: stopping now still lets it print.
          if (stdout.includes('listening on')) stop();
        },
        stderr: (t) => void (stderr += t),
        readStdin: async () => '',
        database: async () => database,
        untilStopped: () => stopped,
      });
      return { code, stdout, stderr };
    };
    const fresh = await backend.open();
    try {
      const first = await serveOnce(fresh);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/^No users yet: create the first admin at http:\/\/127\.0\.0\.1:\d+\/setup$/m);
    } finally {
      await fresh.close();
    }
    const withAdmin = await serveOnce(handle);
    expect(withAdmin.code, withAdmin.stderr).toBe(0);
    expect(withAdmin.stdout).toContain('listening on');
    expect(withAdmin.stdout).not.toContain('/setup');
  }, 60_000);
});
