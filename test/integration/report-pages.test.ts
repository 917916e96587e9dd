// /reports and its tables' APIs (issue 6, item 3; issue 7, item 5) on a seeded store, both backends:
// the page's numbers are the JSON API's, which are core's computeCompliance over the stored
// outcomes; the trend, breach and open lists agree with the compliance counts; every table has
// JSON and CSV; metric_states' copies of a case's agreement follow the case when it moves.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complianceHeadline, formatPercent } from '../../src/core/compliance.ts';
import { createApiToken } from '../../src/store/api-tokens-repo.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { REPORT_GROUPS } from '../../src/store/report-repo.ts';
import type { Role } from '../../src/store/schema/index.ts';
import { cases, metricStates } from '../../src/store/schema/index.ts';
import { createUser } from '../../src/store/users-repo.ts';
import { applyConfig } from '../../src/sync/config.ts';
import type { CaseList } from '../../src/sync/report-lists.ts';
import type { ComplianceTrend } from '../../src/sync/report-trend.ts';
import type { ComplianceReport } from '../../src/sync/report.ts';
import { complianceReport } from '../../src/sync/report.ts';
import { createApp } from '../../src/web/app.ts';
import { newSecret, secretDigest } from '../../src/web/auth/tokens.ts';
import { storeBackends } from '../helpers/db.ts';
import { CONFIG, NOW, Q_FROM, Q_TO, referenceRows, seedReportStore } from './report-seed.ts';

const decode = (text: string) => text.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');

