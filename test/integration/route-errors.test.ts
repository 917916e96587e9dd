// Errors out of async route handlers (Express 5 passes a rejected handler's error to `next` by
// itself; the routes carry no try/catch of their own): each area's expected failures and a bug all
// reach the app's error handler (src/web/errors.ts) and answer its JSON, never a hang and never
// express's default HTML page. An error the handler maps to a 4xx (a case whose connection has no
// policy: 409, mapped there once for every route) still answers it. On a real express app on a free
// port, called with fetch.
import type { Server } from 'node:http';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { connections } from '../../src/store/schema/index.ts';
import { createUser } from '../../src/store/users-repo.ts';
import { createApp } from '../../src/web/app.ts';
import { hashPassword } from '../../src/web/auth/passwords.ts';
import { storeBackends } from '../helpers/db.ts';
import { listenOnLoopback, signInOverHttp } from '../helpers/listen.ts';
import { seedCase, seedGithubConnection } from '../helpers/seed-case.ts';

const NOW = Date.parse('2026-11-30T10:00:00Z');
const PASSWORD = 'correct horse battery staple';
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

describe.each(storeBackends())('errors of async routes on $name', (backend) => {
  let handle: DatabaseHandle;
  let server: Server;
  let base = '';
  let admin = { cookie: '', csrf: '' };
  let caseId = 0;

  beforeAll(async () => {
    handle = await backend.open();
    await seedGithubConnection(handle);
    caseId = (await seedCase(handle, { number: 1, priority: 'P1', nowMs: NOW, events: [{ at: iso(NOW - 30 * 60_000), type: 'created', status: 'open', rawPriority: 'P1' }] })).id;
    await createUser(handle.db, { email: 'admin@example.com', role: 'admin', passwordHash: await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 }) });
    ({ server, base } = await listenOnLoopback(createApp({ handle, enqueueRefreshes: async () => {}, now: () => NOW })));
    admin = await signInOverHttp(base, 'admin@example.com', PASSWORD);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await handle?.close();
  });

  const get = (path: string) => fetch(`${base}${path}`, { redirect: 'manual', headers: { cookie: admin.cookie } });
  const post = (path: string, fields: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...fields, _csrf: admin.csrf }).toString(),
    });

  /** The status and the JSON body of the app's error handler (and that it is JSON at all). */
  async function errorOf(response: Response) {
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it.each([
    // HttpErrors thrown after an await, in each area whose handlers lost their try/catch.
    ['the admin pages', () => get('/admin/connections/4242'), 404, { error: 'not_found', message: 'no connection with id 4242' }],
    ['the admin agreement pages', () => get('/admin/rules/4242'), 404, { error: 'not_found', message: 'no rule with id 4242' }],
    ['the reports', () => get('/api/reports/trend?from=2026-11-01&to=2026-10-01'), 400, { error: 'bad_request' }],
    ['the share links', () => post('/reports/share-links/4242/revoke'), 404, { error: 'not_found', message: 'no share link with id 4242' }],
    ['the case views', () => get('/api/cases/4242/sla'), 404, { error: 'not_found', message: 'no case with id 4242' }],
    ['the explain API', () => get('/api/cases/4242/explain'), 404, { error: 'not_found', message: 'no case with id 4242' }],
    ['the Jira Connect JWT check', () => fetch(`${base}/jira/panel?issueId=1`), 401, { error: 'unauthenticated' }],
    ['the Jira site links', () => post('/jira/tenants/no-such-site/link', { connection: '' }), 404, { error: 'not_found', message: 'no Jira site with that clientKey' }],
  ])('answers an error thrown in %s with its status and JSON', async (_area, call, status, body) => {
    const answer = await errorOf(await call());
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject(body);
  });

  it('still answers 409 no_policy for a case whose connection has no policy (the error handler maps it)', async () => {
    await handle.db.update(connections).set({ policyId: null });
    try {
      for (const path of [`/api/cases/${caseId}/sla`, `/api/cases/${caseId}/explain`, `/cases/${caseId}`]) {
        const answer = await errorOf(await get(path));
        expect(answer, path).toEqual({ status: 409, body: { error: 'no_policy', message: 'connection "gh" has no policy' } });
      }
    } finally {
      await handle.db.execute(sql`update connections set policy_id = (select id from policies where name = 'view-policy')`);
    }
  });

  it('answers a bug in an async handler (a query that fails) with 500 and the JSON error, logging it', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await handle.db.execute(sql`alter table share_links rename to share_links_away`);
      try {
        const answer = await errorOf(await get('/reports/share-links'));
        expect(answer).toEqual({ status: 500, body: { error: 'internal', message: 'internal error' } });
      } finally {
        await handle.db.execute(sql`alter table share_links_away rename to share_links`);
      }
      expect(logged).toHaveBeenCalledTimes(1);
      // The page works again: nothing was left half-answered.
      expect((await get('/reports/share-links')).status).toBe(200);
    } finally {
      logged.mockRestore();
    }
  });
});
