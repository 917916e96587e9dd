// Sign-in and roles (issue 6) on a real express app on a free port, called with fetch: `user add`,
// sessions, API tokens, CSRF on every form, failed sign-ins rate-limited, and a walk over EVERY
// route the app registers asserting 401 without credentials and 403 for a role it does not admit.
import type { Server } from 'node:http';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, revokeApiToken } from '../../src/store/api-tokens-repo.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import type { Role } from '../../src/store/schema/index.ts';
import { apiTokens, ROLES, sessions, signInFailures, users } from '../../src/store/schema/index.ts';
import { createUser } from '../../src/store/users-repo.ts';
import { createApp } from '../../src/web/app.ts';
import { hashPassword } from '../../src/web/auth/passwords.ts';
import { newSecret, secretDigest } from '../../src/web/auth/tokens.ts';
import { listRoutes } from '../../src/web/route-list.ts';
import { runCli } from '../helpers/cli.ts';
import { EXPECTED_ROUTES } from '../helpers/expected-routes.ts';
import { storeBackends } from '../helpers/db.ts';
import { listenOnLoopback } from '../helpers/listen.ts';

const PASSWORD = 'correct horse battery staple';
// Sign-in tests verify many passwords: their users get a cheap scrypt cost (the hash carries it).
// The user made by `sla-sync user add` has the production cost and signs in once.
const CHEAP = { N: 1024, r: 8, p: 1 };
const WINDOW_MS = 15 * 60_000;

