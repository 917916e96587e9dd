// Benchmark section "sync" (issue 3, "npm run bench adds: sync throughput from the fake API at zero
// latency into PGlite and into Postgres (targets: 2,000 and 5,000 issues/s)").
//
// The fake GitHub API (test/fakes/github, every request checked against the OpenAPI description, as
// in the tests) runs in a child process of its own, so that its work is not billed to sla-sync: on
// loopback with no added latency, as fast as it answers. Its world is seeded: the same issues with
// the same events, comments and labels every run. The connection's rate limit is lifted to the most
// the config file accepts (8 at once, 10,000 requests/s).
//
// Rows, one store each (PGlite in memory, and Postgres when DATABASE_URL is set, in a database of its
// own that is dropped afterwards; PGlite on disk measured within a few percent of in memory and was
// left out to keep the section under a minute):
//   - full sync: runSync from an empty store, what `sla-sync sync` does (the connector reading in
//     its thread, src/sync/change-thread.ts, while this thread stores);
//   - store only: the same pages fetched beforehand, then runSync over them with no vendor to wait
//     for (its page transactions, overlapped on Postgres), so API time and store time are seen apart.
// The "API only" row is the connector's fetchChanges with nothing stored.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ChangePage } from '../src/connectors/types.ts';
import type { DatabaseHandle } from '../src/store/db.ts';
import { migrateDatabase, openDatabase, withTransaction } from '../src/store/db.ts';
import { applyConfig } from '../src/sync/config.ts';
import { loadConnectionRuntime } from '../src/sync/connection.ts';
import { runSync, storeAndEvaluate } from '../src/sync/run-sync.ts';
import { startFakeGithub } from '../test/fakes/github/server.ts';
import { generateWorld } from '../test/fakes/github/world.ts';
import { storeBackends } from '../test/helpers/db.ts';
import { replayingRuntime } from '../test/helpers/replay-pages.ts';
import { PIPELINE_ENV, REPOS, pipelineConfig } from '../test/helpers/github-pipeline.ts';
import { fmtInt, table } from './corpus.ts';

const SEED = 20_260_301;
/** Per repository (two of them); 10% of the items are pull requests, which the sync skips. */
const ITEMS_PER_REPO = 1_150;
/** The most the config file's rateLimit accepts (src/sync/config.ts). */
const RATE_LIMIT = { concurrency: 8, perSecond: 10_000 };
const TARGETS = { pglite: 2_000, postgres: 5_000 } as const;
const FAKE_FLAG = '--fake-github';

interface FakeProcess {
  url: string;
  issues: number;
  nowMs: number;
  child: ChildProcess;
}

/** Starts the fake API in its own process (this file, run with FAKE_FLAG). */
async function startFakeProcess(): Promise<FakeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), FAKE_FLAG], { stdio: ['ignore', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    child.once('exit', (code) => reject(new Error(`the fake GitHub process exited (${code}) before it listened`)));
  });
  const { url, issues, nowMs } = JSON.parse(first) as { url: string; issues: number; nowMs: number };
  return { url, issues, nowMs, child };
}

async function serveFake(): Promise<void> {
  const world = generateWorld({ seed: SEED, repositories: REPOS, issuesPerRepo: ITEMS_PER_REPO, pullRequestShare: 0.1 });
  // Requests are still checked against the OpenAPI description; checking every response body too
  // is the test suite's job and would make the fake, not sla-sync, the bottleneck measured here. For
  // the same reason each answer is rendered once and then served from the fake's cache (nothing is
  // written during this section): the fake answers as a real API at zero latency would, at almost
  // no cost to the one core sla-sync shares it with.
  const fake = await startFakeGithub({ world, validateResponses: false, cacheReads: true });
  const issues = [...world.repos.values()].flatMap((r) => r.issues).filter((i) => !i.isPullRequest).length;
  process.stdout.write(`${JSON.stringify({ url: fake.url, issues, nowMs: world.clockMs })}\n`);
  process.once('SIGTERM', () => {
    if (fake.violations.length > 0) process.stderr.write(`fake GitHub: ${fake.violations.length} requests the real API would refuse\n`);
    void fake.close().then(() => process.exit(fake.violations.length > 0 ? 1 : 0));
  });
}

interface Store {
  name: string;
  target: number;
  open(): Promise<DatabaseHandle>;
}

function stores(): { stores: Store[]; skipped: string[] } {
  const list: Store[] = [
    {
      name: 'PGlite, in memory',
      target: TARGETS.pglite,
      async open() {
        const handle = await openDatabase({ memory: true });
        await migrateDatabase(handle);
        return handle;
      },
    },
  ];
  const postgres = storeBackends().find((b) => b.name === 'postgres');
  if (postgres) list.push({ name: 'Postgres', target: TARGETS.postgres, open: () => postgres.open() });
  return { stores: list, skipped: postgres ? [] : ['Postgres: skipped: DATABASE_URL not set'] };
}

interface Row {
  label: string;
  cases: number;
  seconds: number;
  pages: number;
  requests: number | null;
  target: number | null;
}

async function configured(store: Store, fakeUrl: string): Promise<DatabaseHandle> {
  const handle = await store.open();
  await applyConfig(handle, pipelineConfig(fakeUrl, RATE_LIMIT));
  return handle;
}

async function fullSync(store: Store, fake: FakeProcess): Promise<Row> {
  const handle = await configured(store, fake.url);
  try {
    const runtime = await loadConnectionRuntime(handle.db, 'gh-main', { env: PIPELINE_ENV });
    const start = performance.now();
    const result = await runSync(handle, runtime, { now: () => fake.nowMs });
    const seconds = (performance.now() - start) / 1000;
    if (result.cases !== fake.issues) throw new Error(`${store.name}: synced ${result.cases} issues of ${fake.issues}`);
    return { label: `full sync -> ${store.name}`, cases: result.cases, seconds, pages: result.pages, requests: runtime.http.stats.requests, target: store.target };
  } finally {
    await handle.close();
  }
}

