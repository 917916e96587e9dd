// The admin configuration pages (issue 6 item 2) on a real express app on a free port, called with
// fetch, on every store backend: connections (add, edit, test against the fake GitHub, pause,
// delete), priority mappings with a preview that equals the states after saving, policies (form,
// preview, .ics import, delete), the audit log (also for `config apply`), sync runs, CSRF and bad
// input (400, the field named, nothing stored).
import type { Server } from 'node:http';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseInput } from '../../src/connectors/types.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { withTransaction } from '../../src/store/db.ts';
import { getConnectionByName, listPriorityMappings } from '../../src/store/connections-repo.ts';
import { getPolicyByName } from '../../src/store/policies-repo.ts';
import { auditLog, cases, connections, metricStates, syncRuns } from '../../src/store/schema/index.ts';
import { createUser } from '../../src/store/users-repo.ts';
import { applyConfig } from '../../src/sync/config.ts';
import { loadConnectionRuntime } from '../../src/sync/connection.ts';
import type { JobQueue } from '../../src/sync/queue.ts';
import { queueFor } from '../../src/sync/queue.ts';
import { storeAndEvaluate } from '../../src/sync/run-sync.ts';
import { createApp } from '../../src/web/app.ts';
import { hashPassword } from '../../src/web/auth/passwords.ts';
import { startFakeGithub } from '../fakes/github/server.ts';
import type { FakeGithub } from '../fakes/github/server.ts';
import { runCli } from '../helpers/cli.ts';
import { storeBackends } from '../helpers/db.ts';
import { listenOnLoopback, signInOverHttp } from '../helpers/listen.ts';

const NOW = Date.parse('2027-03-02T12:00:00Z');
const PASSWORD = 'correct horse battery staple';
const CHEAP = { N: 1024, r: 8, p: 1 };
const ENV = { ADMIN_TEST_GH_TOKEN: 'test-token' };
const minutesAgo = (m: number) => new Date(NOW - m * 60_000).toISOString().replace('.000Z', 'Z');

const STANDARD = {
  calendar: '24x7',
  severities: {
    S1: { firstResponseMinutes: 15, resolutionMinutes: 60, objectivePercent: 100 },
    S3: { firstResponseMinutes: 120, resolutionMinutes: 600, objectivePercent: 90 },
  },
  defaultSeverity: 'S3',
  atRiskPercent: 75,
};

/** A GitHub issue as the connector hands it over (the mapper is tested elsewhere). */
function issue(id: number, rawPriority: string | null, createdMinutesAgo: number, replyMinutesAgo?: number): CaseInput {
  const created = minutesAgo(createdMinutesAgo);
  return {
    externalId: String(id),
    externalKey: `acme/support#${id}`,
    url: `https://github.com/acme/support/issues/${id}`,
    title: `issue ${id}`,
    rawPriority,
    status: 'open',
    createdAt: created,
    updatedAt: created,
    events: [{ at: created, type: 'created', status: 'open', rawPriority }, ...(replyMinutesAgo === undefined ? [] : [{ at: minutesAgo(replyMinutesAgo), type: 'agent_reply' as const }])],
    attributes: { repository: 'acme/support', number: id, labels: rawPriority ? [rawPriority] : [] },
  };
}

