// The compliance report (issue 6) and the explain endpoint (issue 7) on a store seeded with a few
// hundred cases of three connections, two policies and two customers (report-seed.ts): the SQL GROUP BY path gives
// exactly core's computeCompliance over the same stored outcomes, the JSON API, the CSV export and
// `sla-sync report` print those numbers, and bad queries are refused naming the field.
import type { Server } from 'node:http';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complianceHeadline } from '../../src/core/compliance.ts';
import { compute } from '../../src/core/compute.ts';
import type { CaseEvent, MetricName, Severity } from '../../src/core/types.ts';
import { METRICS } from '../../src/core/types.ts';
import { createApiToken } from '../../src/store/api-tokens-repo.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { getMetricStates } from '../../src/store/metric-states-repo.ts';
import type { ReportGroupBy } from '../../src/store/report-repo.ts';
import { NO_CUSTOMER, REPORT_GROUPS } from '../../src/store/report-repo.ts';
import type { Role } from '../../src/store/schema/index.ts';
import { cases, policies } from '../../src/store/schema/index.ts';
import { createUser } from '../../src/store/users-repo.ts';
import type { CaseExplanation } from '../../src/sync/explain.ts';
import type { ComplianceReport } from '../../src/sync/report.ts';
import { complianceReport } from '../../src/sync/report.ts';
import { createApp } from '../../src/web/app.ts';
import { newSecret, secretDigest } from '../../src/web/auth/tokens.ts';
import { runCli } from '../helpers/cli.ts';
import { storeBackends } from '../helpers/db.ts';
import { NOW, Q_FROM, Q_TO, referenceRows, seedReportStore, tickets } from './report-seed.ts';
import { listenOnLoopback } from '../helpers/listen.ts';