async function storeOnly(store: Store, fake: FakeProcess, pages: readonly ChangePage[]): Promise<Row> {
  const handle = await configured(store, fake.url);
  try {
    // runSync over the pages read beforehand, in this thread: its page transactions as a sync runs
    // them (on Postgres, page n+1 stored while page n commits), with no vendor to wait for.
    const runtime = replayingRuntime(await loadConnectionRuntime(handle.db, 'gh-main', { env: PIPELINE_ENV }), pages);
    const start = performance.now();
    const { cases } = await runSync(handle, runtime, { now: () => fake.nowMs });
    const seconds = (performance.now() - start) / 1000;
    return { label: `store only -> ${store.name}`, cases, seconds, pages: pages.length, requests: null, target: null };
  } finally {
    await handle.close();
  }
}

/** The connector's pages with nothing stored; `limit` pages at most. */
async function apiOnly(handle: DatabaseHandle, limit = Infinity): Promise<{ row: Row; pages: ChangePage[] }> {
  const runtime = await loadConnectionRuntime(handle.db, 'gh-main', { env: PIPELINE_ENV });
  const pages: ChangePage[] = [];
  const start = performance.now();
  for await (const page of runtime.connector.fetchChanges(runtime.config, null, runtime.ctx)) {
    pages.push(page);
    if (pages.length >= limit) break;
  }
  const seconds = (performance.now() - start) / 1000;
  const cases = pages.reduce((n, p) => n + p.cases.length, 0);
  return { row: { label: 'API only (fetchChanges, nothing stored)', cases, seconds, pages: pages.length, requests: runtime.http.stats.requests, target: null }, pages };
}

const RUNS = 5;

/**
 * The run of median time among RUNS, with every run's rate in its label, after one untimed run: the
 * warm-up above stores into PGlite only, and the Postgres driver's paths would otherwise be compiled
 * during the first timed run of a Postgres row.
 */
async function medianOf(run: () => Promise<Row>): Promise<Row> {
  await run();
  const runs: Row[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await run());
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return { ...median, label: `${median.label} (median of ${runs.map((r) => fmtInt(r.cases / r.seconds)).join(', ')}/s)` };
}

export async function runSyncBench(): Promise<string[]> {
  const fake = await startFakeProcess();
  try {
    const { stores: targets, skipped } = stores();
    // Warm-up, untimed: one pass over the whole API (the fake renders and caches every answer) and a
    // few pages stored, so that no row pays for the JIT nor for the fake's first rendering. The
    // API-only passes read their config from an in-memory store.
    const configStore = await configured(targets[0]!, fake.url);
    let api: Awaited<ReturnType<typeof apiOnly>>;
    try {
      await apiOnly(configStore);
      const warm = await apiOnly(configStore, 3);
      await withTransaction(configStore, async (tx) => {
        const runtime = await loadConnectionRuntime(tx, 'gh-main', { env: PIPELINE_ENV });
        for (const page of warm.pages) await storeAndEvaluate(tx, runtime, page.cases, fake.nowMs);
      });
      api = await apiOnly(configStore);
      // And one whole sync, so that the connector thread (src/sync/change-thread.ts) is started
      // and warm before the timed syncs, as it is in a worker that has synced before.
      await runSync(configStore, await loadConnectionRuntime(configStore.db, 'gh-main', { env: PIPELINE_ENV }), { now: () => fake.nowMs });
    } finally {
      await configStore.close();
    }
    const rows: Row[] = [api.row];
    // Each store row is the median of RUNS runs, each from a fresh store: one run's wall time swings
    // by 10% or more on a shared 2-core machine (the fake, Postgres and sla-sync's two threads).
    for (const store of targets) rows.push(await medianOf(() => storeOnly(store, fake, api.pages)));
    for (const store of targets) rows.push(await medianOf(() => fullSync(store, fake)));

    const rate = (r: Row): number => r.cases / r.seconds;
    const lines = [
      `world: ${fmtInt(fake.issues)} issues (and ${fmtInt(2 * ITEMS_PER_REPO - fake.issues)} pull requests, skipped) in ${REPOS.length} repositories, seed ${SEED}; ` +
        `fake API in its own process, zero added latency; rate limit ${RATE_LIMIT.concurrency} at once, ${fmtInt(RATE_LIMIT.perSecond)}/s`,
      '',
      ...table(
        ['run', 'issues', 'seconds', 'issues/s', 'pages', 'requests/100 issues', 'requests/s'],
        rows.map((r) => [
          r.label,
          fmtInt(r.cases),
          r.seconds.toFixed(2),
          fmtInt(rate(r)),
          fmtInt(r.pages),
          r.requests === null ? '-' : ((100 * r.requests) / r.cases).toFixed(1),
          r.requests === null ? '-' : fmtInt(r.requests / r.seconds),
        ]),
      ),
      ...skipped,
      '',
    ];
    for (const r of rows) {
      if (r.target === null) continue;
      lines.push(`target >= ${fmtInt(r.target)} issues/s (${r.label}): ${fmtInt(rate(r))} -> ${rate(r) >= r.target ? 'MET' : 'NOT MET'}`);
    }
    return lines;
  } finally {
    fake.child.kill('SIGTERM');
    await once(fake.child, 'exit');
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === FAKE_FLAG) await serveFake();
