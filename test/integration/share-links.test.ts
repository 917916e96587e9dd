// Customer SLA pages (issue 6, item 5; issue 7, item 5), both backends: an admin creates a link with
// a CSRF-checked form (only the token's SHA-256 is stored), anyone with the link sees the policy's
// agreement and its compliance this month and last month by severity and by customer (the numbers
// of complianceReport narrowed to the policy, or to one customer), with no ticket data; a revoked
// link answers 410 with nothing of it.
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatPercent } from '../../src/core/compliance.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import type { Role } from '../../src/store/schema/index.ts';
import { cases, customers, policies, shareLinks } from '../../src/store/schema/index.ts';
import { createUser } from '../../src/store/users-repo.ts';
import type { ComplianceReport } from '../../src/sync/report.ts';
import { complianceReport } from '../../src/sync/report.ts';
import { createApp } from '../../src/web/app.ts';
import { hashPassword } from '../../src/web/auth/passwords.ts';
import { storeBackends } from '../helpers/db.ts';
import { NOW, referenceRows, seedReportStore } from './report-seed.ts';
import { signInOverHttp } from '../helpers/listen.ts';

const PASSWORD = 'correct horse battery staple';
const CHEAP = { N: 1024, r: 8, p: 1 };
const APRIL = { fromMs: Date.parse('2027-04-01T00:00:00Z'), toMs: Date.parse('2027-05-01T00:00:00Z') };
const MARCH = { fromMs: Date.parse('2027-03-01T00:00:00Z'), toMs: Date.parse('2027-04-01T00:00:00Z') };

const decode = (text: string) => text.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');