describe.each(storeBackends())('sign-in and roles on $name', (backend) => {
  let handle: DatabaseHandle;
  let server: Server;
  let base = '';
  let clock = Date.parse('2027-03-01T09:00:00Z');
  let ipCounter = 0;
  /** A client address of its own per test (through the trusted loopback proxy), so per-address counts do not mix. */
  const newIp = () => `198.51.100.${++ipCounter}`;

  beforeAll(async () => {
    handle = await backend.open();
    for (const role of ROLES) await createUser(handle.db, { email: `${role}@example.com`, role, passwordHash: await hashPassword(PASSWORD, CHEAP) });
    for (let i = 0; i < 5; i++) await createUser(handle.db, { email: `spray${i}@example.com`, role: 'agent', passwordHash: await hashPassword(PASSWORD, CHEAP) });
    const app = createApp({
      handle,
      enqueueRefreshes: async () => {},
      now: () => clock,
      signIn: { maxFailuresPerAccount: 3, maxFailuresPerIp: 5, windowMs: WINDOW_MS, sessionTtlMs: 3600_000 },
      trustProxy: 'loopback',
    });
    ({ server, base } = await listenOnLoopback(app));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await handle?.close();
  });

  const request = (path: string, init: RequestInit & { ip?: string } = {}) =>
    fetch(`${base}${path}`, { redirect: 'manual', ...init, headers: { 'x-forwarded-for': init.ip ?? '127.0.0.1', ...(init.headers as Record<string, string>) } });

  const cookieOf = (response: Response, name: string): string | undefined =>
    response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  const cookieValue = (setCookie: string) => setCookie.split(';')[0]!;

  /** The sign-in form's double-submit pair: its cookie and the hidden field's value. */
  async function signInForm(ip: string) {
    const response = await request('/signin', { ip });
    expect(response.status).toBe(200);
    const body = await response.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(body)![1]!;
    return { cookie: cookieValue(cookieOf(response, 'sla_signin_csrf')!), token };
  }

  async function postSignIn(fields: Record<string, string>, options: { ip?: string; cookie?: string; query?: string } = {}) {
    return request(`/signin${options.query ?? ''}`, {
      method: 'POST',
      ip: options.ip ?? '127.0.0.1',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(options.cookie ? { cookie: options.cookie } : {}) },
      body: new URLSearchParams(fields).toString(),
    });
  }

  async function tryPassword(email: string, password: string, ip = newIp()) {
    const form = await signInForm(ip);
    return postSignIn({ _csrf: form.token, email, password }, { ip, cookie: form.cookie });
  }

  /** Signs in through the form; the session cookie and its CSRF token. */
  async function signIn(email: string, password = PASSWORD) {
    const response = await tryPassword(email, password);
    expect(response.status).toBe(303);
    const cookie = cookieValue(cookieOf(response, 'sla_session')!);
    const me = (await (await request('/api/me', { headers: { cookie } })).json()) as { csrfToken: string };
    return { cookie, csrf: me.csrfToken, response };
  }

  async function tokenFor(role: Role) {
    const [user] = await handle.db.select().from(users).where(eq(users.email, `${role}@example.com`));
    const secret = newSecret('sla_');
    const id = await createApiToken(handle.db, { userId: user!.id, tokenHash: secretDigest(secret), prefix: secret.slice(0, 10) });
    return { secret, id };
  }

  const countOf = async (table: typeof sessions | typeof signInFailures) => (await handle.db.select({ n: count() }).from(table))[0]!.n;

  it('lists every route with its roles, exactly the expected table', () => {
    const app = createApp({ handle, enqueueRefreshes: async () => {} });
    // Compared as sets (sorted by path and method): each area's table lives in its own file.
    const byRoute = (a: { method: string; path: string }, b: { method: string; path: string }) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method);
    const found = listRoutes(app)
      .map((r) => ({ method: r.method, path: r.path, roles: r.roles === null ? null : [...r.roles].sort() }))
      .sort(byRoute);
    const expected = EXPECTED_ROUTES.map(({ method, path, roles }) => ({ method, path, roles: roles === null ? null : [...roles].sort() })).sort(byRoute);
    expect(found).toEqual(expected);
  });

  it('answers 401 without credentials and 403 for a role it does not admit, on every guarded route', async () => {
    const guarded = listRoutes(createApp({ handle, enqueueRefreshes: async () => {} })).filter((r) => r.roles !== null);
    expect(guarded.length).toBe(EXPECTED_ROUTES.filter((r) => r.roles !== null).length);
    const sessionsByRole = new Map<Role, { cookie: string; csrf: string }>();
    for (const role of ROLES) sessionsByRole.set(role, await signIn(`${role}@example.com`));
    const tokens = new Map<Role, string>();
    for (const role of ROLES) tokens.set(role, (await tokenFor(role)).secret);
    for (const route of guarded) {
      const path = route.path.replace(':id', '1');
      const unsafe = route.method !== 'GET';
      const anonymous = await request(path, { method: route.method, headers: { accept: 'application/json' } });
      expect(anonymous.status, `${route.method} ${route.path} without credentials`).toBe(401);
      expect(await anonymous.json()).toMatchObject({ error: 'unauthenticated' });
      // A browser gets a page that links to the sign-in form, with the same status.
      const browser = await request(path, { method: route.method, headers: { accept: 'text/html' } });
      expect(browser.status).toBe(401);
      expect(await browser.text()).toContain('href="/signin?next=');
      for (const role of ROLES) {
        // Unsafe methods sign in afresh: POST /signout ends the session it is sent with.
        const session = unsafe ? await signIn(`${role}@example.com`) : sessionsByRole.get(role)!;
        const body = unsafe ? new URLSearchParams({ _csrf: session.csrf }).toString() : null;
        const viaSession = await request(path, { method: route.method, body, headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } });
        const viaToken = await request(path, { method: route.method, headers: { authorization: `Bearer ${tokens.get(role)}`, accept: 'application/json' } });
        for (const [via, response] of [['session', viaSession], ['token', viaToken]] as const) {
          const what = `${route.method} ${route.path} as ${role} via ${via}`;
          if (route.roles!.includes(role)) expect([401, 403], what).not.toContain(response.status);
          else {
            expect(response.status, what).toBe(403);
            expect(await response.json()).toMatchObject({ error: 'forbidden' });
          }
        }
      }
    }
  });

  it('keeps webhooks on their signatures: no session asked for', async () => {
    const response = await request('/webhooks/github/nope', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'not_found' });
  });

  it('signs in a user made by `user add` with its password, and its API token works once shown', async () => {
    const added = await runCli(['user', 'add', 'Boss@Example.com', '--role', 'manager', '--password-stdin', '--token'], { stdin: 'a long enough passphrase\n', database: handle });
    expect(added.code).toBe(0);
    expect(added.stderr).toContain('user boss@example.com added as manager');
    const token = added.stdout.trim();
    expect(token).toMatch(/^sla_[A-Za-z0-9_-]{43}$/);
    // Stored: a scrypt hash of the password and the SHA-256 of the token, never either secret.
    const [row] = await handle.db.select().from(users).where(eq(users.email, 'boss@example.com'));
    expect(row!.passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(row!.passwordHash).not.toContain('passphrase');
    const [stored] = await handle.db.select().from(apiTokens).where(eq(apiTokens.userId, row!.id));
    expect(stored!.tokenHash).toBe(secretDigest(token));
    const me = await request('/api/me', { headers: { authorization: `Bearer ${token}` } });
    expect(await me.json()).toMatchObject({ email: 'boss@example.com', role: 'manager', via: 'token' });
    const session = await signIn('boss@example.com', 'a long enough passphrase');
    expect(session.response.headers.get('location')).toBe('/');
    expect(await (await request('/api/me', { headers: { cookie: session.cookie } })).json()).toMatchObject({ email: 'boss@example.com', via: 'session' });
    // An API-only user has no password: the form refuses it like a wrong one.
    const apiOnly = await runCli(['user', 'add', 'robot@example.com', '--role', 'agent', '--token'], { database: handle });
    expect(apiOnly.code).toBe(0);
    expect((await tryPassword('robot@example.com', '')).status).toBe(400);
    expect((await tryPassword('robot@example.com', 'anything at all')).status).toBe(401);
  });

  it('refuses bad `user add` input with exit code 2, naming the field, and stores nothing', async () => {
    const before = (await handle.db.select({ n: count() }).from(users))[0]!.n;
    const cases: [string[], string, string][] = [
      [['user', 'add', 'not-an-email', '--role', 'agent', '--token'], '', 'email: "not-an-email" is not an e-mail address'],
      [['user', 'add', 'x@example.com', '--role', 'owner', '--token'], '', '--role: "owner" is not one of admin, manager, agent'],
      [['user', 'add', 'x@example.com', '--role', 'agent'], '', 'give --password-stdin'],
      [['user', 'add', 'x@example.com', '--role', 'agent', '--password-stdin'], 'short\n', 'password (stdin): is shorter than 12 characters'],
      [['user', 'add', 'admin@example.com', '--role', 'agent', '--token'], '', 'email: a user "admin@example.com" already exists'],
      [['user', 'add', 'x@example.com'], '', "required option '--role <role>' not specified"],
    ];
    for (const [args, stdin, message] of cases) {
      const result = await runCli(args, { stdin, database: handle });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(message);
    }
    expect((await handle.db.select({ n: count() }).from(users))[0]!.n).toBe(before);
  });

  it('sets session cookies httpOnly and SameSite=Lax, Secure behind https, and security headers', async () => {
    const { response } = await signIn('agent@example.com');
    const cookie = cookieOf(response, 'sla_session')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    const behindHttps = await request('/signin', { headers: { 'x-forwarded-proto': 'https' } });
    expect(cookieOf(behindHttps, 'sla_signin_csrf')).toMatch(/; Secure/);
    const headers = behindHttps.headers;
    expect(headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(headers.get('x-powered-by')).toBeNull();
  });

  it('expires sessions and ends them on sign-out', async () => {
    const session = await signIn('agent@example.com');
    expect((await request('/api/me', { headers: { cookie: session.cookie } })).status).toBe(200);
    const signOut = await request('/signout', { method: 'POST', headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${encodeURIComponent(session.csrf)}` });
    expect(signOut.status).toBe(303);
    expect(cookieOf(signOut, 'sla_session')).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect((await request('/api/me', { headers: { cookie: session.cookie } })).status).toBe(401);
    // Signing in again from a browser that has a session ends that session.
    const first = await signIn('agent@example.com');
    const ip = newIp();
    const form = await signInForm(ip);
    const again = await postSignIn({ _csrf: form.token, email: 'agent@example.com', password: PASSWORD }, { ip, cookie: `${form.cookie}; ${first.cookie}` });
    expect(again.status).toBe(303);
    expect((await request('/api/me', { headers: { cookie: first.cookie } })).status).toBe(401);
    const later = await signIn('agent@example.com');
    clock += 3600_000; // the session's lifetime
    expect((await request('/api/me', { headers: { cookie: later.cookie } })).status).toBe(401);
  });

  it('refuses form POSTs without the CSRF token or with a wrong one (403), storing nothing', async () => {
    const session = await signIn('admin@example.com');
    const sessionsBefore = await countOf(sessions);
    const form = { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' };
    for (const body of ['', '_csrf=wrong', `_csrf=${encodeURIComponent(newSecret())}`]) {
      const refused = await request('/signout', { method: 'POST', headers: form, body });
      expect(refused.status, `body ${body}`).toBe(403);
      expect(await refused.json()).toMatchObject({ error: 'csrf_failed' });
    }
    // The session is still there and still works.
    expect(await countOf(sessions)).toBe(sessionsBefore);
    expect((await request('/api/me', { headers: { cookie: session.cookie } })).status).toBe(200);
    // The header works as well as the field (for a page's scripts).
    expect((await request('/signout', { method: 'POST', headers: { ...form, 'x-csrf-token': session.csrf } })).status).toBe(303);

    // The sign-in form: no token, a token without its cookie, a cookie with another token.
    const failuresBefore = await countOf(signInFailures);
    const sessionsNow = await countOf(sessions);
    const ip = newIp();
    const good = await signInForm(ip);
    const other = await signInForm(ip);
    const fields = { email: 'admin@example.com', password: PASSWORD };
    for (const [what, response] of [
      ['no token', await postSignIn(fields, { ip, cookie: good.cookie })],
      ['no cookie', await postSignIn({ ...fields, _csrf: good.token }, { ip })],
      ['another form\'s token', await postSignIn({ ...fields, _csrf: other.token }, { ip, cookie: good.cookie })],
    ] as const) {
      expect(response.status, what).toBe(403);
      expect(cookieOf(response, 'sla_session'), what).toBeUndefined();
    }
    expect(await countOf(sessions)).toBe(sessionsNow);
    expect(await countOf(signInFailures)).toBe(failuresBefore);
    // Bearer requests carry no ambient credential: no CSRF token asked.
    const { secret } = await tokenFor('agent');
    expect((await request('/signout', { method: 'POST', headers: { authorization: `Bearer ${secret}` } })).status).toBe(303);
  });

  it('refuses a wrong password, then rate-limits the account with 429 and Retry-After', async () => {
    clock += WINDOW_MS;
    const wrong = await tryPassword('manager@example.com', 'not the password');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Wrong e-mail or password.');
    expect(cookieOf(wrong, 'sla_session')).toBeUndefined();
    // An unknown address is refused the same way (no hint that the account exists).
    const unknown = await tryPassword('nobody@example.com', 'not the password');
    expect(unknown.status).toBe(401);
    expect(await unknown.text()).toContain('Wrong e-mail or password.');
    clock += 60_000;
    await tryPassword('manager@example.com', 'still wrong');
    await tryPassword('MANAGER@example.com', 'wrong again'); // the same account, however spelled
    // Three failures: the account is locked for the rest of the window, even with the right password
    // and from another address.
    const limited = await tryPassword('manager@example.com', PASSWORD);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBe((WINDOW_MS - 60_000) / 1000);
    expect(cookieOf(limited, 'sla_session')).toBeUndefined();
    clock += WINDOW_MS - 60_000;
    // The first failure has aged out: two left in the window, one try allowed; the right password works.
    expect((await tryPassword('manager@example.com', PASSWORD)).status).toBe(303);
    // Other accounts were never limited.
    expect((await tryPassword('agent@example.com', PASSWORD)).status).toBe(303);
  });

  it('rate-limits one address that tries many accounts', async () => {
    clock += WINDOW_MS;
    const ip = newIp();
    for (let i = 0; i < 5; i++) expect((await tryPassword(`spray${i}@example.com`, 'guess', ip)).status).toBe(401);
    const limited = await tryPassword('admin@example.com', PASSWORD, ip);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another address signs in to the same account.
    expect((await tryPassword('admin@example.com', PASSWORD, newIp())).status).toBe(303);
  });

  it('authenticates API tokens; an unknown, malformed or revoked one is 401', async () => {
    const { secret, id } = await tokenFor('agent');
    const me = await request('/api/me', { headers: { authorization: `Bearer ${secret}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ email: 'agent@example.com', role: 'agent', via: 'token' });
    expect(me.headers.get('set-cookie')).toBeNull();
    for (const header of [`Bearer ${newSecret('sla_')}`, 'Bearer', `Basic ${Buffer.from('a:b').toString('base64')}`]) {
      const refused = await request('/api/me', { headers: { authorization: header } });
      expect(refused.status, header).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain('invalid_token');
    }
    // A bad token is refused even alongside a valid session cookie.
    const session = await signIn('agent@example.com');
    expect((await request('/api/me', { headers: { authorization: 'Bearer nope', cookie: session.cookie } })).status).toBe(401);
    expect(await revokeApiToken(handle.db, id, new Date(clock))).toBe(true);
    expect((await request('/api/me', { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);
  });

  it('redirects after sign-in to a local path only', async () => {
    const ip = newIp();
    for (const [next, location] of [['/api/me', '/api/me'], ['//evil.example/x', '/'], ['https://evil.example/', '/']] as const) {
      const form = await signInForm(ip);
      const response = await postSignIn({ _csrf: form.token, email: 'agent@example.com', password: PASSWORD }, { ip, cookie: form.cookie, query: `?next=${encodeURIComponent(next)}` });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(location);
    }
  });
});
