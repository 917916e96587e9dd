// The agents' case view (issue 7): GET /api/cases/:id/sla gives each clock live at now with the
// business intervals ahead of it (so a browser ticks in business time), the pause reason, the
// calendar in words and the agreement; GET /cases/:id shows it with the explanation.
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/store/api-tokens-repo.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { createUser } from '../../src/store/users-repo.ts';
import type { CaseSlaView } from '../../src/sync/case-sla.ts';
import { createApp } from '../../src/web/app.ts';
import { newSecret, secretDigest } from '../../src/web/auth/tokens.ts';
import { storeBackends } from '../helpers/db.ts';
import { seedCase, seedGithubConnection } from '../helpers/seed-case.ts';
import { listenOnLoopback } from '../helpers/listen.ts';

// Monday 2026-11-30, 10:00 UTC = 11:00 in Berlin.
const NOW = Date.parse('2026-11-30T10:00:00Z');
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

describe.each(storeBackends())('case view on $name', (backend) => {
  let handle: DatabaseHandle;
  let server: Server;
  let base = '';
  let token = '';
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    handle = await backend.open();
    await seedGithubConnection(handle);
    // S1, 24x7: created 30 minutes ago, no reply yet.
    ids['running'] = (await seedCase(handle, { number: 1, priority: 'P1', nowMs: NOW, events: [{ at: iso(NOW - 30 * MIN), type: 'created', status: 'open', rawPriority: 'P1' }] })).id;
    // S3, Berlin office hours: created at 10:00 Berlin (09:00Z), replied, then pending since 09:30Z.
    ids['paused'] = (
      await seedCase(handle, {
        number: 2,
        priority: 'P3',
        nowMs: NOW,
        status: 'pending',
        events: [
          { at: iso(NOW - 60 * MIN), type: 'created', status: 'open', rawPriority: 'P3' },
          { at: iso(NOW - 45 * MIN), type: 'agent_reply' },
          { at: iso(NOW - 30 * MIN), type: 'status', status: 'pending' },
        ],
      })
    ).id;
    // S3 still open: resolution counts in business hours.
    ids['office'] = (await seedCase(handle, { number: 3, priority: 'P3', nowMs: NOW, events: [{ at: iso(NOW - 60 * MIN), type: 'created', status: 'open', rawPriority: 'P3' }] })).id;
    // S1 created 5 hours ago with no reply: both clocks breached.
    ids['breached'] = (await seedCase(handle, { number: 4, priority: 'P1', nowMs: NOW, events: [{ at: iso(NOW - 300 * MIN), type: 'created', status: 'open', rawPriority: 'P1' }] })).id;
    const user = (await createUser(handle.db, { email: 'agent@example.com', role: 'agent', passwordHash: null }))!;
    token = newSecret('sla_');
    await createApiToken(handle.db, { userId: user.id, tokenHash: secretDigest(token), prefix: token.slice(0, 10) });
    const app = createApp({ handle, enqueueRefreshes: async () => {}, now: () => NOW });
    ({ server, base } = await listenOnLoopback(app));
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await handle?.close();
  });

  const get = (path: string) => fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
  const view = async (name: string) => {
    const response = await get(`/api/cases/${ids[name]}/sla`);
    expect(response.status).toBe(200);
    return (await response.json()) as CaseSlaView;
  };

  it('gives a running 24x7 clock with one interval ahead and its at-risk and due instants', async () => {
    const v = await view('running');
    expect(v.case).toMatchObject({ externalKey: 'acme/app#1', severity: 'S1', status: 'open', connection: 'gh' });
    expect(v).toMatchObject({ policy: 'view-policy', customer: null, rule: null, evaluatedAt: iso(NOW), explainUrl: `/cases/${ids['running']}#explain` });
    const [fr, res] = v.metrics;
    expect(fr).toMatchObject({ metric: 'firstResponse', label: 'First response', state: 'running', severity: 'S1', remainingSeconds: 1800, dueAt: iso(NOW + 30 * MIN), atRiskAt: iso(NOW + 15 * MIN), calendar: '24x7', timezone: 'UTC', pauseReason: null });
    expect(fr!.ticking).toEqual([[NOW, NOW + 14 * 86_400_000]]);
    expect(res).toMatchObject({ metric: 'resolution', state: 'running', remainingSeconds: 210 * 60, dueAt: iso(NOW + 210 * MIN) });
  });

  it('says why a paused clock stands still and sends no intervals for it', async () => {
    const v = await view('paused');
    const [fr, res] = v.metrics;
    expect(fr).toMatchObject({ state: 'met', completedAt: iso(NOW - 45 * MIN), ticking: null });
    expect(res).toMatchObject({ state: 'paused', pauseReason: 'waiting on the requester (pending)', ticking: null, remainingSeconds: 1440 * 60 - 30 * 60 });
    expect(res!.calendar).toBe('Mon–Fri 09:00–17:00 (Europe/Berlin), 1 holiday');
    expect(res!.timezone).toBe('Europe/Berlin');
  });

  it('sends business intervals for a clock on office hours: today until 17:00 Berlin, then each working day', async () => {
    const res = (await view('office')).metrics[1]!;
    expect(res).toMatchObject({ state: 'running', elapsedSeconds: 3600, remainingSeconds: 23 * 3600 });
    const day = (d: string, from: string, to: string) => [Date.parse(`${d}T${from}Z`), Date.parse(`${d}T${to}Z`)];
    expect(res.ticking!.slice(0, 4)).toEqual([day('2026-11-30', '10:00', '16:00'), day('2026-12-01', '08:00', '16:00'), day('2026-12-02', '08:00', '16:00'), day('2026-12-03', '08:00', '16:00')]);
    // 23 business hours left: 6 today, 8 Tuesday, 8 Wednesday, 1 Thursday -> due Thursday 09:00Z.
    expect(res.dueAt).toBe('2026-12-03T09:00:00Z');
  });

  it('gives a breached clock with the instant it breached', async () => {
    const [fr, res] = (await view('breached')).metrics;
    expect(fr).toMatchObject({ state: 'breached', breachedAt: iso(NOW - 240 * MIN), completedAt: null });
    expect(res).toMatchObject({ state: 'breached', breachedAt: iso(NOW - 60 * MIN) });
  });

  it('shows the case page with the countdown source and every clock change', async () => {
    const response = await get(`/cases/${ids['paused']}`);
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain(`data-sla-src="/api/cases/${ids['paused']}/sla"`);
    expect(page).toContain('<script src="/assets/sla-countdown.js" defer></script>');
    expect(page).toContain('the connection’s default policy (no rule matched)');
    expect(page).toMatch(/<td>status pending<\/td><td>Resolution paused/);
    expect(page).toContain('Resolution: <span class="state-paused">paused</span>');
  });

  it('lists the open clocks that are breached or at risk on the home page, linking to each case page', async () => {
    const response = await get('/');
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('2 open clocks are breached or at risk');
    const links = [...page.matchAll(/<td><a href="\/cases\/(\d+)">([^<]+)<\/a>/g)].map((m) => [Number(m[1]), m[2]]);
    expect(links).toEqual([
      [ids['breached'], 'acme/app#4'],
      [ids['breached'], 'acme/app#4'],
    ]);
    expect(page).toContain('<span class="lozenge state-breached">breached</span>');
    // Agents get no links to reports or admin.
    expect(page).not.toContain('href="/reports"');
  });

  it('refuses a bad id with 400 and an unknown one with 404', async () => {
    expect((await get('/api/cases/abc/sla')).status).toBe(400);
    const missing = await get('/api/cases/999999/sla');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found' });
    expect((await get('/cases/999999')).status).toBe(404);
  });
});
