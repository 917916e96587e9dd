// Customers and policy rules on the admin page (issue 7 items 1-3 through the UI), on a real express
// app on a free port, called with fetch, on every store backend: overlapping customers and rules made
// through the forms, each change previewed (cases moving to another customer or policy, SLA states
// changing) and the preview equal to what the store holds after the save, a rule reordered, a case
// moving to another customer, writebacks queued for exactly the affected cases, audit rows, and the
// refusals (bad input 400 with the field named and nothing stored, CSRF, a manager).
import type { Server } from 'node:http';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseInput } from '../../src/connectors/types.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { withTransaction } from '../../src/store/db.ts';
import { listCustomers, listPolicyRules } from '../../src/store/agreements-repo.ts';
import { auditLog, cases, customers, metricStates, policies, policyRules } from '../../src/store/schema/index.ts';
import { createUser } from '../../src/store/users-repo.ts';
import { applyConfig } from '../../src/sync/config.ts';
import { loadConnectionRuntime } from '../../src/sync/connection.ts';
import type { JobQueue } from '../../src/sync/queue.ts';
import { queueFor } from '../../src/sync/queue.ts';
import { storeAndEvaluate } from '../../src/sync/run-sync.ts';
import { createApp } from '../../src/web/app.ts';
import { hashPassword } from '../../src/web/auth/passwords.ts';
import { storeBackends } from '../helpers/db.ts';
import { listenOnLoopback, signInOverHttp } from '../helpers/listen.ts';

const NOW = Date.parse('2027-03-02T12:00:00Z');
const PASSWORD = 'correct horse battery staple';
const minutesAgo = (m: number) => new Date(NOW - m * 60_000).toISOString().replace('.000Z', 'Z');
/** Around the clock, so that states follow from minutes alone; every case here is S3. */
const policy = (firstResponseMinutes: number, resolutionMinutes: number) => ({ calendar: '24x7', severities: { S3: { firstResponseMinutes, resolutionMinutes } }, defaultSeverity: 'S3', atRiskPercent: 75 });

/** An open GitHub issue without a reply, as the connector hands it over. */
function issue(id: number, repository: string, labels: string[], createdMinutesAgo: number): CaseInput {
  const at = minutesAgo(createdMinutesAgo);
  return {
    externalId: String(id),
    externalKey: `${repository}#${id}`,
    url: `https://github.com/${repository}/issues/${id}`,
    title: `issue ${id}`,
    rawPriority: null,
    status: 'open',
    createdAt: at,
    updatedAt: at,
    events: [{ at, type: 'created', status: 'open', rawPriority: null }],
    attributes: { repository, number: id, labels },
  };
}

interface Preview {
  moved: number;
  customerMoves: number;
  policyMoves: number;
  transitions: Record<string, number>;
  changed: number;
  after: Record<string, Record<string, number>>;
}

/** The preview's numbers as the page shows them. */
function previewOf(page: string): Preview {
  const moved = /id="preview-moved" data-moved="(\d+)" data-customer="(\d+)" data-policy="(\d+)"/.exec(page);
  expect(moved, 'the page has an agreement preview').not.toBeNull();
  const transitions: Record<string, number> = {};
  for (const m of page.matchAll(/<tr data-kind="(\w+)" data-from="([^"]*)" data-to="([^"]*)" data-cases="(\d+)">/g)) transitions[`${m[1]} ${m[2] || '-'} > ${m[3] || '-'}`] = Number(m[4]);
  const after: Record<string, Record<string, number>> = { firstResponse: {}, resolution: {} };
  for (const m of page.matchAll(/data-metric="(\w+)" data-state="(\w+)">(\d+)</g)) if (m[3] !== '0') after[m[1]!]![m[2]!] = Number(m[3]);
  return { moved: Number(moved![1]), customerMoves: Number(moved![2]), policyMoves: Number(moved![3]), transitions, changed: Number(/id="preview-count" data-changed="(\d+)"/.exec(page)![1]), after };
}

