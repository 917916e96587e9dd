// The home page and the sign-in form send a fresh install to /setup (routes/setup.ts). Nothing
// deletes users, so once the store has answered "someone has an account" they stop asking it: after
// the first admin is set up, or after the first yes for a user added another way (`sla-sync user
// add`). /setup itself still asks every time. hasUsers is spied on (calling through) to count the
// users queries; on a real express app on a free port, called with fetch.
import type { Server } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { createUser, hasUsers } from '../../src/store/users-repo.ts';
import { createApp } from '../../src/web/app.ts';
import { storeBackends } from '../helpers/db.ts';
import { listenOnLoopback } from '../helpers/listen.ts';

vi.mock(import('../../src/store/users-repo.ts'), { spy: true });

const PASSWORD = 'first admin passphrase';

describe.each(storeBackends())('the fresh-install check of / and /signin on $name', (backend) => {
  const opened: { handle: DatabaseHandle; server: Server }[] = [];
  afterEach(async () => {
    for (const { handle, server } of opened.splice(0)) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await handle.close();
    }
  });

  async function start() {
    const handle = await backend.open();
    const { server, base } = await listenOnLoopback(createApp({ handle, enqueueRefreshes: async () => {} }));
    opened.push({ handle, server });
    const request = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { redirect: 'manual', ...init, headers: { accept: 'text/html', ...init.headers } });
    /** How often the users table was asked about, for this store only. */
    const usersQueries = () => vi.mocked(hasUsers).mock.calls.filter(([db]) => db === handle.db).length;
    return { handle, request, usersQueries };
  }

  it('leads a fresh store to /setup on every visit, then stops asking once setup has made the first admin', async () => {
    const { request, usersQueries } = await start();
    for (const path of ['/', '/signin', '/', '/signin']) {
      const response = await request(path);
      expect(response.status, path).toBe(303);
      expect(response.headers.get('location'), path).toBe('/setup');
    }
    expect(usersQueries()).toBe(4);

    const form = await request('/setup');
    const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const cookie = form.headers.getSetCookie().find((c) => c.startsWith('sla_setup_csrf='))!.split(';')[0]!;
    const done = await request('/setup', {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token, email: 'admin@acme.example', password: PASSWORD, passwordConfirm: PASSWORD }).toString(),
    });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/admin/connections/new');

    const before = usersQueries();
    expect((await request('/signin')).status).toBe(200);
    // Anonymous at the home page: the sign-in-required page, not /setup.
    expect((await request('/')).status).toBe(401);
    expect((await request('/signin')).status).toBe(200);
    expect(usersQueries() - before).toBe(0);
    // /setup still asks the store, and only redirects.
    const again = await request('/setup');
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe('/signin');
    expect(usersQueries() - before).toBe(1);
  });

  it('asks once more after a user is added another way, then no more', async () => {
    const { handle, request, usersQueries } = await start();
    expect((await request('/signin')).headers.get('location')).toBe('/setup');
    await createUser(handle.db, { email: 'admin@acme.example', role: 'admin', passwordHash: null });
    const before = usersQueries();
    for (const path of ['/signin', '/', '/signin', '/']) expect((await request(path)).status, path).toBe(path === '/' ? 401 : 200);
    expect(usersQueries() - before).toBe(1);
  });

  it('keeps the answer per store: another fresh store still goes to /setup', async () => {
    const first = await start();
    await createUser(first.handle.db, { email: 'admin@acme.example', role: 'admin', passwordHash: null });
    expect((await first.request('/signin')).status).toBe(200);
    const fresh = await start();
    const response = await fresh.request('/');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/setup');
  });
});
