// The one-command demo (issue 6, item 4): its seeding, config, sync and writeback run in process on
// in-memory PGlite against the loopback fakes, with real outcomes asserted (cases of every source
// and severity, met / breached / at risk, labels and tags at the vendors, a compliance report per
// source); and `scripts/demo.ts` itself starts, prints its URL and sign-ins, serves, and stops on SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEVERITIES } from '../../src/core/types.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { migrateDatabase, openDatabase } from '../../src/store/db.ts';
import { cases, connections, customers, metricStates, users } from '../../src/store/schema/index.ts';
import { complianceReport } from '../../src/sync/report.ts';
import { verifyPassword } from '../../src/web/auth/passwords.ts';
import type { DemoFakes, SyncAndWritebackResult } from '../../scripts/demo/prepare.ts';
import { applyDemoConfig, createDemoUsers, startDemoFakes, syncAndWriteBack } from '../../scripts/demo/prepare.ts';
import { generateDemoWorlds } from '../../scripts/demo/worlds.ts';

const END = Date.parse('2026-11-27T15:00:00Z');
const DAY = 86_400_000;
const TICKETS = { jira: 70, zendesk: 70, github: 50 };
/** Three tickets per tool are opened just before the end, at risk. */
const JUST_NOW = 3;
const ROOT = path.resolve(import.meta.dirname, '../..');

