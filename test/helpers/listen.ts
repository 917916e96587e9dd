// A real HTTP server for the app on a free loopback port, for tests that call it with fetch or a browser.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export async function listenOnLoopback(app: Express): Promise<{ server: Server; base: string }> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * Signs in through the real form (its pre-session CSRF cookie and token, then POST /signin) and
 * returns the session cookie and the session's CSRF token, as a browser would hold them.
 */
export async function signInOverHttp(base: string, email: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const cookieOf = (response: Response, name: string) => response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`))?.split(';')[0];
  const form = await fetch(`${base}/signin`, { redirect: 'manual' });
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  const formCookie = cookieOf(form, 'sla_signin_csrf');
  if (!token || !formCookie) throw new Error(`GET /signin gave no form token (HTTP ${form.status})`);
  const response = await fetch(`${base}/signin`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: formCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, email, password }).toString(),
  });
  const cookie = cookieOf(response, 'sla_session');
  if (response.status !== 303 || !cookie) throw new Error(`signing in as ${email} answered HTTP ${response.status}`);
  const me = (await (await fetch(`${base}/api/me`, { headers: { cookie } })).json()) as { csrfToken: string };
  return { cookie, csrf: me.csrfToken };
}