/** The page's headline lines: [metric, severity, text]. */
function headlines(page: string): [string, string, string][] {
  return [...page.matchAll(/<li[^>]*data-headline data-group="[^"]*" data-metric="(\w+)" data-severity="(\w+)">([^<]*)<\/li>/g)].map((m) => [m[1]!, m[2]!, decode(m[3]!)]);
}

/** A compliance table's rows as { group, metric, severity, completed, met, breached, percentMet, openBreached, openAtRisk } texts. */
function tableRows(page: string, id: string): Record<string, string>[] {
  const table = new RegExp(`<table id="${id}"[\\s\\S]*?</table>`).exec(page)?.[0] ?? '';
  return [...table.matchAll(/<tr class="[^"]*" data-group="([^"]*)" data-metric="(\w+)" data-severity="(\w+)">([\s\S]*?)<\/tr>/g)].map((m) => {
    const fields = Object.fromEntries([...m[4]!.matchAll(/data-field="(\w+)">([^<]*)</g)].map((f) => [f[1]!, f[2]!]));
    return { group: decode(m[1]!), metric: m[2]!, severity: m[3]!, ...fields };
  });
}

const percent = (v: number | null) => (v === null ? '–' : `${formatPercent(v)}%`);
const asTable = (report: ComplianceReport) =>
  report.rows.map((r) => ({ group: r.group, metric: r.metric, severity: r.severity, completed: String(r.completed), met: String(r.met), breached: String(r.breached), percentMet: percent(r.percentMet), openBreached: String(r.openBreached), openAtRisk: String(r.openAtRisk) }));

function parseCsv(text: string): string[][] {
  // Enough for these exports: quoted fields may hold commas and doubled quotes, not line breaks.
  return text
    .trimEnd()
    .split('\r\n')
    .map((line) => {
      const fields: string[] = [];
      let i = 0;
      for (;;) {
        if (line[i] === '"') {
          let end = i + 1;
          while (!(line[end] === '"' && line[end + 1] !== '"')) end += line[end] === '"' ? 2 : 1;
          fields.push(line.slice(i + 1, end).replaceAll('""', '"'));
          i = end + 1;
        } else {
          const comma = line.indexOf(',', i);
          fields.push(line.slice(i, comma === -1 ? undefined : comma));
          i = comma === -1 ? line.length : comma;
        }
        if (line[i] !== ',') return fields;
        i++;
      }
    });
}

describe.each(storeBackends())('report page and tables on $name', (backend) => {
  let handle: DatabaseHandle;
  let server: Server;
  let base = '';
  const tokens = new Map<Role, string>();

  beforeAll(async () => {
    handle = await backend.open();
    await seedReportStore(handle);
    for (const role of ['agent', 'manager', 'admin'] as const) {
      const user = (await createUser(handle.db, { email: `${role}@example.com`, role, passwordHash: null }))!;
      const secret = newSecret('sla_');
      await createApiToken(handle.db, { userId: user.id, tokenHash: secretDigest(secret), prefix: secret.slice(0, 10) });
      tokens.set(role, secret);
    }
    const app = createApp({ handle, enqueueRefreshes: async () => {}, now: () => NOW });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    // A config apply takes seconds on a busy machine: keep fetch's pooled connection open meanwhile.
    server.keepAliveTimeout = 120_000;
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await handle?.close();
  });

  const get = (path: string, role: Role = 'manager', accept = 'application/json') => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${tokens.get(role)}`, accept } });
  const json = async <T,>(path: string): Promise<T> => {
    const response = await get(path);
    expect(response.status, path).toBe(200);
    return (await response.json()) as T;
  };
  const quarter = 'from=2027-01-01&to=2027-04-01';

  it('shows on /reports the numbers of the JSON API, which are computeCompliance over the stored outcomes', async () => {
    const response = await get(`/reports?period=custom&${quarter}`, 'manager', 'text/html');
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('data-from="2027-01-01T00:00:00Z" data-to="2027-04-01T00:00:00Z"');
    expect(page).toContain('2027-01-01 00:00 UTC');
    const tableIds = { severity: 'by-severity', source: 'by-source', connection: 'by-connection', customer: 'by-customer' } as const;
    for (const groupBy of REPORT_GROUPS) {
      const api = await json<ComplianceReport>(`/api/reports/compliance?${quarter}&groupBy=${groupBy}`);
      expect(api.rows.map(({ headline: _h, ...r }) => r)).toEqual(await referenceRows(handle, Q_FROM, Q_TO, groupBy));
      expect(api.rows.length).toBeGreaterThan(0);
      expect(tableRows(page, tableIds[groupBy])).toEqual(asTable(api));
      if (groupBy === 'severity') {
        // The headline: "S1: 100% of 42 resolved within target (objective 100%) PASS", both metrics.
        // Resolution's card first, then first response's.
        const ordered = [...api.rows.filter((r) => r.metric === 'resolution'), ...api.rows.filter((r) => r.metric === 'firstResponse')];
        expect(headlines(page)).toEqual(ordered.map((r) => [r.metric, r.severity, r.headline]));
        for (const r of api.rows) expect(r.headline).toBe(complianceHeadline(r));
        expect(headlines(page).map((h) => h[2])).toEqual(expect.arrayContaining([expect.stringMatching(/^S\d: [\d.]+% of \d+ resolved within target \(objective [\d.]+%\) (PASS|FAIL)$/), expect.stringMatching(/first responses within target/)]));
      }
    }
    const bySource = await json<ComplianceReport>(`/api/reports/compliance?${quarter}&groupBy=source`);
    expect(new Set(bySource.rows.map((r) => r.group))).toEqual(new Set(['github', 'jira', 'zendesk']));
    const byCustomer = await json<ComplianceReport>(`/api/reports/compliance?${quarter}&groupBy=customer`);
    expect(new Set(byCustomer.rows.map((r) => r.group))).toEqual(new Set(['Finance', 'Marketing', '(no customer)']));
    // Every table links its JSON and CSV export; the chart library comes from the app itself.
    for (const link of ['/api/reports/compliance?from=2027-01-01&amp;to=2027-04-01&amp;groupBy=customer', '/api/reports/trend.csv?from=2027-01-01&amp;to=2027-04-01&amp;bucket=week', '/api/reports/breaches.csv?', '/api/reports/at-risk.csv?']) expect(page).toContain(link);
    expect(page).toContain('<script src="/assets/vendor/chart.umd.min.js" defer></script>');
    expect(page).not.toMatch(/<script>|<script [^s]|https?:\/\/cdn/);
  });

  it('picks week, month and quarter presets holding a date, with the bounds shown and links one period back and forth', async () => {
    const cases: [string, string, string][] = [
      ['period=quarter&at=2027-02-10', '2027-01-01T00:00:00Z', '2027-04-01T00:00:00Z'],
      ['period=month&at=2027-02-10', '2027-02-01T00:00:00Z', '2027-03-01T00:00:00Z'],
      // 2027-02-10 is a Wednesday: the week starts on Monday the 8th.
      ['period=week&at=2027-02-10', '2027-02-08T00:00:00Z', '2027-02-15T00:00:00Z'],
      // No date: the period holding the app's clock (2027-04-10).
      ['period=month', '2027-04-01T00:00:00Z', '2027-05-01T00:00:00Z'],
      ['', '2027-04-01T00:00:00Z', '2027-05-01T00:00:00Z'],
    ];
    for (const [query, from, to] of cases) {
      const page = await (await get(`/reports?${query}`, 'manager', 'text/html')).text();
      expect(page, query).toContain(`id="period-bounds" data-from="${from}" data-to="${to}"`);
      const api = await json<ComplianceReport>(`/api/reports/compliance?from=${from}&to=${to}`);
      expect(headlines(page).map((h) => h[2]).sort()).toEqual(api.rows.map((r) => r.headline).sort());
    }
    const quarterPage = await (await get('/reports?period=quarter&at=2027-02-10', 'manager', 'text/html')).text();
    expect(quarterPage).toContain('href="/reports?period=quarter&amp;at=2026-10-01"');
    expect(quarterPage).toContain('href="/reports?period=quarter&amp;at=2027-04-01"');
    const refused: [string, string][] = [
      ['period=custom&from=2027-01-01', 'to: is required'],
      ['period=year', 'period: &quot;year&quot; is not one of week, month, quarter, custom'],
      ['period=custom&from=2027-03-01&to=2027-01-01', 'to: &quot;2027-01-01&quot; is not after from'],
      ['period=custom&from=2000-01-01&to=2027-01-01&bucket=week', 'bucket: &quot;week&quot; gives more than 400 points'],
    ];
    for (const [query, message] of refused) {
      const response = await get(`/reports?${query}`, 'manager', 'text/html');
      expect(response.status, query).toBe(400);
      const page = await response.text();
      expect(page).toContain(message);
      expect(page).not.toContain('id="by-severity"');
    }
  });

  it('gives a trend whose every bucket is the compliance report of that bucket alone, in JSON and CSV', async () => {
    for (const bucket of ['week', 'month'] as const) {
      const trend = await json<ComplianceTrend>(`/api/reports/trend?${quarter}&bucket=${bucket}`);
      expect(trend.buckets.length).toBe(bucket === 'week' ? 14 : 3);
      // The first week of 2027 starts on Monday 2026-12-28, clipped to the period.
      expect(trend.buckets[0]).toEqual(bucket === 'week' ? { from: '2027-01-01T00:00:00Z', to: '2027-01-04T00:00:00Z' } : { from: '2027-01-01T00:00:00Z', to: '2027-02-01T00:00:00Z' });
      expect(trend.buckets.at(-1)!.to).toBe('2027-04-01T00:00:00Z');
      for (const b of trend.buckets) {
        const alone = await complianceReport(handle.db, { fromMs: Date.parse(b.from), toMs: Date.parse(b.to), groupBy: 'severity' });
        const expected = alone.rows.filter((r) => r.completed > 0 || r.severity === 'all').filter((r) => alone.rows.some((x) => x.metric === r.metric && x.completed > 0));
        const got = trend.rows.filter((r) => r.bucketFrom === b.from);
        expect(got.map(({ bucketFrom: _f, bucketTo: _t, ...r }) => r), b.from).toEqual(expected.map(({ group: _g, openBreached: _b, openAtRisk: _a, headline: _h, ...r }) => r));
      }
      const csv = await get(`/api/reports/trend.csv?${quarter}&bucket=${bucket}`);
      expect(csv.headers.get('content-disposition')).toBe(`attachment; filename=trend-${bucket}-2027-01-01-2027-04-01.csv`);
      const [header, ...lines] = parseCsv(await csv.text());
      expect(header).toEqual(['bucketFrom', 'bucketTo', 'metric', 'severity', 'completed', 'met', 'breached', 'percentMet', 'objectivePercent', 'objectiveMixed', 'pass']);
      expect(lines).toEqual(trend.rows.map((r) => [r.bucketFrom, r.bucketTo, r.metric, r.severity, r.completed, r.met, r.breached, r.percentMet ?? '', r.objectivePercent ?? '', r.objectiveMixed, r.pass ?? ''].map(String)));
    }
    // Without a bucket: weeks for a quarter, months for a year.
    expect((await json<ComplianceTrend>(`/api/reports/trend?${quarter}`)).bucket).toBe('week');
    expect((await json<ComplianceTrend>('/api/reports/trend?from=2026-04-01&to=2027-04-01')).bucket).toBe('month');
  });

  it('lists the breaches behind the breached counts and the open cases behind the open counts, with ticket and explain links', async () => {
    const bySeverity = await json<ComplianceReport>(`/api/reports/compliance?${quarter}`);
    const total = (key: 'breached' | 'openBreached' | 'openAtRisk') => bySeverity.rows.filter((r) => r.severity === 'all').reduce((n, r) => n + r[key], 0);
    const breaches = await json<CaseList>(`/api/reports/breaches?${quarter}&limit=10000`);
    expect(breaches.total).toBe(total('breached'));
    expect(breaches.rows.length).toBe(breaches.total);
    expect(breaches.total).toBeGreaterThan(20);
    for (const r of breaches.rows) {
      expect(r.state).toBe('breached');
      expect(Date.parse(r.completedAt!)).toBeGreaterThanOrEqual(Q_FROM);
      expect(Date.parse(r.completedAt!)).toBeLessThan(Q_TO);
      expect(r.url).toMatch(/^https:\/\/example\.invalid\/(gh|zd|jira)\/\d+$/);
      expect(r.explainUrl).toBe(`/api/cases/${r.caseId}/explain`);
    }
    // Latest completion first; per metric the counts are the report's.
    expect(breaches.rows.map((r) => r.completedAt)).toEqual([...breaches.rows.map((r) => r.completedAt)].sort().reverse());
    for (const metric of ['firstResponse', 'resolution'] as const) {
      expect(breaches.rows.filter((r) => r.metric === metric).length).toBe(bySeverity.rows.find((r) => r.metric === metric && r.severity === 'all')!.breached);
    }
    const paged = await json<CaseList>(`/api/reports/breaches?${quarter}&limit=5&offset=5`);
    expect(paged).toMatchObject({ total: breaches.total, limit: 5, offset: 5 });
    expect(paged.rows).toEqual(breaches.rows.slice(5, 10));

    const open = await json<CaseList>('/api/reports/at-risk?limit=10000');
    expect(open.total).toBe(total('openBreached') + total('openAtRisk'));
    expect(open.rows.filter((r) => r.state === 'breached').length).toBe(total('openBreached'));
    expect(open.rows.filter((r) => r.state === 'at_risk').map((r) => [r.key, r.metric, r.severity])).toEqual([['GH-AT-RISK', 'resolution', 'S1']]);
    expect(total('openAtRisk')).toBe(1);
    expect(open.rows.every((r) => r.completedAt === null && ['breached', 'at_risk'].includes(r.state))).toBe(true);
    // Breached first.
    expect(open.rows.map((r) => r.state)).toEqual([...open.rows.filter((r) => r.state === 'breached'), ...open.rows.filter((r) => r.state === 'at_risk')].map((r) => r.state));

    for (const [path, list] of [[`/api/reports/breaches.csv?${quarter}&limit=10000`, breaches], ['/api/reports/at-risk.csv?limit=10000', open]] as const) {
      const csv = await get(path);
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      const [header, ...lines] = parseCsv(await csv.text());
      expect(header).toEqual(['caseId', 'connection', 'source', 'key', 'title', 'url', 'explainUrl', 'customer', 'status', 'metric', 'state', 'severity', 'dueAt', 'atRiskAt', 'breachedAt', 'completedAt']);
      expect(lines).toEqual(list.rows.map((r) => [r.caseId, r.connection, r.source, r.key, r.title, r.url, r.explainUrl, r.customer ?? '', r.status, r.metric, r.state, r.severity, r.dueAt ?? '', r.atRiskAt ?? '', r.breachedAt ?? '', r.completedAt ?? ''].map(String)));
    }

    // The page shows the first 100 of each, linking the ticket and its explanation.
    const page = await (await get(`/reports?period=custom&${quarter}`, 'manager', 'text/html')).text();
    const first = breaches.rows[0]!;
    expect(page).toContain(`<a href="${first.url}" rel="noopener noreferrer" target="_blank">${first.key}</a>`);
    expect(page).toContain(`<a href="/api/cases/${first.caseId}/explain">explain</a>`);
    expect(page).toContain(breaches.total > 100 ? `The first 100 of ${breaches.total}` : `${breaches.total} in all.`);
    const breachTable = /<table id="breach-list"[\s\S]*?<\/table>/.exec(page)![0];
    expect([...breachTable.matchAll(/<tr data-case="(\d+)" data-metric="(\w+)">/g)].map((m) => [Number(m[1]), m[2]])).toEqual(breaches.rows.slice(0, 100).map((r) => [r.caseId, r.metric]));
    const openTable = /<table id="open-list"[\s\S]*?<\/table>/.exec(page)![0];
    expect([...openTable.matchAll(/<tr data-case="(\d+)" data-metric="(\w+)">/g)].map((m) => [Number(m[1]), m[2]])).toEqual(open.rows.slice(0, 100).map((r) => [r.caseId, r.metric]));
  });

  it('refuses bad table queries with 400 naming the field', async () => {
    const refused: [string, string[]][] = [
      ['/api/reports/trend?from=2027-01-01', ['to']],
      ['/api/reports/trend?from=2027-01-01&to=2027-04-01&bucket=day', ['bucket']],
      ['/api/reports/trend?from=1990-01-01&to=2027-04-01&bucket=week', ['bucket']],
      ['/api/reports/breaches?from=2027-01-01&to=2027-04-01&limit=0', ['limit']],
      ['/api/reports/breaches?from=2027-01-01&to=2027-04-01&limit=10001', ['limit']],
      ['/api/reports/breaches.csv?from=2027-04-01&to=2027-01-01', ['to']],
      ['/api/reports/at-risk?offset=-1', ['offset']],
      ['/api/reports/at-risk.csv?state=open', ['state']],
    ];
    for (const [path, fields] of refused) {
      const response = await get(path);
      expect(response.status, path).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'bad_request', fields });
    }
  });

  it('moves a case in the report when it moves to another customer (metric_states follows its case)', async () => {
    // Finance is now recognised by the "marketing" label too, and comes first: Marketing's cases move.
    const moved = { ...CONFIG, customers: [{ name: 'Finance', match: [{ field: 'label', values: ['finance', 'marketing'] }] }, CONFIG.customers[1]!] };
    await applyConfig(handle, moved, () => NOW);
    const byCustomer = await json<ComplianceReport>(`/api/reports/compliance?${quarter}&groupBy=customer`);
    expect(byCustomer.rows.map(({ headline: _h, ...r }) => r)).toEqual(await referenceRows(handle, Q_FROM, Q_TO, 'customer'));
    expect(byCustomer.rows.some((r) => r.group === 'Marketing')).toBe(false);
    // The copies equal their case's columns, every one of them.
    const rows = await handle.db.select({ ms: metricStates, c: cases }).from(metricStates).innerJoin(cases, eq(cases.id, metricStates.caseId));
    expect(rows.filter((r) => r.ms.customerId !== r.c.customerId || r.ms.policyId !== r.c.policyId || r.ms.connectionId !== r.c.connectionId)).toEqual([]);
    await applyConfig(handle, CONFIG, () => NOW);
    expect((await json<ComplianceReport>(`/api/reports/compliance?${quarter}&groupBy=customer`)).rows.map(({ headline: _h, ...r }) => r)).toEqual(await referenceRows(handle, Q_FROM, Q_TO, 'customer'));
  });

  it('answers 403 to agents on every report route', async () => {
    for (const path of ['/reports', `/api/reports/trend?${quarter}`, `/api/reports/breaches?${quarter}`, '/api/reports/at-risk', '/api/reports/at-risk.csv', '/reports/share-links']) {
      expect((await get(path, 'agent')).status, path).toBe(403);
    }
    expect((await get('/reports/share-links', 'manager')).status).toBe(403);
    expect((await fetch(`${base}/reports`, { headers: { accept: 'application/json' } })).status).toBe(401);
  });
});