/** The field errors on a page: field name -> message. */
const fieldErrorsOf = (page: string) => Object.fromEntries([...page.matchAll(/<span class="field-error" role="alert" id="[^"]+" data-field="([^"]+)">([^<]*)<\/span>/g)].map((m) => [m[1]!, m[2]!.replace(/&quot;/g, '"')]));

describe.each(storeBackends())('admin customers and rules on $name', (backend) => {
  let handle: DatabaseHandle;
  let server: Server;
  let queue: JobQueue;
  let base = '';
  let admin = { cookie: '', csrf: '' };
  let manager = { cookie: '', csrf: '' };

  beforeAll(async () => {
    handle = await backend.open();
    await createUser(handle.db, { email: 'admin@example.com', role: 'admin', passwordHash: await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 }) });
    await createUser(handle.db, { email: 'manager@example.com', role: 'manager', passwordHash: await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 }) });
    await applyConfig(handle, {
      policies: { standard: policy(120, 600), gold: policy(30, 120), bronze: policy(480, 2400) },
      connections: { gh: { source: 'github', policy: 'standard', config: { baseUrl: 'http://127.0.0.1:9', token: 'unused', repositories: ['acme/finance', 'acme/web'] } } },
    }, () => NOW);
    const runtime = await loadConnectionRuntime(handle.db, 'gh');
    await withTransaction(handle, (tx) =>
      storeAndEvaluate(tx, runtime, [issue(1, 'acme/finance', ['urgent'], 100), issue(2, 'acme/web', ['marketing'], 60), issue(3, 'acme/web', [], 20), issue(4, 'acme/web', ['urgent'], 100), issue(5, 'acme/web', ['finance'], 10)], NOW),
    );
    await handle.db.update(cases).set({ writebackPending: false });
    await handle.db.delete(auditLog);
    queue = queueFor(handle, { maintenance: false });
    await queue.start();
    const app = createApp({ handle, enqueueRefreshes: async () => {}, now: () => NOW, queue });
    ({ server, base } = await listenOnLoopback(app));
    admin = await signIn('admin@example.com');
    manager = await signIn('manager@example.com');
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await queue?.stop({ timeoutMs: 1000 });
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

  /** Each case's stored customer, rule, policy and states, by external key. */
  async function storeByKey() {
    const rows = await handle.db
      .select({ id: cases.id, key: cases.externalKey, customer: customers.name, rule: policyRules.name, policy: policies.name })
      .from(cases)
      .leftJoin(customers, eq(customers.id, cases.customerId))
      .leftJoin(policyRules, eq(policyRules.id, cases.ruleId))
      .leftJoin(policies, eq(policies.id, cases.policyId));
    const states = await handle.db.select().from(metricStates);
    return Object.fromEntries(
      rows.map((r) => [r.key, { id: r.id, customer: r.customer, rule: r.rule, policy: r.policy, firstResponse: states.find((s) => s.caseId === r.id && s.metric === 'firstResponse')!.state, resolution: states.find((s) => s.caseId === r.id && s.metric === 'resolution')!.state }]),
    );
  }
  type Stored = Awaited<ReturnType<typeof storeByKey>>;

  /** What changed in the store between two snapshots, in the preview's terms. */
  function differences(before: Stored, after: Stored) {
    const transitions: Record<string, number> = {};
    const count = (key: string) => (transitions[key] = (transitions[key] ?? 0) + 1);
    let moved = 0;
    let changed = 0;
    const affected: number[] = [];
    for (const [key, now] of Object.entries(after)) {
      const was = before[key]!;
      if (was.customer !== now.customer) count(`customer ${was.customer ?? '-'} > ${now.customer ?? '-'}`);
      if (was.policy !== now.policy) count(`policy ${was.policy ?? '-'} > ${now.policy ?? '-'}`);
      if (was.customer !== now.customer || was.policy !== now.policy) moved++;
      const stateChanged = was.firstResponse !== now.firstResponse || was.resolution !== now.resolution;
      if (stateChanged) changed++;
      if (stateChanged || was.customer !== now.customer || was.policy !== now.policy || was.rule !== now.rule) affected.push(now.id);
    }
    return { moved, changed, transitions, affected: affected.sort((a, b) => a - b) };
  }

  const stateCounts = async () => {
    const out: Record<string, Record<string, number>> = { firstResponse: {}, resolution: {} };
    for (const r of await handle.db.select({ metric: metricStates.metric, state: metricStates.state }).from(metricStates)) out[r.metric]![r.state] = (out[r.metric]![r.state] ?? 0) + 1;
    return out;
  };
  const writebackJobs = async () => {
    const rows = (await handle.db.execute(sql`select data from pgboss.job where name = 'writeback'`)) as unknown as { rows?: { data: { caseId: number } }[] } | { data: { caseId: number } }[];
    return (Array.isArray(rows) ? rows : rows.rows!).map((r) => r.data.caseId).sort((a, b) => a - b);
  };
  /** As if a worker had run every queued writeback (a case has one pending writeback at most). */
  const runWritebacks = () => handle.db.execute(sql`delete from pgboss.job where name = 'writeback'`);
  const auditCount = async () => (await handle.db.select().from(auditLog)).length;
  const idOf = async (kind: 'customers' | 'rules', name: string) => (kind === 'customers' ? await listCustomers(handle.db) : await listPolicyRules(handle.db)).find((e) => e.name === name)!.id;

  /**
   * Previews a change, saves it, and checks that the preview equals what the store then holds: the
   * moves, the state changes, the state counts; writebacks queued for exactly the affected cases.
   */
  async function previewThenSave(path: string, fields: Record<string, string> | [string, string][], redirect: string) {
    const before = await storeByKey();
    const auditBefore = await auditCount();
    await runWritebacks();
    const previewed = await post(path, [...(Array.isArray(fields) ? fields : Object.entries(fields)), ['intent', 'preview']]);
    expect(previewed.status).toBe(200);
    const preview = previewOf(await previewed.text());
    expect(await storeByKey(), 'the preview writes nothing').toEqual(before);
    expect(await auditCount()).toBe(auditBefore);
    const saved = await post(path, [...(Array.isArray(fields) ? fields : Object.entries(fields)), ['intent', 'save']]);
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toMatch(new RegExp(`^${redirect}\\?notice=`));
    const after = await storeByKey();
    const diff = differences(before, after);
    expect(preview.moved).toBe(diff.moved);
    expect(preview.customerMoves + preview.policyMoves).toBe(Object.values(diff.transitions).reduce((a, b) => a + b, 0));
    expect(preview.transitions).toEqual(diff.transitions);
    expect(preview.changed).toBe(diff.changed);
    expect(preview.after).toEqual(await stateCounts());
    expect(await writebackJobs()).toEqual(diff.affected);
    return { preview, before, after, location: saved.headers.get('location')! };
  }

  const customerFields = (name: string, rows: [string, string, string][], position = ''): [string, string][] => [
    ['name', name],
    ['position', position],
    ...rows.flatMap(([connection, field, values], j): [string, string][] => [[`match.${j}.connection`, connection], [`match.${j}.field`, field], [`match.${j}.fieldId`, ''], [`match.${j}.values`, values]]),
  ];
  const ruleFields = (name: string, when: [string, string][], policyName: string, position = ''): [string, string][] => [['name', name], ['position', position], ['policy', policyName], ...when];

  it('shows the empty lists, the default policy per connection, and a tab for each', async () => {
    const page = await (await get('/admin/customers')).text();
    expect(page).toContain('No customers yet.');
    expect(page).toContain('<a href="/admin/customers" aria-current="page">Customers</a>');
    expect(page).toMatch(/id="no-customer" data-cases="5"/);
    const rules = await (await get('/admin/rules')).text();
    expect(rules).toContain('<a href="/admin/rules" aria-current="page">Policy rules</a>');
    expect(rules).toMatch(/<tr data-connection="gh"><td><a href="\/admin\/connections\/\d+">gh<\/a><\/td><td>standard<\/td><td class="num" data-cases="5">5<\/td>/);
    const form = await (await get('/admin/customers/new')).text();
    for (const field of ['project', 'label', 'organization', 'group', 'component', 'issueType', 'requesterDomain', 'field']) expect(form).toContain(`<option value="${field}">`);
    // "Another matcher" adds a row and keeps what was typed, storing nothing.
    const more = await post('/admin/customers', [...customerFields('Ops', [['gh', 'label', 'ops']]), ['intent', 'add-row']]);
    expect(more.status).toBe(200);
    const rows = await more.text();
    expect(rows).toMatch(/name="match\.0\.values" size="30" value="ops"/);
    expect(rows).toContain('name="match.1.values"');
    expect(await listCustomers(handle.db)).toEqual([]);
  });

  it('adds overlapping customers through the form; the preview equals the store after saving', async () => {
    // Finance: its repository or the finance label. Cases 1 (acme/finance) and 5 (label finance).
    const finance = await previewThenSave('/admin/customers', customerFields('Finance', [['', 'project', 'acme/finance'], ['', 'label', 'finance']]), '/admin/customers');
    expect(finance.preview).toMatchObject({ moved: 2, customerMoves: 2, policyMoves: 0, changed: 0, transitions: { 'customer - > Finance': 2 } });
    // Marketing overlaps Finance on case 1 (label urgent); listed second, Finance keeps it.
    const marketing = await previewThenSave('/admin/customers', customerFields('Marketing', [['gh', 'label', 'marketing, urgent']]), '/admin/customers');
    expect(marketing.preview).toMatchObject({ moved: 2, transitions: { 'customer - > Marketing': 2 } });
    expect(Object.fromEntries(Object.entries(marketing.after).map(([k, v]) => [k, v.customer]))).toEqual({ 'acme/finance#1': 'Finance', 'acme/web#2': 'Marketing', 'acme/web#3': null, 'acme/web#4': 'Marketing', 'acme/web#5': 'Finance' });
    const list = await (await get('/admin/customers')).text();
    expect([...list.matchAll(/<tr data-customer="(\w+)">.*?data-cases="(\d+)"/gs)].map((m) => [m[1], Number(m[2])])).toEqual([['Finance', 2], ['Marketing', 2]]);
    expect(list).toContain('gh: label = marketing, urgent');
    expect(list).toMatch(/id="no-customer" data-cases="1"/);
  });

  it('adds overlapping rules: the first match wins, and the preview counts the moves and state changes', async () => {
    // finance-gold: Finance's cases 1 and 5 move to gold; case 1 (100 min, no reply) breaches its 30 min first response.
    const gold = await previewThenSave('/admin/rules', ruleFields('finance-gold', [['when.customer', 'Finance']], 'gold'), '/admin/rules');
    expect(gold.preview).toMatchObject({ moved: 2, customerMoves: 0, policyMoves: 2, changed: 1, transitions: { 'policy standard > gold': 2 } });
    expect(gold.after['acme/finance#1']).toMatchObject({ rule: 'finance-gold', policy: 'gold', firstResponse: 'breached', resolution: 'at_risk' });
    // urgent-bronze overlaps on case 1; second, so only case 4 moves.
    const bronze = await previewThenSave('/admin/rules', ruleFields('urgent-bronze', [['when.labels', 'urgent'], ['when.connection', 'gh']], 'bronze'), '/admin/rules');
    expect(bronze.preview).toMatchObject({ moved: 1, policyMoves: 1, changed: 1, transitions: { 'policy standard > bronze': 1 } });
    expect(bronze.after['acme/finance#1']).toMatchObject({ rule: 'finance-gold', policy: 'gold' });
    expect(bronze.after['acme/web#4']).toMatchObject({ rule: 'urgent-bronze', policy: 'bronze', firstResponse: 'running' });
    const page = await (await get('/admin/rules')).text();
    expect([...page.matchAll(/<tr data-rule="([\w-]+)">.*?<td>(\w+)<\/td><td class="num" data-cases="(\d+)">/gs)].map((m) => [m[1], m[2], Number(m[3])])).toEqual([['finance-gold', 'gold', 2], ['urgent-bronze', 'bronze', 1]]);
    // Cases 2 and 3 match no rule: gh's default policy.
    expect(page).toMatch(/<tr data-connection="gh">.*?<td>standard<\/td><td class="num" data-cases="2">/s);
  });

  it('reorders a rule: the preview page first, then the save moves case 1 to the other policy', async () => {
    const id = await idOf('rules', 'urgent-bronze');
    const moved = await previewThenSave(`/admin/rules/${id}/move`, { direction: 'up' }, '/admin/rules');
    expect(moved.preview).toMatchObject({ moved: 1, policyMoves: 1, changed: 1, transitions: { 'policy gold > bronze': 1 } });
    expect(moved.after['acme/finance#1']).toMatchObject({ customer: 'Finance', rule: 'urgent-bronze', policy: 'bronze', firstResponse: 'running', resolution: 'running' });
    expect((await listPolicyRules(handle.db)).map((r) => r.name)).toEqual(['urgent-bronze', 'finance-gold']);
    expect(moved.location).toBe('/admin/rules?notice=rule-moved&reassigned=1&changed=1');
    expect(await (await get(moved.location)).text()).toContain('Rules reordered. 1 cases got another customer, rule or policy; 1 had their SLA timers change (state or due time); their writebacks are queued.');
    // The page shown before saving names the new order.
    const page = await (await post(`/admin/rules/${id}/move`, { direction: 'down', intent: 'preview' })).text();
    expect([...page.matchAll(/<li(?: class="current")?>([\w-]+)<\/li>/g)].map((m) => m[1])).toEqual(['finance-gold', 'urgent-bronze']);
  });

  it('moves a case to another customer when a customer is edited to come first', async () => {
    const id = await idOf('customers', 'Marketing');
    const edited = await previewThenSave(`/admin/customers/${id}`, customerFields('Marketing', [['gh', 'label', 'marketing, urgent']], '1'), '/admin/customers');
    expect(edited.preview).toMatchObject({ moved: 1, customerMoves: 1, policyMoves: 0, transitions: { 'customer Finance > Marketing': 1 } });
    expect(edited.after['acme/finance#1']).toMatchObject({ customer: 'Marketing', rule: 'urgent-bronze', policy: 'bronze' });
    expect((await listCustomers(handle.db)).map((c) => c.name)).toEqual(['Marketing', 'Finance']);
  });

  it('renames a customer and the rules that name it follow', async () => {
    const id = await idOf('customers', 'Finance');
    const renamed = await previewThenSave(`/admin/customers/${id}`, customerFields('Treasury', [['', 'project', 'acme/finance'], ['', 'label', 'finance']]), '/admin/customers');
    expect(renamed.preview).toMatchObject({ moved: 1, transitions: { 'customer Finance > Treasury': 1 } });
    expect(renamed.after['acme/web#5']).toMatchObject({ customer: 'Treasury', rule: 'finance-gold', policy: 'gold' });
    expect((await listPolicyRules(handle.db)).find((r) => r.name === 'finance-gold')!.when).toEqual({ customer: ['Treasury'] });
  });

  it('refuses bad input with 400 and the field named, and stores nothing', async () => {
    const stored = { customers: await listCustomers(handle.db), rules: await listPolicyRules(handle.db), cases: await storeByKey(), audit: await auditCount() };
    const refused = async (path: string, fields: [string, string][], expected: Record<string, string | RegExp>) => {
      const response = await post(path, [...fields, ['intent', 'save']]);
      expect(response.status, path).toBe(400);
      const page = await response.text();
      const errors = fieldErrorsOf(page);
      for (const [field, message] of Object.entries(expected)) expect(errors[field], `${field} in ${JSON.stringify(errors)}`).toMatch(message);
      expect(page).toContain('Nothing was saved.');
    };
    await refused('/admin/customers', customerFields('Ops', [['', 'planet', 'mars']]), { 'match.0.field': /^"planet" is not a field \(project, label, organization/ });
    await refused('/admin/customers', customerFields('Ops', [['', 'label', ' , ']]), { 'match.0.values': 'is empty' });
    await refused('/admin/customers', customerFields('Ops', []), { match: 'is empty: a customer needs a way to be recognised' });
    // A blank row is left out: the second row is the one named.
    await refused('/admin/customers', customerFields('Ops', [['', '', ''], ['nowhere', 'label', 'ops']]), { 'match.1.connection': '"nowhere" is neither in this file nor stored' });
    await refused('/admin/customers', customerFields('Ops', [['', 'label', 'ops']], '7'), { position: '"7" is not a position (1 to 3)' });
    await refused('/admin/customers', customerFields('Ops team', [['', 'label', 'ops']]), { name: /^"Ops team" is not a name/ });
    await refused('/admin/rules', ruleFields('ops', [['when.labels', 'ops']], 'platinum'), { policy: '"platinum" is neither in this file nor stored' });
    await refused('/admin/rules', ruleFields('ops', [['when.planet', 'mars']], 'gold'), { 'when.planet': 'is not a known field' });
    await refused('/admin/rules', ruleFields('ops', [], 'gold'), { when: /^is empty: a rule needs a condition/ });
    await refused('/admin/rules', ruleFields('ops', [['when.customer', 'Nobody']], 'gold'), { 'when.customer': '"Nobody" is not a customer' });
    // A customer a rule still names is not deleted: the rule is named.
    const treasury = await idOf('customers', 'Treasury');
    const deleting = await post(`/admin/customers/${treasury}/delete`, { intent: 'save' });
    expect(deleting.status).toBe(400);
    expect(await deleting.text()).toContain('rule finance-gold.when.customer[0]: &quot;Treasury&quot; is not a customer');
    expect({ customers: await listCustomers(handle.db), rules: await listPolicyRules(handle.db), cases: await storeByKey(), audit: await auditCount() }).toEqual(stored);
  });

  it('refuses forms without the CSRF token and users who are not admins', async () => {
    const before = { customers: await listCustomers(handle.db), rules: await listPolicyRules(handle.db), audit: await auditCount() };
    expect((await post('/admin/customers', [...customerFields('Ops', [['', 'label', 'ops']]), ['intent', 'save']], admin, null)).status).toBe(403);
    expect((await post('/admin/rules', [...ruleFields('ops', [['when.labels', 'ops']], 'gold'), ['intent', 'save']], admin, 'not-the-token')).status).toBe(403);
    const rule = await idOf('rules', 'finance-gold');
    expect((await post(`/admin/rules/${rule}/delete`, { intent: 'save' }, admin, null)).status).toBe(403);
    expect((await post(`/admin/rules/${rule}/move`, { direction: 'down', intent: 'save' }, admin, null)).status).toBe(403);
    expect((await get('/admin/customers', manager)).status).toBe(403);
    expect((await get('/admin/rules', manager)).status).toBe(403);
    expect((await post('/admin/rules', [...ruleFields('ops', [['when.labels', 'ops']], 'gold'), ['intent', 'save']], manager)).status).toBe(403);
    expect((await post(`/admin/rules/${rule}/delete`, { intent: 'save' }, manager)).status).toBe(403);
    expect({ customers: await listCustomers(handle.db), rules: await listPolicyRules(handle.db), audit: await auditCount() }).toEqual(before);
  });

  it('deletes a rule after its preview, and the cases fall back to the default policy', async () => {
    const id = await idOf('rules', 'finance-gold');
    const page = await (await get(`/admin/rules/${id}/delete`)).text();
    expect(previewOf(page)).toMatchObject({ moved: 1, transitions: { 'policy gold > standard': 1 } });
    const deleted = await previewThenSave(`/admin/rules/${id}/delete`, {}, '/admin/rules');
    expect(deleted.after['acme/web#5']).toMatchObject({ customer: 'Treasury', rule: null, policy: 'standard' });
    expect((await get(`/admin/rules/${id}`)).status).toBe(404);
  });

  it('audits every change as the admin, and the audit page shows customers and rules', async () => {
    const rows = (await handle.db.select().from(auditLog).orderBy(auditLog.id)).map((r) => [r.actor, r.entity, r.action]);
    // customers: Finance, Marketing, Marketing first, the rename; rules: two added, reordered, renamed along, deleted.
    expect(rows.filter(([, e]) => e === 'customers')).toHaveLength(4);
    expect(rows.filter(([, e]) => e === 'rules')).toHaveLength(5);
    expect(new Set(rows.map(([actor]) => actor))).toEqual(new Set(['admin@example.com']));
    const [last] = await handle.db.select().from(auditLog).where(eq(auditLog.entity, 'rules')).orderBy(sql`${auditLog.id} desc`).limit(1);
    expect(last!.before).toEqual([{ name: 'urgent-bronze', when: { labels: ['urgent'], connection: ['gh'] }, policy: 'bronze' }, { name: 'finance-gold', when: { customer: ['Treasury'] }, policy: 'gold' }]);
    expect(last!.after).toEqual([{ name: 'urgent-bronze', when: { labels: ['urgent'], connection: ['gh'] }, policy: 'bronze' }]);
    const page = await (await get('/admin/audit?entity=rules')).text();
    expect([...page.matchAll(/<tr data-entity="rules"/g)]).toHaveLength(5);
    expect(page).toContain('finance-gold');
  });
});
