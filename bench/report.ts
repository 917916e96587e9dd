// Benchmark section "report" (issue 6, Acceptance: "the compliance report over 1,000,000 cases and
// 10,000,000 events in Postgres for one quarter, grouped by severity and source (target under 300
// ms ...), and the same on PGlite for 100,000 cases").
//
// Each store gets a database of its own (Postgres: created and dropped, as test/helpers/db.ts does;
// PGlite: in memory), migrated, then filled with set-based SQL (generate_series, one statement per
// table, foreign-key triggers off for the load): six connections (two per source), two policies,
// eight customers, a year of cases (2026), ten events per case and both metric states per case:
// a backlog as a help desk has one, 1% of older cases and 60% of the last three weeks' still open
// (running, at risk, breached or paused), ~12% of completions breached. Then `complianceReport` — what the API, the CLI and /reports call — runs for Q3 2026
// grouped by severity and by source: one untimed warm-up, then RUNS timed runs (median and best).
import { sql } from 'drizzle-orm';
import type { DatabaseHandle } from '../src/store/db.ts';
import { migrateDatabase, openDatabase, withTransaction } from '../src/store/db.ts';
import { upsertPolicy } from '../src/store/policies-repo.ts';
import type { ReportGroupBy } from '../src/store/report-repo.ts';
import { complianceReport } from '../src/sync/report.ts';
import { storeBackends } from '../test/helpers/db.ts';
import { fmtInt, table } from './corpus.ts';

const TARGET_MS = 300;
const RUNS = 7;
const EVENTS_PER_CASE = 10;
const QUARTER = { fromMs: Date.UTC(2026, 6, 1), toMs: Date.UTC(2026, 9, 1) };
const YEAR_FROM = '2026-01-01T00:00:00Z';

const targets = (fr: number, res: number, objectivePercent: number) => ({ firstResponseMinutes: fr, resolutionMinutes: res, objectivePercent });

/** Fills an empty, migrated store with `cases` cases, ten events and two metric states each. */
export async function seed(handle: DatabaseHandle, cases: number): Promise<void> {
  const standard = await upsertPolicy(handle.db, 'standard', {
    calendar: '24x7',
    severities: { S1: targets(60, 480, 99), S2: targets(120, 960, 95), S3: targets(480, 2880, 90), S4: targets(960, 5760, 85) },
    defaultSeverity: 'S3',
  });
  const gold = await upsertPolicy(handle.db, 'gold', {
    calendar: '24x7',
    severities: { S1: targets(30, 240, 100), S2: targets(60, 480, 98), S3: targets(240, 1440, 95), S4: targets(480, 2880, 90) },
    defaultSeverity: 'S3',
  });
  const n = cases;
  const spacing = (365 * 86_400) / n;
  await withTransaction(handle, async (tx) => {
    const run = (text: string) => tx.execute(sql.raw(text));
    // A bulk load into fresh tables: the rows are made consistent here, so the FK triggers may rest.
    await run(`set local session_replication_role = replica`);
    await run(`select setseed(0.2026)`);
    await run(`insert into connections (name, source, config, policy_id)
      select s || '-' || i, s::source, '{}'::jsonb, ${standard.id}
      from unnest(array['jira','zendesk','github']) with ordinality as x(s, k), generate_series(1, 2) i order by k, i`);
    await run(`insert into customers (name, position, match)
      select 'Customer ' || i, i, '[]'::jsonb from generate_series(1, 8) i`);
    // Case g: created spacing * g seconds into 2026; every fifth on the gold policy; a third with no customer.
    await run(`insert into cases (connection_id, external_id, external_key, url, title, raw_priority, severity, status, created_at, updated_at, customer_id, policy_id)
      select 1 + (g * 7919) % 6, g::text, 'K-' || g, 'https://example.invalid/t/' || g, 'ticket ' || g, 'P' || (1 + (g * 31) % 4),
        ('S' || (1 + (g * 31) % 4))::severity,
        (case when t >= timestamptz '2026-12-10T00:00:00Z' and random() < 0.6 then 'open' when random() < 0.01 then 'open' else 'solved' end)::status,
        t, t + interval '1 day', case when g % 3 = 0 then null else 1 + (g * 13) % 8 end,
        case when g % 5 = 0 then ${gold.id} else ${standard.id} end
      from (select g, timestamptz '${YEAR_FROM}' + make_interval(secs => g * ${spacing}) as t from generate_series(1::bigint, ${n}) g) s`);
    await run(`insert into case_events (case_id, seq, at, type, status)
      select c.id, e, c.created_at + make_interval(mins => e * 37),
        (case when e = 0 then 'created' when e % 3 = 1 then 'agent_reply' else 'status' end)::event_type,
        (case when e = 0 then 'open' when e % 3 = 1 then null when e = ${EVENTS_PER_CASE - 1} then 'solved' when e % 2 = 0 then 'pending' else 'open' end)::status
      from cases c, generate_series(0, ${EVENTS_PER_CASE - 1}) e`);
    // Completed: resolution of solved cases, and 90% of first responses; 88% of those met.
    // The case's columns that the triggers would copy (they rest with the FK triggers here).
    await run(`insert into metric_states (case_id, metric, state, severity, target_seconds, elapsed_seconds, remaining_seconds, due_at, at_risk_at, breached_at, completed_at, evaluated_at, connection_id, policy_id, customer_id)
      select id, metric,
        (case when done then (case when met then 'met' else 'breached' end)
              when r < 0.7 then 'running' when r < 0.85 then 'at_risk' when r < 0.95 then 'breached' else 'paused' end)::metric_state,
        severity, 3600, 1800, 1800, created_at + interval '1 hour', created_at + interval '45 minutes',
        case when (done and not met) or (not done and r >= 0.85 and r < 0.95) then created_at + interval '1 hour' end,
        case when done then created_at + make_interval(mins => (case when met then 30 else 90 end)) end,
        timestamptz '2027-01-01T00:00:00Z', connection_id, policy_id, customer_id
      from (select c.id, c.severity, c.created_at, c.connection_id, c.policy_id, c.customer_id, m.metric,
                   (c.status = 'solved' and m.metric = 'resolution') or (m.metric = 'firstResponse' and random() < 0.9) as done,
                   random() < 0.88 as met, random() as r
            from cases c, (values ('firstResponse'::metric), ('resolution'::metric)) m(metric)) s`);
  });
  // As autovacuum would after a load: statistics, and the visibility map that index-only scans need.
  await handle.db.execute(sql`vacuum analyze`);
}