describe('the demo seeding, config, sync and writeback', () => {
  let handle: DatabaseHandle;
  let fakes: DemoFakes;
  let result: SyncAndWritebackResult;

  beforeAll(async () => {
    handle = await openDatabase({ memory: true });
    await migrateDatabase(handle);
    fakes = await startDemoFakes({ seed: 7, endMs: END, tickets: TICKETS });
    await applyDemoConfig(handle, fakes, END);
    result = await syncAndWriteBack(handle, () => END);
  }, 180_000);
  afterAll(async () => {
    await fakes?.close();
    await handle?.close();
  });

  type Row = { source: string; externalId: string; status: string; customer: string | null; metric: string; state: string; severity: string; completedAt: Date | null };
  const rows = async (): Promise<Row[]> =>
    handle.db
      .select({ source: connections.source, externalId: cases.externalId, status: cases.status, customer: customers.name, metric: metricStates.metric, state: metricStates.state, severity: metricStates.severity, completedAt: metricStates.completedAt })
      .from(metricStates)
      .innerJoin(cases, eq(cases.id, metricStates.caseId))
      .innerJoin(connections, eq(connections.id, cases.connectionId))
      .leftJoin(customers, eq(customers.id, cases.customerId));

  it('seeds a deterministic quarter ending at the given instant', () => {
    const a = generateDemoWorlds({ seed: 7, endMs: END, tickets: TICKETS });
    const b = generateDemoWorlds({ seed: 7, endMs: END, tickets: TICKETS });
    const c = generateDemoWorlds({ seed: 8, endMs: END, tickets: TICKETS });
    const zendesk = (w: typeof a) => JSON.stringify([...w.zendesk.tickets.values()]);
    const jira = (w: typeof a) => JSON.stringify(w.jira.issues.map((i) => ({ ...i, project: i.project.key, properties: [...i.properties] })));
    expect(zendesk(a)).toBe(zendesk(b));
    expect(jira(a)).toBe(jira(b));
    expect(zendesk(a)).not.toBe(zendesk(c));
    const created = [
      ...a.jira.issues.map((i) => i.created),
      ...[...a.zendesk.tickets.values()].map((t) => Date.parse(t.createdAt)),
      ...[...a.github.repos.values()].flatMap((r) => r.issues.map((i) => Date.parse(i.createdAt))),
    ];
    expect(created.length).toBe(TICKETS.jira + TICKETS.zendesk + TICKETS.github + 3 * JUST_NOW);
    // A quarter, ending at the end: nothing later, the earliest about 90 days before.
    expect(Math.max(...created)).toBeLessThan(END);
    expect(Math.min(...created)).toBeGreaterThan(END - 92 * DAY);
    expect(Math.min(...created)).toBeLessThan(END - 80 * DAY);
  });

  it('syncs every ticket of every tool, the fakes never seeing a bad request', async () => {
    const byConnection = Object.fromEntries(result.syncs.map((s) => [s.connection, s.cases]));
    expect(byConnection).toEqual({
      'jira-support': fakes.jira.world.issues.length,
      'zendesk-main': fakes.zendesk.world.tickets.size,
      'github-support': [...fakes.github.world.repos.values()].reduce((n, r) => n + r.issues.length, 0),
    });
    expect(byConnection['jira-support']).toBe(TICKETS.jira + JUST_NOW);
    expect(fakes.jira.violations).toEqual([]);
    expect(fakes.zendesk.violations).toEqual([]);
    expect(fakes.github.violations).toEqual([]);
  });

  it('stores cases of every source and severity: met, breached, at risk, paused and open ones', async () => {
    const all = await rows();
    for (const source of ['jira', 'zendesk', 'github']) {
      const mine = all.filter((r) => r.source === source);
      const resolution = mine.filter((r) => r.metric === 'resolution');
      expect(new Set(resolution.map((r) => r.severity)), source).toEqual(new Set(SEVERITIES));
      const states = (metric: string) => new Set(mine.filter((r) => r.metric === metric).map((r) => r.state));
      for (const state of ['met', 'breached', 'at_risk']) expect(states('resolution').has(state) || states('firstResponse').has(state), `${source} ${state}`).toBe(true);
      expect(states('firstResponse').has('met') && states('resolution').has('met'), source).toBe(true);
      // Open tickets (some still running), and more met than breached: a realistic quarter.
      expect(resolution.filter((r) => r.completedAt === null).length, source).toBeGreaterThan(JUST_NOW);
      const count = (state: string) => resolution.filter((r) => r.state === state).length;
      expect(count('met'), source).toBeGreaterThan(3 * count('breached'));
    }
    // The tickets opened just now are at risk on both S1 clocks.
    const atRisk = all.filter((r) => r.state === 'at_risk');
    expect(atRisk.filter((r) => r.severity === 'S1' && r.metric === 'resolution').length).toBeGreaterThanOrEqual(6);
    expect(atRisk.filter((r) => r.severity === 'S1' && r.metric === 'firstResponse').length).toBeGreaterThanOrEqual(3);
    expect(all.some((r) => r.state === 'paused')).toBe(true);
    // Every internal customer has cases, and Finance's come from all three tools.
    const customerSources = (name: string) => new Set(all.filter((r) => r.customer === name).map((r) => r.source));
    expect(customerSources('Finance')).toEqual(new Set(['jira', 'zendesk', 'github']));
    expect(customerSources('Marketing').size).toBe(3);
    expect(customerSources('Platform')).toEqual(new Set(['jira']));
  });

  it('wrote the SLA back: every open breached or at-risk ticket carries its label or tag at its vendor', async () => {
    expect(result.writebacks.written).toBeGreaterThan(10);
    expect(result.writebacks.calls).toBeGreaterThanOrEqual(result.writebacks.written);
    const open = (await rows()).filter((r) => r.status !== 'solved' && r.status !== 'closed');
    const marks = { jira: ['sla-breached', 'sla-at-risk'], zendesk: ['sla_breached', 'sla_at_risk'], github: ['sla: breached', 'sla: at risk'] } as const;
    const labelsAt = (source: string, externalId: string): string[] => {
      if (source === 'jira') return fakes.jira.world.issue(externalId)!.labels;
      if (source === 'zendesk') return fakes.zendesk.world.tickets.get(Number(externalId))!.tags;
      return [...fakes.github.world.repos.values()].flatMap((r) => r.issues).find((i) => String(i.id) === externalId)!.labels;
    };
    let checked = 0;
    for (const source of ['jira', 'zendesk', 'github'] as const) {
      const mine = open.filter((r) => r.source === source);
      for (const [state, mark] of [['breached', marks[source][0]], ['at_risk', marks[source][1]]] as const) {
        const ids = new Set(mine.filter((r) => r.state === state).map((r) => r.externalId));
        expect(ids.size, `${source} ${state}`).toBeGreaterThan(0);
        for (const id of ids) expect(labelsAt(source, id), `${source} ${id} ${state}`).toContain(mark);
        checked += ids.size;
      }
      // And no ticket that is neither carries a mark.
      const marked = new Set(mine.filter((r) => r.state === 'breached' || r.state === 'at_risk').map((r) => r.externalId));
      for (const r of mine) if (!marked.has(r.externalId)) expect(labelsAt(source, r.externalId).filter((l) => (marks[source] as readonly string[]).includes(l)), `${source} ${r.externalId}`).toEqual([]);
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('reports compliance for every source, with the numbers the store holds', async () => {
    const report = await complianceReport(handle.db, { fromMs: END - 92 * DAY, toMs: END + 60_000, groupBy: 'source' });
    expect(new Set(report.rows.map((r) => r.group))).toEqual(new Set(['jira', 'zendesk', 'github']));
    const all = await rows();
    for (const source of ['jira', 'zendesk', 'github']) {
      for (const metric of ['firstResponse', 'resolution'] as const) {
        const total = report.rows.find((r) => r.group === source && r.metric === metric && r.severity === 'all')!;
        const completed = all.filter((r) => r.source === source && r.metric === metric && r.completedAt !== null);
        expect(total.completed, `${source} ${metric}`).toBe(completed.length);
        expect(total.met, `${source} ${metric}`).toBe(completed.filter((r) => r.state === 'met').length);
        expect(total.breached, `${source} ${metric}`).toBe(completed.filter((r) => r.state === 'breached').length);
        expect(total.completed).toBeGreaterThan(20);
      }
    }
    // Some severities pass their objective and some fail, as in a real quarter.
    const bySeverity = await complianceReport(handle.db, { fromMs: END - 92 * DAY, toMs: END + 60_000, groupBy: 'severity' });
    const verdicts = new Set(bySeverity.rows.filter((r) => r.severity !== 'all').map((r) => r.pass));
    expect(verdicts).toEqual(new Set([true, false]));
  });

  it('creates an admin, a manager and an agent whose printed passwords sign in', async () => {
    const created = await createDemoUsers(handle, { scrypt: { N: 1024, r: 8, p: 1 } });
    expect(created.map((u) => [u.email, u.role])).toEqual([
      ['admin@demo.example', 'admin'],
      ['manager@demo.example', 'manager'],
      ['agent@demo.example', 'agent'],
    ]);
    const stored = await handle.db.select().from(users);
    expect(stored.length).toBe(3);
    for (const user of created) {
      expect(user.password.length).toBeGreaterThanOrEqual(12);
      const row = stored.find((r) => r.email === user.email)!;
      expect(row.role).toBe(user.role);
      expect(await verifyPassword(user.password, row.passwordHash!)).toBe(true);
    }
  });
});

describe('scripts/demo.ts', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sla-demo-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function startDemo(dataDir: string) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--port', '0', '--data-dir', dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, exited, out: () => stdout, err: () => stderr };
  }

  it('starts, prints the URL and the sign-ins, serves, and stops cleanly on SIGTERM', async () => {
    const dataDir = tempDir();
    const demo = startDemo(dataDir);
    try {
      const deadline = Date.now() + 240_000;
      while (!demo.out().includes('Ctrl-C stops the demo') && Date.now() < deadline) {
        if (demo.child.exitCode !== null) throw new Error(`the demo exited early: ${demo.err()}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const out = demo.out();
      const url = /sla-sync demo ready in [\d.]+ s: (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      expect(url, out + demo.err()).toBeDefined();
      const password = /as admin@demo\.example with password (\S+)/.exec(out)![1]!;
      expect(out).toMatch(/or as manager@demo\.example \(manager\) with password \S{12,}/);
      expect(out).toMatch(/or as agent@demo\.example \(agent\) with password \S{12,}/);
      expect(out).toMatch(/Synced jira-support \d+, zendesk-main \d+, github-support \d+ cases/);

      const health = await fetch(`${url}/healthz`);
      expect(await health.json()).toEqual({ ok: true, database: 'pglite' });
      // The printed sign-in works; /setup is closed (users exist).
      const form = await fetch(`${url}/signin`);
      const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
      const cookie = form.headers.getSetCookie()[0]!.split(';')[0]!;
      const signIn = await fetch(`${url}/signin`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ _csrf: token, email: 'admin@demo.example', password }).toString(),
      });
      expect(signIn.status).toBe(303);
      const session = signIn.headers.getSetCookie().find((c) => c.startsWith('sla_session='))!.split(';')[0]!;
      const me = await fetch(`${url}/api/me`, { headers: { cookie: session } });
      expect(await me.json()).toMatchObject({ email: 'admin@demo.example', role: 'admin' });
      expect((await fetch(`${url}/setup`, { redirect: 'manual' })).headers.get('location')).toBe('/signin');
      expect(existsSync(path.join(dataDir, 'pglite'))).toBe(true);

      demo.child.kill('SIGTERM');
      const code = await Promise.race([demo.exited, new Promise<string>((resolve) => setTimeout(() => resolve('timed out'), 20_000))]);
      expect(code, demo.err()).toBe(0);
      expect(demo.err()).toContain('SIGTERM: stopping the demo');
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
    }
  }, 300_000);

  it('refuses a data dir it did not make, deleting nothing', async () => {
    const dataDir = tempDir();
    writeFileSync(path.join(dataDir, 'precious.txt'), 'keep me');
    const demo = startDemo(dataDir);
    const code = await demo.exited;
    expect(code).toBe(2);
    expect(demo.err()).toContain('is not empty and was not made by the demo');
    expect(existsSync(path.join(dataDir, 'precious.txt'))).toBe(true);
  }, 60_000);
});