describe.each(storeBackends())('admin pages on $name', (backend) => {
  let handle: DatabaseHandle;
  let server: Server;
  let queue: JobQueue;
  let fake: FakeGithub;
  let base = '';
  let admin = { cookie: '', csrf: '' };
  let manager = { cookie: '', csrf: '' };

  beforeAll(async () => {
    handle = await backend.open();
    fake = await startFakeGithub();
    const repo = fake.world.addRepo('acme/support');
    for (let i = 1; i <= 3; i++) fake.world.createIssue(repo, { title: `Issue ${i}`, user: 'carol', at: '2027-03-01T10:00:00Z' });
    await createUser(handle.db, { email: 'admin@example.com', role: 'admin', passwordHash: await hashPassword(PASSWORD, CHEAP) });
    await createUser(handle.db, { email: 'manager@example.com', role: 'manager', passwordHash: await hashPassword(PASSWORD, CHEAP) });
    await applyConfig(handle, {
      policies: { standard: STANDARD },
      connections: { gh: { source: 'github', policy: 'standard', config: { baseUrl: fake.url, token: 'env:ADMIN_TEST_GH_TOKEN', repositories: ['acme/support'], severityLabels: { P1: 'S1' } } } },
    }, () => NOW);
    const runtime = await loadConnectionRuntime(handle.db, 'gh', { env: ENV });
    // Urgent is unmapped (S3 by default): #101 at risk on first response, #102 answered; P1 is S1.
    await withTransaction(handle, (tx) => storeAndEvaluate(tx, runtime, [issue(101, 'Urgent', 100), issue(102, 'Urgent', 100, 95), issue(103, 'P1', 10), issue(104, null, 5)], NOW));
    await handle.db.update(cases).set({ writebackPending: false });
    // The seeding above is audited as the cli; the tests look at what the pages write.
    await handle.db.delete(auditLog);
    queue = queueFor(handle, { maintenance: false });
    await queue.start();
    const app = createApp({ handle, enqueueRefreshes: async () => {}, now: () => NOW, queue, env: ENV });
    ({ server, base } = await listenOnLoopback(app));
    admin = await signIn('admin@example.com');
    manager = await signIn('manager@example.com');
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await queue?.stop({ timeoutMs: 1000 });
    await fake?.close();
    await handle?.close();
  });

  const request = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { redirect: 'manual', ...init });

  const signIn = (email: string) => signInOverHttp(base, email, PASSWORD);

  const get = (path: string, who = admin) => request(path, { headers: { cookie: who.cookie } });
  const post = (path: string, fields: Record<string, string> | [string, string][], who = admin, csrf: string | null = who.csrf) => {
    const params = new URLSearchParams(fields);
    if (csrf !== null) params.set('_csrf', csrf);
    return request(path, { method: 'POST', headers: { cookie: who.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: params.toString() });
  };

  const connectionId = async (name: string) => (await getConnectionByName(handle.db, name))!.id;
  const mappingsOf = async (name: string) => Object.fromEntries((await listPriorityMappings(handle.db, await connectionId(name))).map((m) => [m.rawPriority, m.severity]));
  const statesByKey = async () => {
    const rows = await handle.db.select({ key: cases.externalKey, metric: metricStates.metric, state: metricStates.state }).from(metricStates).innerJoin(cases, eq(cases.id, metricStates.caseId));
    return Object.fromEntries(rows.map((r) => [`${r.key} ${r.metric}`, r.state]));
  };
  const stateCounts = async () => {
    const out: Record<string, Record<string, number>> = { firstResponse: {}, resolution: {} };
    for (const r of await handle.db.select({ metric: metricStates.metric, state: metricStates.state }).from(metricStates)) out[r.metric]![r.state] = (out[r.metric]![r.state] ?? 0) + 1;
    return out;
  };
  const auditRows = async (entity: string) => handle.db.select().from(auditLog).where(eq(auditLog.entity, entity)).orderBy(auditLog.id);
  const queuedWritebacks = async () => {
    const rows = (await handle.db.execute(sql`select data from pgboss.job where name = 'writeback' order by created_on`)) as unknown as { rows?: { data: { caseId: number } }[] } | { data: { caseId: number } }[];
    return (Array.isArray(rows) ? rows : rows.rows!).map((r) => r.data.caseId).sort((a, b) => a - b);
  };
  /** The preview's numbers as the page shows them. */
  function previewOf(page: string) {
    const changed = Number(/id="preview-count" data-changed="(\d+)"/.exec(page)?.[1]);
    const after: Record<string, Record<string, number>> = { firstResponse: {}, resolution: {} };
    for (const m of page.matchAll(/data-metric="(\w+)" data-state="(\w+)">(\d+)</g)) if (m[3] !== '0') after[m[1]!]![m[2]!] = Number(m[3]);
    return { changed, after };
  }

  it('lists the raw priorities seen with their case counts, the unmapped ones highlighted', async () => {
    const page = await (await get(`/admin/connections/${await connectionId('gh')}/mapping`)).text();
    expect(page).toMatch(/<tr class="unmapped" data-raw="Urgent">[\s\S]*?unmapped[\s\S]*?<td class="num">2<\/td>/);
    expect(page).toMatch(/<tr class="" data-raw="P1">[\s\S]*?<td class="num">1<\/td>[\s\S]*?\(config: S1\)/);
    expect(page).toContain('(no priority)</td><td class="num">1</td>');
    const list = await (await get('/admin/connections')).text();
    expect(list).toMatch(/data-connection="gh"[\s\S]*?1 unmapped/);
  });

  it('previews a mapping without writing, and the saved states equal the preview', async () => {
    const id = await connectionId('gh');
    const before = await statesByKey();
    expect(before).toMatchObject({ 'acme/support#101 firstResponse': 'at_risk', 'acme/support#101 resolution': 'running', 'acme/support#102 firstResponse': 'met', 'acme/support#102 resolution': 'running' });
    const fields: [string, string][] = [['raw.0', 'Urgent'], ['severity.0', 'S1'], ['raw.1', 'P1'], ['severity.1', '']];
    const previewed = await post(`/admin/connections/${id}/mapping`, [...fields, ['intent', 'preview']]);
    expect(previewed.status).toBe(200);
    const preview = previewOf(await previewed.text());
    expect(preview.changed).toBe(2);
    // Nothing written by the preview.
    expect(await mappingsOf('gh')).toEqual({ P1: 'S1' });
    expect(await statesByKey()).toEqual(before);
    expect(await auditRows('mapping')).toHaveLength(0);
    expect(await queuedWritebacks()).toEqual([]);

    const saved = await post(`/admin/connections/${id}/mapping`, [...fields, ['intent', 'save']]);
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe(`/admin/connections/${id}/mapping?notice=mapping-saved&changed=2&queued=2`);
    expect(await mappingsOf('gh')).toEqual({ P1: 'S1', Urgent: 'S1' });
    expect(await stateCounts()).toEqual(preview.after);
    const after = await statesByKey();
    expect(after).toMatchObject({ 'acme/support#101 firstResponse': 'breached', 'acme/support#101 resolution': 'breached', 'acme/support#102 firstResponse': 'met', 'acme/support#102 resolution': 'breached' });
    const changedIds = (await handle.db.select({ id: cases.id }).from(cases).where(eq(cases.writebackPending, true))).map((r) => r.id).sort((a, b) => a - b);
    const byKey = Object.fromEntries((await handle.db.select({ id: cases.id, key: cases.externalKey }).from(cases)).map((r) => [r.key, r.id]));
    expect(changedIds).toEqual([byKey['acme/support#101'], byKey['acme/support#102']]);
    expect(await queuedWritebacks()).toEqual(changedIds);
    const [row] = await auditRows('mapping');
    expect(row).toMatchObject({ actor: 'admin@example.com', entityKey: 'gh', action: 'update', before: { P1: 'S1' }, after: { P1: 'S1', Urgent: 'S1' } });
    const page = await (await get(saved.headers.get('location')!)).text();
    expect(page).toContain('Mapping saved. 2 cases changed SLA state; writebacks queued for 2 cases.');
    expect(page).toMatch(/data-case="acme\/support#101">[\s\S]*?case-resolution"><span class="lozenge state-breached">[\s\S]*?state-paused">pending/);
  });

  it('refuses bad mapping input (400, field named) and forms without CSRF (403), storing nothing', async () => {
    const id = await connectionId('gh');
    const bad = await post(`/admin/connections/${id}/mapping`, [['raw.0', 'Urgent'], ['severity.0', 'S9'], ['intent', 'save']]);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/role="alert" id="f-severity-0-error" data-field="severity.0">&quot;S9&quot; is not a severity/);
    const incomplete = await post(`/admin/connections/${id}/mapping`, [['newRaw', 'Blocker'], ['intent', 'save']]);
    expect(incomplete.status).toBe(400);
    expect(await incomplete.text()).toContain('data-field="newSeverity">is required with a raw priority');
    const noCsrf = await post(`/admin/connections/${id}/mapping`, [['raw.0', 'Urgent'], ['severity.0', 'S4'], ['intent', 'save']], admin, null);
    expect(noCsrf.status).toBe(403);
    const wrongCsrf = await post('/admin/policies', { name: 'x' }, admin, 'not-the-token');
    expect(wrongCsrf.status).toBe(403);
    expect(await mappingsOf('gh')).toEqual({ P1: 'S1', Urgent: 'S1' });
    expect(await auditRows('mapping')).toHaveLength(1);
    // Managers may not even look.
    expect((await get('/admin/connections', manager)).status).toBe(403);
  });

  it('creates, edits, pauses and deletes a connection; secrets never shown back or audited', async () => {
    const settings = `baseUrl: ${fake.url}\nrepositories: [acme/support]\n`;
    const created = await post('/admin/connections', { name: 'gh2', source: 'github', policy: 'standard', enabled: 'true', syncIntervalMinutes: '10', 'secret.token': 'ghp_literal_secret_value', 'secret.webhookSecret': 'env:GH2_HOOK', settings });
    // Saved, and told at once that this process lacks the webhook secret's variable.
    expect(created.status).toBe(200);
    expect(await created.text()).toMatch(/Connection created\.[\s\S]*Warning: connections\.gh2\.config: config\.webhookSecret refers to the environment variable GH2_HOOK, which is not set/);
    process.env['GH2_HOOK'] = 'hook-secret';
    const stored = (await getConnectionByName(handle.db, 'gh2'))!;
    expect(stored).toMatchObject({ source: 'github', enabled: true, syncIntervalMinutes: 10, config: { token: 'ghp_literal_secret_value', webhookSecret: 'env:GH2_HOOK', repositories: ['acme/support'] } });
    const form = await (await get(`/admin/connections/${stored.id}`)).text();
    expect(form).not.toContain('ghp_literal_secret_value');
    expect(form).toContain('value="env:GH2_HOOK"');
    expect(form).toContain('stored (hidden); leave blank to keep');

    // Edit: a blank secret keeps the stored one; the interval changes.
    const edited = await post(`/admin/connections/${stored.id}`, { policy: 'standard', enabled: 'true', syncIntervalMinutes: '15', 'secret.token': '', 'secret.webhookSecret': 'env:GH2_HOOK', settings });
    expect(edited.status).toBe(303);
    expect((await getConnectionByName(handle.db, 'gh2'))!).toMatchObject({ syncIntervalMinutes: 15, config: { token: 'ghp_literal_secret_value' } });
    // A new literal: the audit says it changed without showing it.
    expect((await post(`/admin/connections/${stored.id}`, { policy: 'standard', enabled: 'true', syncIntervalMinutes: '15', 'secret.token': 'ghp_another_secret', settings })).status).toBe(303);

    const paused = await post(`/admin/connections/${stored.id}/enabled`, { enabled: 'false' });
    expect(paused.headers.get('location')).toBe('/admin/connections?notice=connection-paused');
    expect((await getConnectionByName(handle.db, 'gh2'))!.enabled).toBe(false);

    expect((await get(`/admin/connections/${stored.id}/delete`)).status).toBe(200);
    const deleted = await post(`/admin/connections/${stored.id}/delete`, {});
    expect(deleted.status).toBe(303);
    expect(await getConnectionByName(handle.db, 'gh2')).toBeNull();
    delete process.env['GH2_HOOK'];

    const audit = await auditRows('connection');
    expect(audit.map((r) => [r.action, r.entityKey, r.actor])).toEqual([
      ['create', 'gh2', 'admin@example.com'],
      ['update', 'gh2', 'admin@example.com'],
      ['update', 'gh2', 'admin@example.com'],
      ['update', 'gh2', 'admin@example.com'],
      ['delete', 'gh2', 'admin@example.com'],
    ]);
    expect(audit[0]).toMatchObject({ before: null, after: { source: 'github', policy: 'standard', enabled: true, syncIntervalMinutes: 10, config: { token: '<redacted>', webhookSecret: 'env:GH2_HOOK' } } });
    expect(audit[1]).toMatchObject({ before: { syncIntervalMinutes: 10 }, after: { syncIntervalMinutes: 15, config: { token: '<redacted>' } } });
    expect(audit[2]).toMatchObject({ before: { config: { token: '<redacted>' } }, after: { config: { token: '<redacted> (changed)' } } });
    expect(audit[3]).toMatchObject({ before: { enabled: true }, after: { enabled: false } });
    expect(audit[4]).toMatchObject({ action: 'delete', after: null, before: { config: { token: '<redacted>' } } });
    const everything = JSON.stringify(await handle.db.select().from(auditLog));
    expect(everything).not.toContain('ghp_literal_secret_value');
    expect(everything).not.toContain('ghp_another_secret');
    const page = await (await get('/admin/audit?entity=connection')).text();
    expect(page).toContain('delete connection <strong>gh2</strong>');
    expect(page).not.toContain('ghp_');
  });

  it('refuses bad connection input with 400 and the field named, storing nothing', async () => {
    const count = async () => (await handle.db.select().from(connections)).length;
    const before = await count();
    const auditBefore = (await handle.db.select().from(auditLog)).length;
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ name: 'bad name', policy: 'standard', 'secret.token': 'x', settings: 'repositories: [acme/x]' }, 'name', /Invalid key in record/],
      [{ name: 'gh3', policy: 'standard', 'secret.token': 'x', settings: 'repositories: [not a repo]' }, 'settings', /repositories\[0\]: &quot;not a repo&quot;/],
      [{ name: 'gh3', policy: 'nope', 'secret.token': 'x', settings: 'repositories: [acme/x]' }, 'policy', /&quot;nope&quot; is neither in this file nor stored/],
      [{ name: 'gh3', policy: 'standard', settings: 'repositories: [acme/x]' }, 'secret.token', /is required/],
      [{ name: 'gh3', policy: 'standard', 'secret.token': 'x', settings: 'repositories: [acme/x' }, 'settings', /is not YAML/],
      [{ name: 'gh', policy: 'standard', 'secret.token': 'x', settings: 'repositories: [acme/x]' }, 'name', /already exists/],
      [{ name: 'gh3', policy: 'standard', 'secret.token': 'x', syncIntervalMinutes: 'often', settings: 'repositories: [acme/x]' }, 'syncIntervalMinutes', /&quot;often&quot;/],
    ];
    for (const [fields, field, message] of cases) {
      const response = await post('/admin/connections', { source: 'github', enabled: 'true', ...fields });
      const page = await response.text();
      expect(response.status, field).toBe(400);
      const error = new RegExp(`role="alert" id="[^"]+" data-field="${field.replace('.', '\\.')}">([^<]*)<`).exec(page);
      expect(error?.[1], `${field} in ${JSON.stringify(fields)}`).toMatch(message);
    }
    expect(await count()).toBe(before);
    expect((await handle.db.select().from(auditLog)).length).toBe(auditBefore);
  });

  it('tests a connection with a live call and reports what it read, or the error', async () => {
    const id = await connectionId('gh');
    const ok = await post(`/admin/connections/${id}/test`, {});
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/id="test-result"[^>]*><strong>Test of gh:<\/strong> read 3 issues from acme\/support \(first page\)/);
    await applyConfig(handle, { connections: { broken: { source: 'github', policy: 'standard', config: { baseUrl: fake.url, token: 'wrong-token', repositories: ['acme/support'] } } } }, () => NOW);
    const refused = await post(`/admin/connections/${await connectionId('broken')}/test`, {});
    expect(refused.status).toBe(502);
    expect(await refused.text()).toMatch(/Test of broken:<\/strong> unauthorized: /);
  });

  it('records syncs in sync_runs and shows the last one with its error; "sync now" queues a sync', async () => {
    process.env['ADMIN_TEST_GH_TOKEN'] = 'test-token';
    const synced = await runCli(['sync', '--connection', 'gh'], { database: handle });
    expect(synced.code).toBe(0);
    const failed = await runCli(['sync', '--connection', 'broken'], { database: handle });
    expect(failed.code).not.toBe(0);
    const runs = await handle.db.select().from(syncRuns).orderBy(syncRuns.id);
    expect(runs.map((r) => [r.connectionId, r.trigger, r.mode, r.status, r.cases])).toEqual([
      [await connectionId('gh'), 'cli', 'incremental', 'ok', 3],
      [await connectionId('broken'), 'cli', 'incremental', 'failed', 0],
    ]);
    expect(runs[1]!.error).toMatch(/401|credentials|unauthorized/i);
    const page = await (await get('/admin/jobs')).text();
    expect(page).toMatch(/data-connection="broken">[\s\S]*?lozenge fail">failed[\s\S]*?class="sync-error">[^<]+</);
    expect(page).toContain('id="dead-letters-empty"');
    const queued = await post(`/admin/connections/${await connectionId('gh')}/sync`, { back: 'jobs' });
    expect(queued.headers.get('location')).toBe('/admin/jobs?notice=sync-queued');
    const jobs = (await handle.db.execute(sql`select data from pgboss.job where name = 'sync'`)) as unknown as { rows?: { data: unknown }[] } | { data: unknown }[];
    expect((Array.isArray(jobs) ? jobs : jobs.rows!).map((r) => r.data)).toEqual([{ connectionId: await connectionId('gh') }]);
    delete process.env['ADMIN_TEST_GH_TOKEN'];
  });

  const policyFields = (overrides: Record<string, string> = {}): Record<string, string> => ({
    calendarMode: 'business',
    timezone: 'Europe/Berlin',
    'week.mon': '09:00-12:00, 13:00-17:00',
    'week.tue': '09:00-17:00',
    'week.wed': '09:00-17:00',
    'week.thu': '09:00-17:00',
    'week.fri': '09:00-15:00',
    'week.sat': '',
    'week.sun': '',
    holidays: '2027-12-25\n2027-12-26',
    'sev.S1.use': 'true',
    'sev.S1.firstResponseMinutes': '30',
    'sev.S1.resolutionMinutes': '240',
    'sev.S1.objectivePercent': '100',
    'sev.S1.calendar': '24x7',
    'sev.S2.firstResponseMinutes': '',
    'sev.S3.use': 'true',
    'sev.S3.firstResponseMinutes': '240',
    'sev.S3.resolutionMinutes': '1440',
    'sev.S3.objectivePercent': '90',
    'sev.S3.calendar': '',
    defaultSeverity: 'S3',
    pauseStatuses: 'pending',
    atRiskPercent: '80',
    intent: 'save',
    ...overrides,
  });

  it('creates a policy from the form, exactly as config apply would store it', async () => {
    const created = await post('/admin/policies', { name: 'gold', ...policyFields() });
    expect(created.status).toBe(303);
    expect((await getPolicyByName(handle.db, 'gold'))!.definition).toEqual({
      calendar: { timezone: 'Europe/Berlin', week: { mon: [['09:00', '12:00'], ['13:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '15:00']] }, holidays: ['2027-12-25', '2027-12-26'] },
      severities: { S1: { firstResponseMinutes: 30, resolutionMinutes: 240, objectivePercent: 100, calendar: '24x7' }, S3: { firstResponseMinutes: 240, resolutionMinutes: 1440, objectivePercent: 90 } },
      defaultSeverity: 'S3',
      pauseStatuses: ['pending'],
      pauseFirstResponse: false,
      atRiskPercent: 80,
    });
    const [row] = await auditRows('policy');
    expect(row).toMatchObject({ action: 'create', entityKey: 'gold', actor: 'admin@example.com', before: null, after: { defaultSeverity: 'S3', atRiskPercent: 80 } });
    const form = await (await get(`/admin/policies/${(await getPolicyByName(handle.db, 'gold'))!.id}`)).text();
    expect(form).toContain('<option value="Europe/Berlin" selected>');
    expect(form).toContain('value="09:00-12:00, 13:00-17:00"');
  });

  it('refuses a bad policy with 400, every bad field named beside it, and stores nothing', async () => {
    const response = await post('/admin/policies', { name: 'broken', ...policyFields({ 'week.mon': '9am-5pm', 'week.tue': 'all day', timezone: 'Mars/Olympus', 'sev.S1.firstResponseMinutes': 'soon', 'sev.S3.objectivePercent': '120', holidays: '2027-13-45' }) });
    expect(response.status).toBe(400);
    const page = await response.text();
    const errorOf = (field: string) => new RegExp(`role="alert" id="[^"]+" data-field="${field.replace(/\./g, '\\.')}">([^<]*)<`).exec(page)?.[1];
    // The form's own parsing refuses first: "all day" is no interval.
    expect(errorOf('week.tue')).toBe('&quot;all day&quot; is not HH:MM-HH:MM');
    expect(await getPolicyByName(handle.db, 'broken')).toBeNull();
    const again = await post('/admin/policies', { name: 'broken', ...policyFields({ 'week.mon': '9am-5pm', timezone: 'Mars/Olympus', 'sev.S1.firstResponseMinutes': 'soon', 'sev.S3.objectivePercent': '120', holidays: '2027-13-45' }) });
    expect(again.status).toBe(400);
    const text = await again.text();
    const fieldError = (field: string) => new RegExp(`role="alert" id="[^"]+" data-field="${field.replace(/\./g, '\\.')}">([^<]*)<`).exec(text)?.[1];
    expect(fieldError('week.mon')).toContain('is not HH:MM');
    expect(fieldError('timezone')).toContain('is not an IANA zone');
    expect(fieldError('sev.S1.firstResponseMinutes')).toContain('is not a number of minutes');
    expect(fieldError('sev.S3.objectivePercent')).toContain('is not between 0 and 100');
    expect(fieldError('holidays')).toContain('is not a YYYY-MM-DD date');
    expect(text).toContain('value="9am-5pm"');
    expect(await getPolicyByName(handle.db, 'broken')).toBeNull();
    expect((await auditRows('policy')).map((r) => r.entityKey)).not.toContain('broken');
  });

  it('imports holidays from an .ics calendar into the form', async () => {
    const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'BEGIN:VEVENT', 'UID:a@t', 'DTSTAMP:20260101T000000Z', 'DTSTART;VALUE=DATE:20200501', 'RRULE:FREQ=YEARLY', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
    const id = (await getPolicyByName(handle.db, 'gold'))!.id;
    const response = await post(`/admin/policies/${id}`, { name: 'gold', ...policyFields({ intent: 'import', ics }) });
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('Imported 5 holiday dates from 1 all-day events.');
    expect(page).toMatch(/name="holidays"[^>]*>2026-05-01\n2027-05-01\n2027-12-25\n2027-12-26\n2028-05-01\n2029-05-01\n2030-05-01<\/textarea>/);
    // Importing fills the form; it saves nothing.
    expect((await getPolicyByName(handle.db, 'gold'))!.definition.calendar).toMatchObject({ holidays: ['2027-12-25', '2027-12-26'] });
    const bad = await post(`/admin/policies/${id}`, { name: 'gold', ...policyFields({ intent: 'import', ics: 'not a calendar' }) });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('data-field="ics">is not an iCalendar file');
  });

  it('previews a policy change, and saving re-evaluates to the previewed states', async () => {
    const standard = (await getPolicyByName(handle.db, 'standard'))!;
    const fields = {
      name: 'standard',
      calendarMode: '24x7',
      timezone: 'UTC',
      'sev.S1.use': 'true',
      'sev.S1.firstResponseMinutes': '15',
      'sev.S1.resolutionMinutes': '60',
      'sev.S1.objectivePercent': '100',
      'sev.S3.use': 'true',
      'sev.S3.firstResponseMinutes': '120',
      'sev.S3.resolutionMinutes': '600',
      'sev.S3.objectivePercent': '90',
      defaultSeverity: 'S3',
      pauseStatuses: 'pending',
      atRiskPercent: '75',
    };
    // S1 resolution from 60 to 600 minutes: #101 and #102 (S1, 100 minutes old) are no longer breached.
    const changed = { ...fields, 'sev.S1.resolutionMinutes': '600' };
    const previewed = await post(`/admin/policies/${standard.id}`, { ...changed, intent: 'preview' });
    expect(previewed.status).toBe(200);
    const preview = previewOf(await previewed.text());
    expect(preview.changed).toBe(2);
    expect((await getPolicyByName(handle.db, 'standard'))!.definition).toEqual(standard.definition);
    const saved = await post(`/admin/policies/${standard.id}`, { ...changed, intent: 'save' });
    expect(saved.status).toBe(303);
    expect(await stateCounts()).toEqual(preview.after);
    expect(await statesByKey()).toMatchObject({ 'acme/support#101 resolution': 'running', 'acme/support#102 resolution': 'running', 'acme/support#101 firstResponse': 'breached' });
    const rows = await auditRows('policy');
    expect(rows.at(-1)).toMatchObject({ action: 'update', entityKey: 'standard', before: { severities: { S1: { resolutionMinutes: 60 } } }, after: { severities: { S1: { resolutionMinutes: 600 } } } });
  });

  it('deletes an unused policy and refuses one in use', async () => {
    const standard = (await getPolicyByName(handle.db, 'standard'))!;
    const inUse = await post(`/admin/policies/${standard.id}/delete`, {});
    expect(inUse.status).toBe(409);
    expect(await inUse.text()).toContain('is still in use');
    const gold = (await getPolicyByName(handle.db, 'gold'))!;
    expect((await post(`/admin/policies/${gold.id}/delete`, {})).status).toBe(303);
    expect(await getPolicyByName(handle.db, 'gold')).toBeNull();
    expect((await auditRows('policy')).at(-1)).toMatchObject({ action: 'delete', entityKey: 'gold', after: null, before: { defaultSeverity: 'S3' } });
    expect((await post(`/admin/policies/${gold.id}/delete`, {})).status).toBe(404);
  });

  it('audits `config apply` as the cli, secrets redacted', async () => {
    const yaml = `connections:\n  gh-cli:\n    source: github\n    policy: standard\n    config:\n      baseUrl: ${fake.url}\n      token: a-cli-literal-token\n      webhookSecret: env:CLI_HOOK\n      repositories: [acme/support]\n    priorityMappings: { Blocker: S1 }\n`;
    const applied = await runCli(['config', 'apply'], { stdin: yaml, database: handle });
    expect(applied.code).toBe(0);
    const rows = (await handle.db.select().from(auditLog).where(eq(auditLog.entityKey, 'gh-cli'))).map((r) => ({ actor: r.actor, entity: r.entity, action: r.action, before: r.before, after: r.after }));
    expect(rows).toEqual([
      { actor: 'cli', entity: 'connection', action: 'create', before: null, after: { source: 'github', policy: 'standard', enabled: true, syncIntervalMinutes: 5, rateLimit: null, config: { baseUrl: fake.url, token: '<redacted>', webhookSecret: 'env:CLI_HOOK', repositories: ['acme/support'] } } },
      { actor: 'cli', entity: 'mapping', action: 'create', before: null, after: { Blocker: 'S1' } },
    ]);
    expect(JSON.stringify(await handle.db.select().from(auditLog))).not.toContain('a-cli-literal-token');
    // Applying the same file again changes nothing and logs nothing.
    const count = (await handle.db.select().from(auditLog)).length;
    expect((await runCli(['config', 'apply'], { stdin: yaml, database: handle })).code).toBe(0);
    expect((await handle.db.select().from(auditLog)).length).toBe(count);
  });

  it('serves the overview and the new-connection page that onboarding links to', async () => {
    const overview = await get('/admin');
    expect(overview.status).toBe(200);
    expect(await overview.text()).toMatch(/<strong>\d+<\/strong> connections/);
    const form = await get('/admin/connections/new?source=jira');
    expect(form.status).toBe(200);
    const page = await form.text();
    expect(page).toContain('name="secret.apiToken"');
    expect(page).toContain('siteUrl: https://acme.atlassian.net');
  });
});