async function timeReport(handle: DatabaseHandle, groupBy: ReportGroupBy): Promise<{ median: number; best: number; rows: number; completed: number }> {
  const once = async () => {
    const start = performance.now();
    const report = await complianceReport(handle.db, { ...QUARTER, groupBy });
    return { ms: performance.now() - start, report };
  };
  await once();
  const times: number[] = [];
  let last = await once();
  for (let i = 0; i < RUNS; i++) {
    last = await once();
    times.push(last.ms);
  }
  times.sort((a, b) => a - b);
  const completed = last.report.rows.filter((r) => r.severity === 'all').reduce((n, r) => n + r.completed, 0);
  return { median: times[Math.floor(times.length / 2)]!, best: times[0]!, rows: last.report.rows.length, completed };
}

interface Store {
  name: string;
  cases: number;
  target: number | null;
  open(): Promise<DatabaseHandle>;
}

export async function runReportBench(): Promise<string[]> {
  const postgres = storeBackends().find((b) => b.name === 'postgres');
  const list: Store[] = [
    {
      name: 'PGlite, in memory',
      cases: 100_000,
      target: null,
      async open() {
        const handle = await openDatabase({ memory: true });
        await migrateDatabase(handle);
        return handle;
      },
    },
    ...(postgres ? [{ name: 'Postgres', cases: 1_000_000, target: TARGET_MS, open: () => postgres.open() }] : []),
  ];
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const store of list) {
    const handle = await store.open();
    try {
      const start = performance.now();
      await seed(handle, store.cases);
      notes.push(`${store.name}: ${fmtInt(store.cases)} cases, ${fmtInt(store.cases * EVENTS_PER_CASE)} events, ${fmtInt(store.cases * 2)} metric states generated in ${((performance.now() - start) / 1000).toFixed(1)} s`);
      for (const groupBy of ['severity', 'source'] as const) {
        const t = await timeReport(handle, groupBy);
        const verdict = store.target === null ? '-' : `${t.median < store.target ? 'MET' : 'NOT MET'} (< ${store.target} ms)`;
        rows.push([store.name, fmtInt(store.cases), `by ${groupBy}`, fmtInt(t.completed), String(t.rows), t.median.toFixed(1), t.best.toFixed(1), verdict]);
      }
    } finally {
      await handle.close();
    }
  }
  if (!postgres) notes.push('Postgres: skipped: DATABASE_URL not set');
  return [
    `compliance report for Q3 2026 (${new Date(QUARTER.fromMs).toISOString().slice(0, 10)} to ${new Date(QUARTER.toMs).toISOString().slice(0, 10)}) over a year of cases; ${RUNS} timed runs after one warm-up`,
    ...notes,
    '',
    ...table(['store', 'cases', 'report', 'metrics completed in Q3', 'rows', 'median ms', 'best ms', 'target'], rows),
  ];
}