describe.each(storeBackends())('compliance report and explain on $name', (backend) => {
  let handle: DatabaseHandle;
  let server: Server;
  let base = '';
  const tokens = new Map<Role, string>();

  beforeAll(async () => {
    handle = await backend.open();
    await seedReportStore(handle);
    for (const role of ['agent', 'manager'] as const) {
      const user = (await createUser(handle.db, { email: `${role}@example.com`, role, passwordHash: null }))!;
      const secret = newSecret('sla_');
      await createApiToken(handle.db, { userId: user.id, tokenHash: secretDigest(secret), prefix: secret.slice(0, 10) });
      tokens.set(role, secret);
    }
    const app = createApp({ handle, enqueueRefreshes: async () => {}, now: () => NOW });
    ({ server, base } = await listenOnLoopback(app));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await handle?.close();
  });

  const get = (path: string, role: Role = 'manager') => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${tokens.get(role)}` } });

  const coreRows = (fromMs: number, toMs: number, groupBy: ReportGroupBy, metric?: MetricName) => referenceRows(handle, fromMs, toMs, groupBy, metric ? { metric } : {});

  const withoutHeadlines = (report: ComplianceReport) => report.rows.map(({ headline: _headline, ...row }) => row);

  it('seeds a store with every severity, met and breached, open and at risk', async () => {
    const all = await coreRows(Q_FROM, Q_TO, 'severity');
    const resolution = all.filter((r) => r.metric === 'resolution' && r.severity !== 'all');
    expect(resolution.map((r) => r.severity)).toEqual(['S1', 'S2', 'S3', 'S4']);
    const total = all.find((r) => r.metric === 'resolution' && r.severity === 'all')!;
    expect(total.met).toBeGreaterThan(50);
    expect(total.breached).toBeGreaterThan(20);
    expect(total.openBreached).toBeGreaterThan(5);
    expect(all.some((r) => r.pass === true) && all.some((r) => r.pass === false)).toBe(true);
    // Mixed objectives (gold and standard cases of one severity): the strictest applies.
    expect(all.some((r) => r.objectiveMixed)).toBe(true);
  });

  const periods: [string, number, number][] = [
    ['the quarter', Q_FROM, Q_TO],
    ['one week', Date.parse('2027-02-01T00:00:00Z'), Date.parse('2027-02-08T00:00:00Z')],
    ['one hour', Date.parse('2027-02-01T10:00:00Z'), Date.parse('2027-02-01T11:00:00Z')],
    ['a year before anything', Date.parse('2025-01-01T00:00:00Z'), Date.parse('2026-01-01T00:00:00Z')],
  ];

  it.each(periods)('gives exactly computeCompliance over the same outcomes for %s, in every grouping', async (_label, fromMs, toMs) => {
    for (const groupBy of REPORT_GROUPS) {
      for (const metric of [undefined, ...METRICS]) {
        const report = await complianceReport(handle.db, { fromMs, toMs, groupBy, ...(metric ? { metric } : {}) });
        expect(withoutHeadlines(report), `${groupBy} ${metric ?? 'both'}`).toEqual(await coreRows(fromMs, toMs, groupBy, metric));
      }
    }
    const bySource = await complianceReport(handle.db, { fromMs, toMs, groupBy: 'source' });
    expect(new Set(bySource.rows.map((r) => r.group))).toEqual(new Set(['github', 'jira', 'zendesk']));
    const byCustomer = await complianceReport(handle.db, { fromMs, toMs, groupBy: 'customer' });
    expect(new Set(byCustomer.rows.map((r) => r.group))).toEqual(new Set(['Finance', 'Marketing', NO_CUSTOMER]));
  });

  it('serves the same numbers from the JSON API, the CSV export and `sla-sync report`', async () => {
    for (const groupBy of REPORT_GROUPS) {
      const query = `from=2027-01-01&to=2027-04-01&groupBy=${groupBy}`;
      const response = await get(`/api/reports/compliance?${query}`);
      expect(response.status).toBe(200);
      const api = (await response.json()) as ComplianceReport;
      expect(api).toMatchObject({ from: '2027-01-01T00:00:00Z', to: '2027-04-01T00:00:00Z', groupBy, metric: 'all' });
      expect(withoutHeadlines(api)).toEqual(await coreRows(Q_FROM, Q_TO, groupBy));
      for (const row of api.rows) expect(row.headline).toBe(complianceHeadline(row));

      const cli = await runCli(['report', '--from', '2027-01-01', '--to', '2027-04-01', '--group-by', groupBy, '--format', 'json'], { database: handle });
      expect(cli.code).toBe(0);
      expect(JSON.parse(cli.stdout)).toEqual(api);

      const csv = await get(`/api/reports/compliance.csv?${query}`);
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(csv.headers.get('content-disposition')).toBe(`attachment; filename=compliance-${groupBy}-2027-01-01-2027-04-01.csv`);
      const text = await csv.text();
      const [header, ...lines] = text.trimEnd().split('\r\n');
      expect(header).toBe('group,metric,severity,completed,met,breached,percentMet,objectivePercent,objectiveMixed,pass,openBreached,openAtRisk,headline');
      expect(lines.map((line) => line.split(',').slice(0, 12))).toEqual(
        api.rows.map((r) => [r.group, r.metric, r.severity, r.completed, r.met, r.breached, r.percentMet ?? '', r.objectivePercent ?? '', r.objectiveMixed, r.pass ?? '', r.openBreached, r.openAtRisk].map(String)),
      );
      const cliCsv = await runCli(['report', '--from', '2027-01-01', '--to', '2027-04-01', '--group-by', groupBy, '--format', 'csv'], { database: handle });
      expect(cliCsv.stdout).toBe(text);
    }
  });

  it('prints the headlines as a table', async () => {
    const cli = await runCli(['report', '--from', '2027-01-01', '--to', '2027-04-01T00:00:00Z'], { database: handle });
    expect(cli.code).toBe(0);
    const report = await complianceReport(handle.db, { fromMs: Q_FROM, toMs: Q_TO, groupBy: 'severity' });
    const lines = cli.stdout.split('\n');
    expect(lines[0]).toBe('Compliance 2027-01-01T00:00:00Z to 2027-04-01T00:00:00Z');
    expect(lines).toContain('first response');
    expect(lines).toContain('resolution');
    for (const row of report.rows) expect(lines.some((line) => line.startsWith(`  ${row.headline}`))).toBe(true);
    expect(cli.stdout).toMatch(/^ {2}S1: [\d.]+% of \d+ resolved within target \(objective 100%\) (PASS|FAIL)/m);
    const bySource = await runCli(['report', '--from', '2027-01-01', '--to', '2027-04-01', '--group-by', 'source', '--metric', 'resolution'], { database: handle });
    expect(bySource.stdout.split('\n')).toEqual(expect.arrayContaining(['github: resolution', 'jira: resolution', 'zendesk: resolution']));
    expect(bySource.stdout).not.toContain('first response');
  });

  it('refuses bad queries with 400 naming the field (API) and exit code 2 (CLI)', async () => {
    const cases: [string, string[], string][] = [
      ['to=2027-04-01', ['from'], 'from: is required'],
      ['from=yesterday&to=2027-04-01', ['from'], 'from: "yesterday" is not a date (YYYY-MM-DD) or an ISO 8601 instant with an offset'],
      ['from=2027-02-30&to=2027-04-01', ['from'], 'from: "2027-02-30" is not a date'],
      ['from=2027-01-01T00:00:00&to=2027-04-01', ['from'], 'from: "2027-01-01T00:00:00" is not a date'],
      ['from=2027-04-01&to=2027-01-01', ['to'], 'to: "2027-01-01T00:00:00Z" is not after from'],
      ['from=2027-01-01&to=2027-04-01&groupBy=team', ['groupBy'], 'groupBy: "team" is not one of severity, source, connection, customer'],
      ['from=2027-01-01&to=2027-04-01&metric=speed', ['metric'], 'metric: "speed" is not one of firstResponse, resolution'],
      ['from=2027-01-01&to=2027-04-01&groupby=source', ['groupby'], 'groupby: is not a known field'],
      ['from=2027-01-01&from=2027-02-01&to=2027-04-01', ['from'], 'from: ["2027-01-01","2027-02-01"]'],
    ];
    for (const [query, fields, message] of cases) {
      for (const path of ['/api/reports/compliance', '/api/reports/compliance.csv']) {
        const response = await get(`${path}?${query}`);
        expect(response.status, `${path}?${query}`).toBe(400);
        const body = (await response.json()) as { message: string };
        expect(body).toMatchObject({ error: 'bad_request', fields });
        expect(body.message).toContain(message);
      }
    }
    const cli: [string[], string][] = [
      [['--to', '2027-04-01'], '--from: is required'],
      [['--from', 'yesterday', '--to', '2027-04-01'], '--from: "yesterday" is not a date'],
      [['--from', '2027-01-01', '--to', '2027-04-01', '--group-by', 'team'], '--group-by: "team" is not one of'],
      [['--from', '2027-01-01', '--to', '2027-04-01', '--format', 'xml'], '--format: "xml" is not table, csv or json'],
    ];
    for (const [args, message] of cli) {
      const result = await runCli(['report', ...args], { database: handle });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(message);
    }
  });

  it('explains a stored case over the API, ending in the compute result', async () => {
    // A case with a pause and a reopen, whatever the seed made of it.
    const [row] = await handle.db.select().from(cases).where(eq(cases.externalId, 'gh-0'));
    const picked = tickets('gh', 120, 1).find((t) => t.events.some((e) => e.type === 'status' && e.status === 'pending') && t.events.filter((e) => e.type === 'status' && e.status === 'solved').length === 2)!;
    const [target] = await handle.db.select().from(cases).where(eq(cases.externalId, picked.externalId));
    expect(row && target).toBeTruthy();
    const now = '2027-04-10T00:00:00Z';
    const response = await get(`/api/cases/${target!.id}/explain?now=${now}`, 'agent');
    expect(response.status).toBe(200);
    const explanation = (await response.json()) as CaseExplanation;
    const [policy] = await handle.db.select().from(policies).where(eq(policies.id, target!.policyId!));
    expect(explanation).toMatchObject({ case: { id: target!.id, externalKey: picked.externalKey, connection: 'gh' }, policy: policy!.name, now });
    // compute() on the same events, with the priorities mapped as the connection maps them.
    const severityOf = (raw: string | null): Severity | undefined => ({ P1: 'S1', P2: 'S2', P4: 'S4' } as Record<string, Severity>)[raw ?? ''];
    const events: CaseEvent[] = picked.events.map((e) => {
      switch (e.type) {
        case 'created': {
          const severity = severityOf(e.rawPriority);
          return { at: e.at, type: 'created', status: e.status, ...(severity ? { severity } : {}) };
        }
        case 'priority':
          return { at: e.at, type: 'severity', severity: severityOf(e.rawPriority) ?? 'S3' };
        case 'status':
          return { at: e.at, type: 'status', status: e.status };
        case 'agent_reply':
          return { at: e.at, type: 'agent_reply' };
      }
    });
    const expected = compute({ now, policy: policy!.definition, case: { events } });
    expect(explanation.result).toEqual(expected);
    expect((await getMetricStates(handle.db, target!.id))!.metrics).toEqual(expected.metrics);
    const changes = explanation.steps.flatMap((s) => s.effects.map((e) => e.change));
    expect(changes).toEqual(expect.arrayContaining(['started', 'paused', 'resumed', 'completed', 'reopened']));
    // Without ?now the app's clock is used.
    expect(((await (await get(`/api/cases/${target!.id}/explain`, 'agent')).json()) as CaseExplanation).now).toBe(now);
  });

  it('refuses a bad case id or instant with 400 naming it, and an unknown case with 404', async () => {
    const refused: [string, string[]][] = [
      ['/api/cases/abc/explain', ['id']],
      ['/api/cases/0/explain', ['id']],
      ['/api/cases/1/explain?now=tomorrow', ['now']],
      ['/api/cases/1/explain?when=2027-01-01', ['when']],
    ];
    for (const [path, fields] of refused) {
      const response = await get(path, 'agent');
      expect(response.status, path).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'bad_request', fields });
    }
    const missing = await get('/api/cases/999999/explain', 'agent');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found', message: 'no case with id 999999' });
  });
});