/** A results table's rows: group, metric, severity and the data-field cells. */
function tableRows(page: string, id: string): Record<string, string>[] {
  const table = new RegExp(`<table id="${id}"[\\s\\S]*?</table>`).exec(page)?.[0] ?? '';
  return [...table.matchAll(/<tr class="[^"]*" data-group="([^"]*)" data-metric="(\w+)" data-severity="(\w+)">([\s\S]*?)<\/tr>/g)].map((m) => ({
    group: decode(m[1]!),
    metric: m[2]!,
    severity: m[3]!,
    ...Object.fromEntries([...m[4]!.matchAll(/data-field="(\w+)">([^<]*)</g)].map((f) => [f[1]!, f[2]!])),
  }));
}

const asRows = (report: ComplianceReport) =>
  report.rows.map((r) => ({ group: r.group, metric: r.metric, severity: r.severity, completed: String(r.completed), percentMet: r.percentMet === null ? '–' : `${formatPercent(r.percentMet)}%`, openBreached: String(r.openBreached), openAtRisk: String(r.openAtRisk) }));

describe.each(storeBackends())('customer SLA pages on $name', (backend) => {
  let handle: DatabaseHandle;
  let server: Server;
  let base = '';
  let goldId = 0;
  let standardId = 0;
  let financeId = 0;
  const sessions = new Map<Role, { cookie: string; csrf: string }>();

  const request = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { redirect: 'manual', ...init });

  const signIn = (email: string) => signInOverHttp(base, email, PASSWORD);

  const post = (path: string, role: Role, fields: Record<string, string>) =>
    request(path, { method: 'POST', headers: { cookie: sessions.get(role)!.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });

  /** Creates a link through the admin form; the token shown once on the answer. */
  async function createLink(fields: Record<string, string>) {
    const response = await post('/reports/share-links', 'admin', { _csrf: sessions.get('admin')!.csrf, ...fields });
    expect(response.status).toBe(201);
    const page = await response.text();
    const url = /id="new-link-url" class="share-url" readonly value="([^"]+)"/.exec(page)![1]!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:3000\/sla\/[A-Za-z0-9_-]{43}$/);
    return { token: url.slice(url.lastIndexOf('/') + 1), page };
  }

  beforeAll(async () => {
    handle = await backend.open();
    await seedReportStore(handle);
    for (const role of ['admin', 'manager', 'agent'] as const) await createUser(handle.db, { email: `${role}@example.com`, role, passwordHash: await hashPassword(PASSWORD, CHEAP) });
    goldId = (await handle.db.select().from(policies).where(eq(policies.name, 'gold')))[0]!.id;
    standardId = (await handle.db.select().from(policies).where(eq(policies.name, 'standard')))[0]!.id;
    financeId = (await handle.db.select().from(customers).where(eq(customers.name, 'Finance')))[0]!.id;
    const app = createApp({ handle, enqueueRefreshes: async () => {}, now: () => NOW });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    server.keepAliveTimeout = 120_000;
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const role of ['admin', 'manager'] as const) sessions.set(role, await signIn(`${role}@example.com`));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await handle?.close();
  });

  it('lets only admins manage links, and refuses a form without its CSRF token or with bad fields, storing nothing', async () => {
    const page = await request('/reports/share-links', { headers: { cookie: sessions.get('admin')!.cookie } });
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain(`<option value="${goldId}">gold</option>`);
    expect(text).toContain(`<option value="${financeId}">Finance</option>`);
    expect((await request('/reports/share-links', { headers: { cookie: sessions.get('manager')!.cookie, accept: 'application/json' } })).status).toBe(403);
    expect((await post('/reports/share-links', 'manager', { _csrf: sessions.get('manager')!.csrf, policyId: String(goldId) })).status).toBe(403);
    const noCsrf = await post('/reports/share-links', 'admin', { policyId: String(goldId) });
    expect(noCsrf.status).toBe(403);
    expect(await noCsrf.json()).toMatchObject({ error: 'csrf_failed' });
    const bad = await post('/reports/share-links', 'admin', { _csrf: sessions.get('admin')!.csrf, policyId: 'gold', customerId: 'x', label: 'Finance SLA' });
    expect(bad.status).toBe(400);
    const badPage = await bad.text();
    expect(badPage).toContain('<span class="field-error" id="error-policyId">');
    expect(badPage).toContain('id="error-customerId"');
    expect(badPage).toContain('value="Finance SLA"');
    const unknown = await post('/reports/share-links', 'admin', { _csrf: sessions.get('admin')!.csrf, policyId: '999999' });
    expect(await unknown.text()).toContain('policyId: 999999 is no policy');
    expect(await handle.db.select().from(shareLinks)).toEqual([]);
  });

  it('shows a policy-wide link: the agreement and this and last month by severity and by customer, the numbers of complianceReport, no ticket data', async () => {
    const { token } = await createLink({ policyId: String(standardId), customerId: '', label: 'Standard support <SLA>' });
    // Only the SHA-256 is stored; the token itself is nowhere in the store.
    const [row] = await handle.db.select().from(shareLinks);
    expect(row).toMatchObject({ tokenHash: createHash('sha256').update(token).digest('hex'), policyId: standardId, customerId: null, label: 'Standard support <SLA>', revokedAt: null });
    expect(JSON.stringify(await handle.db.execute(sql`select * from share_links`))).not.toContain(token);

    const response = await request(`/sla/${token}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const page = await response.text();
    expect(page).toContain('<h1>Standard support &lt;SLA&gt;</h1>');
    // The agreement: targets per severity, hours, zone, holidays, objectives.
    expect(page).toContain('<tr data-severity="S1"><th>S1</th><td>1 h</td><td>8 h</td><td>around the clock (24x7)</td><td class="num">99% within target</td></tr>');
    expect(page).toContain('<tr data-severity="S3"><th>S3</th><td>8 h</td><td>2 d</td><td>business hours, Europe/Berlin</td><td class="num">100% within target</td></tr>');
    expect(page).toContain('Time zone <strong>Europe/Berlin</strong>');
    expect(page).toContain('<tr><th>Fri</th><td>09:00–16:00</td></tr>');
    expect(page).toContain('<tr><th>Sat</th><td><span class="muted">closed</span></td></tr>');
    expect(page).toContain('Holidays: 2027-01-01, 2027-04-02');
    // This month (April 2027, to date) and last month (March), each by severity and by customer.
    expect(page).toContain('This month: 2027-04-01 to 2027-04-30 (so far)');
    expect(page).toContain('Last month: 2027-03-01 to 2027-03-31');
    for (const [index, period] of [[0, APRIL], [1, MARCH]] as const) {
      const bySeverity = await complianceReport(handle.db, { ...period, groupBy: 'severity', filter: { policyId: standardId } });
      const byCustomer = await complianceReport(handle.db, { ...period, groupBy: 'customer', filter: { policyId: standardId } });
      expect(bySeverity.rows.map(({ headline: _h, ...r }) => r)).toEqual(await referenceRows(handle, period.fromMs, period.toMs, 'severity', { filter: { policyId: standardId } }));
      expect(byCustomer.rows.map(({ headline: _h, ...r }) => r)).toEqual(await referenceRows(handle, period.fromMs, period.toMs, 'customer', { filter: { policyId: standardId } }));
      expect(tableRows(page, `period-${index}-severity`)).toEqual(asRows(bySeverity));
      expect(tableRows(page, `period-${index}-customer`)).toEqual(asRows(byCustomer));
    }
    const march = await complianceReport(handle.db, { ...MARCH, groupBy: 'customer', filter: { policyId: standardId } });
    // Finance's cases are on gold (its rule): a standard link shows Marketing and the rest only.
    expect(new Set(march.rows.map((r) => r.group))).toEqual(new Set(['Marketing', '(no customer)']));
    expect(march.rows.find((r) => r.severity === 'all' && r.metric === 'resolution')!.completed).toBeGreaterThan(0);
    // No ticket data and no internal links: no keys, titles or URLs, no navigation, no explain link.
    const tickets = await handle.db.select({ key: cases.externalKey, url: cases.url, title: cases.title }).from(cases);
    for (const t of tickets) for (const text of [t.url, t.title, `>${t.key}<`]) expect(page).not.toContain(text);
    expect(page).not.toMatch(/example\.invalid|\/api\/|\/reports|\/admin|site-header|\/signout/);
    expect([...page.matchAll(/href="([^"]+)"/g)].map((m) => m[1])).toEqual(['/assets/app.css']);
  });

  it('narrows a link to one customer: only that customer counts, and no other customer is named', async () => {
    const { token } = await createLink({ policyId: String(goldId), customerId: String(financeId), label: '' });
    const page = await (await request(`/sla/${token}`)).text();
    expect(page).toContain('<h1>gold</h1>');
    expect(page).toContain('for <strong>Finance</strong>');
    for (const [index, period] of [[0, APRIL], [1, MARCH]] as const) {
      const bySeverity = await complianceReport(handle.db, { ...period, groupBy: 'severity', filter: { policyId: goldId, customerId: financeId } });
      expect(bySeverity.rows.map(({ headline: _h, ...r }) => r)).toEqual(await referenceRows(handle, period.fromMs, period.toMs, 'severity', { filter: { policyId: goldId, customerId: financeId } }));
      expect(tableRows(page, `period-${index}-severity`)).toEqual(asRows(bySeverity));
      expect(page).not.toContain(`id="period-${index}-customer"`);
    }
    expect((await complianceReport(handle.db, { ...MARCH, groupBy: 'severity', filter: { policyId: goldId, customerId: financeId } })).rows.length).toBeGreaterThan(0);
    expect(page).not.toMatch(/Marketing|\(no customer\)/);
  });

  it('revokes a link: 410 with no data from then on; an unknown token is 404', async () => {
    const { token } = await createLink({ policyId: String(standardId), label: 'to revoke' });
    expect((await request(`/sla/${token}`)).status).toBe(200);
    const [link] = await handle.db.select().from(shareLinks).where(eq(shareLinks.label, 'to revoke'));
    expect((await post(`/reports/share-links/${link!.id}/revoke`, 'admin', {})).status).toBe(403);
    expect((await post(`/reports/share-links/${link!.id}/revoke`, 'manager', { _csrf: sessions.get('manager')!.csrf })).status).toBe(403);
    const revoked = await post(`/reports/share-links/${link!.id}/revoke`, 'admin', { _csrf: sessions.get('admin')!.csrf });
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get('location')).toBe(`/reports/share-links?revoked=${link!.id}`);
    expect((await handle.db.select().from(shareLinks).where(eq(shareLinks.id, link!.id)))[0]!.revokedAt).toEqual(new Date(NOW));
    const gone = await request(`/sla/${token}`);
    expect(gone.status).toBe(410);
    const body = await gone.text();
    expect(body).toContain('The link was revoked.');
    expect(body).not.toMatch(/standard|to revoke|Europe\/Berlin|within target|data-severity/);
    // Revoking again changes nothing; an unknown id is 404.
    expect((await post(`/reports/share-links/${link!.id}/revoke`, 'admin', { _csrf: sessions.get('admin')!.csrf })).status).toBe(303);
    expect((await post('/reports/share-links/999999/revoke', 'admin', { _csrf: sessions.get('admin')!.csrf })).status).toBe(404);
    const list = await (await request('/reports/share-links', { headers: { cookie: sessions.get('admin')!.cookie } })).text();
    expect(list).toMatch(new RegExp(`<tr data-link="${link!.id}"><td>to revoke</td>[\\s\\S]*?<span class="lozenge fail">revoked</span>`));
    for (const path of ['/sla/not-a-token', `/sla/${'A'.repeat(43)}`, `/sla/${token.slice(0, -1)}B`]) {
      const response = await request(path);
      expect(response.status, path).toBe(404);
      expect(await response.text()).toContain('No SLA page has this link.');
    }
  });
});
