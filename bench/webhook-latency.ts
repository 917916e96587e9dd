// Benchmark section "webhook-latency" (issue 3, "webhook-to-writeback latency p50/p99 for a burst
// of 1,000 webhooks on loopback (target p99 under 1 s)").
//
// As in production, sla-sync runs in processes of its own (this file run with SERVE_FLAG), and "GitHub"
// (the fake API and the sender of the webhooks) in this one:
//   - PGlite: what `sla-sync serve` does on the embedded store, in one process: the express app
//     (createApp) on a free port, refreshes queued on pg-boss in the store's own database (polling
//     0.5 s), and the workers (startWorkers);
//   - Postgres: what the README's "Scaling out" runs, `sla-sync serve` (the app only) and one
//     `sla-sync worker` (the workers, woken by pg-boss's NOTIFY) as two processes; and, for
//     comparison, both in one process (`serve --worker`).
//
// Setup (untimed): 1,000 open issues, each with a P3 label and a customer's comment, synced once into
// a fresh store (nothing written back yet: writing 1,000 status comments first would double the
// section's time). Then, at a steady rate, for each issue: a `P1` label is put on it at the fake (its
// severity becomes S1, so its SLA changes and a writeback is due), and GitHub's
// `issues.labeled` delivery for it (the @octokit/webhooks-examples payload with this repository,
// issue and label, signed with the connection's secret) is POSTed to /webhooks/github/gh-main.
// Latency: from just before the POST to the fake receiving the first write for that issue (its SLA
// label or its status comment), i.e. 202 (the delivery recorded and its refresh queued in one
// transaction), refresh job (the issue and its timeline fetched again, stored, evaluated, and the
// writeback made in the same job), write.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import postgresClient from 'postgres';
import type { DatabaseHandle } from '../src/store/db.ts';
import { migrateDatabase, openDatabase } from '../src/store/db.ts';
import { applyConfig } from '../src/sync/config.ts';
import { loadConnectionRuntime } from '../src/sync/connection.ts';
import { refreshEnqueuer, startWorkers } from '../src/sync/jobs.ts';
import { queueFor } from '../src/sync/queue.ts';
import { runSync } from '../src/sync/run-sync.ts';
import { createApp } from '../src/web/app.ts';
import { issueJson, labelJson } from '../test/fakes/github/render.ts';
import type { RenderContext } from '../test/fakes/github/render.ts';
import { startFakeGithub } from '../test/fakes/github/server.ts';
import type { FakeRequest } from '../test/fakes/github/server.ts';
import { FakeWorld, iso, seededRandom } from '../test/fakes/github/world.ts';
import type { FakeIssue, FakeRepo } from '../test/fakes/github/world.ts';
import { storeBackends } from '../test/helpers/db.ts';
import { PIPELINE_ENV, REPOS, pipelineConfig } from '../test/helpers/github-pipeline.ts';
import { fmtInt, table } from './corpus.ts';

const SEED = 20_260_302;
const WEBHOOKS = 1_000;
/** The burst is sent evenly over this long. */
const SEND_MS = 8_000;
/** Stragglers are given up on this long after the last webhook was sent. */
const DRAIN_MS = 15_000;
/** GitHub's: a delivery not answered within 10 s has failed. */
const DELIVERY_TIMEOUT_MS = 10_000;
const RATE_LIMIT = { concurrency: 8, perSecond: 10_000 };
/**
 * Refresh and writeback fetches run at once in the sla-sync process (each kind; 25 refreshes or 10 writebacks a fetch):
 * what `sla-sync serve` and `sla-sync worker` run by default. BENCH_WORKER_CONCURRENCY changes it.
 * (8 measured worse on PGlite, 45 vs 62 writebacks/s at load ~7: every queued job woke every idle
 * worker of its kind, each an extra fetch statement on the one PGlite connection.)
 */
const WORKER_CONCURRENCY = Number(process.env['BENCH_WORKER_CONCURRENCY'] ?? 4);
const TARGET_P99_MS = 1_000;
/** The first writes of a writeback (nothing was written to these issues before: no comment to edit yet). */
const WRITES = new Set(['issues/add-labels', 'issues/create-comment']);
const SERVE_FLAG = '--serve-sla-sync';
/** sla-sync evaluates at a fixed instant a week after the world's clock: every label put on during the run is before it. */
const NOW_AHEAD_MS = 7 * 86_400_000;

interface Target {
  repo: FakeRepo;
  issue: FakeIssue;
  key: string;
}

/** WEBHOOKS open issues over the repositories, each labeled P3 at creation and commented on by its customer. */
function benchWorld(): { world: FakeWorld; targets: Target[] } {
  const random = seededRandom(SEED);
  const world = new FakeWorld({ startAt: '2025-03-03T08:00:00Z' });
  const customers = ['dave', 'erin', 'frank'].map((login) => world.user(login, 'NONE').login);
  world.user('alice', 'MEMBER');
  const repos = REPOS.map((name) => world.addRepo(name, ['bug', 'P1', 'P2', 'P3', 'P4']));
  const targets: Target[] = [];
  let t = world.clockMs;
  for (let i = 0; i < WEBHOOKS; i++) {
    t += Math.floor(random() * 20 * 60_000) + 1000;
    const repo = repos[i % repos.length]!;
    const author = customers[i % customers.length]!;
    const issue = world.createIssue(repo, { title: `Problem ${i + 1}`, user: author, at: iso(t), labels: ['P3'] });
    world.comment(issue, author, 'Any update?', iso(t + 60_000));
    targets.push({ repo, issue, key: `${repo.fullName}#${issue.number}` });
  }
  world.clockMs = t + 3_600_000;
  return { world, targets };
}

const require = createRequire(import.meta.url);
interface Definition {
  name: string;
  examples: Record<string, unknown>[];
}
const definitions = require('@octokit/webhooks-examples/api.github.com/index.json') as Definition[];
const labeledExample = definitions.find((d) => d.name === 'issues')!.examples.find((e) => e['action'] === 'labeled')!;

/** GitHub's delivery for a label put on an issue: the recorded example with our repository, issue and label. */
function labeledDelivery(ctx: RenderContext, target: Target, labelName: string): string {
  const { repo, issue } = target;
  const exampleRepo = labeledExample['repository'] as Record<string, unknown>;
  return JSON.stringify({
    ...labeledExample,
    issue: issueJson(ctx, repo, issue),
    label: labelJson(ctx, repo, ctx.world.repoLabel(repo, labelName)!),
    repository: {
      ...exampleRepo,
      id: repo.id,
      name: repo.name,
      full_name: repo.fullName,
      owner: { ...(exampleRepo['owner'] as Record<string, unknown>), login: repo.owner },
    },
  });
}

const sign = (body: string, secret: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

// ---------------------------------------------------------------------------------------------
// The sla-sync process

/**
 * What one sla-sync process runs: `all` is `sla-sync serve` on the embedded store (the app and the
 * workers in one process); `web` is `sla-sync serve` on Postgres (the app only: it records
 * deliveries and queues their refreshes), `worker` is `sla-sync worker` beside it.
 */
type Role = 'all' | 'web' | 'worker';
const ROLES: readonly Role[] = ['all', 'web', 'worker'];

/**
 * Opens STORE ("memory" or a postgres:// URL) and runs ROLE on it. With SETUP, first configures the
 * store for the fake and syncs it (the first process started does this). Prints
 * `{"port":N,...}` when ready (port 0 for a worker); SIGTERM stops it.
 */
async function serveSlaSync(store: string, fakeUrl: string, worldNowMs: number, role: Role, setup: boolean): Promise<void> {
  const nowMs = worldNowMs + NOW_AHEAD_MS;
  const now = (): number => nowMs;
  const handle = store === 'memory' ? await openDatabase({ memory: true }) : await openDatabase({ url: store });
  let synced = 0;
  let syncSeconds = 0;
  if (setup) {
    await migrateDatabase(handle);
    await applyConfig(handle, pipelineConfig(fakeUrl, RATE_LIMIT));
    const runtime = await loadConnectionRuntime(handle.db, 'gh-main', { env: PIPELINE_ENV });
    const setupStart = performance.now();
    synced = (await runSync(handle, runtime, { now })).cases;
    syncSeconds = (performance.now() - setupStart) / 1000;
  }

  const queue = queueFor(handle, {
    pollingIntervalSeconds: 0.5,
    instanceName: `bench-${role}`,
    onError: (e) => process.stderr.write(`queue: ${e.message}\n`),
  });
  await queue.start();
  if (role !== 'web') {
    await startWorkers({
      handle,
      queue,
      now,
      runtime: { env: PIPELINE_ENV },
      concurrency: { refresh: WORKER_CONCURRENCY, writeback: WORKER_CONCURRENCY, 'breach-timer': WORKER_CONCURRENCY },
    });
  }
  let server: Server | null = null;
  if (role !== 'worker') {
    const app = createApp({
      handle,
      env: PIPELINE_ENV,
      enqueueRefreshes: refreshEnqueuer(queue),
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
  }
  let cpuAtReady = process.cpuUsage();
  const statements = handle.kind === 'pglite' ? countStatements(handle.client) : null;
  // The parent asks (SIGUSR2) when the burst starts and ends: the CPU this process spent on it, and
  // on PGlite the statements it ran.
  process.on('SIGUSR2', () => {
    const used = process.cpuUsage(cpuAtReady);
    process.stdout.write(`${JSON.stringify({ cpuMs: (used.user + used.system) / 1000, statements: statements?.take() ?? null })}\n`);
    cpuAtReady = process.cpuUsage();
  });
  process.once('SIGTERM', () => {
    void (async () => {
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue.stop({ timeoutMs: 5_000 });
      await handle.close();
      process.exit(0);
    })();
  });
  const port = server ? (server.address() as AddressInfo).port : 0;
  process.stdout.write(`${JSON.stringify({ port, synced, syncSeconds })}\n`);
}

/**
 * Counts the statements PGlite is given (every query, sla-sync's and pg-boss's, reaches it as a
 * Parse or a simple Query protocol message), by their first words (BENCH_STATEMENTS=1 prints them).
 */
function countStatements(pglite: DatabaseHandle['client']): { take(): { total: number; byKind: Record<string, number> } } {
  let byKind = new Map<string, number>();
  let msByKind = new Map<string, number>();
  let current = '';
  const client = pglite as unknown as { execProtocolStream?(message: Uint8Array, options?: unknown): Promise<unknown> };
  // PGlite's internal entry point (0.5): without it, nothing is counted rather than the bench failing.
  if (typeof client.execProtocolStream !== 'function') return { take: () => ({ total: 0, byKind: {} }) };
  const original = client.execProtocolStream.bind(client);
  const decoder = new TextDecoder();
  client.execProtocolStream = (message, options) => {
    const type = message[0];
    if (type === 0x50 || type === 0x51) {
      // P: int32 length, statement name (cstring), query (cstring); Q: int32 length, query (cstring).
      let at = 5;
      if (type === 0x50) at = message.indexOf(0, at) + 1;
      const text = decoder.decode(message.subarray(at, message.indexOf(0, at))).replace(/\s+/g, ' ').trim().slice(0, 70);
      byKind.set(text, (byKind.get(text) ?? 0) + 1);
      current = text;
    }
    const kind = current;
    const t0 = performance.now();
    const done = original(message, options);
    void done.finally(() => msByKind.set(kind, (msByKind.get(kind) ?? 0) + performance.now() - t0)).catch(() => undefined);
    return done;
  };
  return {
    take() {
      const taken = byKind;
      byKind = new Map();
      const ms = msByKind;
      msByKind = new Map();
      return { total: [...taken.values()].reduce((a, b) => a + b, 0), byKind: Object.fromEntries([...taken].map(([k, v]) => [`${k} (${(ms.get(k) ?? 0).toFixed(0)} ms)`, v])) };
    },
  };
}

interface Serving {
  child: ChildProcess;
  role: Role;
  /** The lines the process printed after its first. */
  lines: string[];
  port: number;
  synced: number;
  syncSeconds: number;
}

async function startSlaSync(store: string, fakeUrl: string, worldNowMs: number, role: Role, setup: boolean): Promise<Serving> {
  // BENCH_SERVE_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"): node flags for the sla-sync
  // processes only, to profile what is measured (node refuses --cpu-prof in NODE_OPTIONS).
  const nodeArgs = (process.env['BENCH_SERVE_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', fileURLToPath(import.meta.url), SERVE_FLAG, store, fakeUrl, String(worldNowMs), role, setup ? 'setup' : 'no-setup'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines: string[] = [];
  const first = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
        lines.push(out.slice(0, nl));
        out = out.slice(nl + 1);
      }
      if (lines.length > 0) resolve(lines[0]!);
    });
    child.once('exit', (code) => reject(new Error(`the sla-sync ${role} process exited (${code}) before it was ready`)));
  });
  return { child, role, lines, ...(JSON.parse(first) as Omit<Serving, 'child' | 'role' | 'lines'>) };
}

// ---------------------------------------------------------------------------------------------
// "GitHub": the fake API and the sender, in this process

interface Outcome {
  store: string;
  /** ms, one per issue written back in time. */
  latencies: number[];
  accepted: number;
  refused: number;
  /** Deliveries not answered within GitHub's 10 s (or refused a connection). */
  failed: number;
  answered: number[];
  sendSeconds: number;
  /** Writebacks per second from the first POST to the last write seen. */
  throughput: number;
  /** The sla-sync processes: one (`all`), or `web` and `worker`. */
  processes: Serving[];
  /** CPU spent during the burst (send and drain): the sla-sync processes, and this one (fake GitHub and sender). */
  cpuMs: BurstUsage;
  /** Postgres: transactions committed or rolled back in sla-sync's database during the burst (each lone statement is one). */
  transactions: number | null;
  /** Requests the fake answered during the burst. */
  requests: number;
  operations: Map<string, number>;
}

interface BurstUsage {
  slaSync: number;
  github: number;
  /** PGlite: the statements sla-sync ran (null on Postgres: see transactions). */
  statements: { total: number; byKind: Record<string, number> } | null;
}

/** The CPU time the sla-sync processes and this one spend from now until end(), and sla-sync's PGlite statements. */
async function burstCpu(processes: readonly Serving[]): Promise<{ end(): Promise<BurstUsage> }> {
  const report = async (serving: Serving): Promise<{ cpuMs: number; statements: BurstUsage['statements'] }> => {
    const count = serving.lines.length;
    serving.child.kill('SIGUSR2');
    while (serving.lines.length === count) await sleep(10);
    return JSON.parse(serving.lines.at(-1)!) as { cpuMs: number; statements: BurstUsage['statements'] };
  };
  await Promise.all(processes.map(report)); // resets the children's counts
  const mine = process.cpuUsage();
  return {
    async end() {
      const used = process.cpuUsage(mine);
      const children = await Promise.all(processes.map(report));
      return {
        slaSync: children.reduce((n, c) => n + c.cpuMs, 0),
        github: (used.user + used.system) / 1000,
        statements: children.find((c) => c.statements !== null)?.statements ?? null,
      };
    },
  };
}

/** Transactions of the database at URL (pg_stat_database) from now until end(). */
async function transactionCounter(url: string): Promise<{ end(): Promise<number> }> {
  const sql = postgresClient(url, { max: 1, onnotice: () => {} });
  const read = async (): Promise<number> => {
    // Backends report their counts to the statistics collector at most once a second.
    await sleep(1_100);
    const [row] = await sql<{ n: string }[]>`select xact_commit + xact_rollback as n from pg_stat_database where datname = current_database()`;
    return Number(row!.n);
  };
  const start = await read();
  return {
    async end() {
      // This reader's own two transactions are not sla-sync's.
      const n = (await read()) - start - 2;
      await sql.end();
      return n;
    },
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** One burst against sla-sync on STORE run as `all` (one process) or as `web` plus `worker`. */
async function measure(storeName: string, store: string, layout: 'one' | 'two'): Promise<Outcome> {
  const { world, targets } = benchWorld();
  const sentAt = new Map<string, number>();
  const latencies = new Map<string, number>();
  let lastWriteAt = 0;
  /** Requests the fake answered during the burst, by operation. */
  const operations = new Map<string, number>();
  let counting = false;
  const onRequest = (request: FakeRequest): void => {
    if (counting) operations.set(request.operationId ?? request.path, (operations.get(request.operationId ?? request.path) ?? 0) + 1);
    if (request.operationId === null || !WRITES.has(request.operationId) || request.status >= 300) return;
    const at = performance.now();
    // /repos/{owner}/{repo}/issues/{issue_number}/labels or .../comments
    const [, , owner, name, , issueNumber] = request.path.split('/');
    const key = `${owner}/${name}#${issueNumber}`;
    const sent = sentAt.get(key);
    if (sent === undefined || latencies.has(key)) return;
    latencies.set(key, at - sent);
    lastWriteAt = at;
  };
  const fake = await startFakeGithub({ world, onRequest });
  const processes: Serving[] = [];
  try {
    if (layout === 'one') processes.push(await startSlaSync(store, fake.url, world.clockMs, 'all', true));
    else {
      // The worker sets the store up; then the web server starts beside it.
      processes.push(await startSlaSync(store, fake.url, world.clockMs, 'worker', true));
      processes.push(await startSlaSync(store, fake.url, world.clockMs, 'web', false));
    }
    if (fake.writeCalls > 0) throw new Error(`the setup wrote ${fake.writeCalls} times to the fake`);
    const web = processes.find((p) => p.role !== 'worker')!;

    const endpoint = `http://127.0.0.1:${web.port}/webhooks/github/gh-main`;
    const render: RenderContext = { world, apiUrl: fake.url, htmlUrl: 'https://github.com' };
    let accepted = 0;
    let refused = 0;
    let failed = 0;
    /** ms from POST to 202. */
    const answered: number[] = [];
    const posts: Promise<void>[] = [];
    const transactions = store.startsWith('postgres') ? await transactionCounter(store) : null;
    const cpu = await burstCpu(processes);
    counting = true;
    const sendStart = performance.now();
    for (let i = 0; i < WEBHOOKS; i++) {
      const wait = sendStart + (i * SEND_MS) / WEBHOOKS - performance.now();
      if (wait > 0) await sleep(wait);
      const target = targets[i]!;
      world.addLabel(target.repo, target.issue, 'P1', 'alice');
      const body = labeledDelivery(render, target, 'P1');
      const headers = {
        'content-type': 'application/json',
        'x-github-event': 'issues',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': sign(body, PIPELINE_ENV.SLA_SYNC_TEST_GITHUB_SECRET),
      };
      const sent = performance.now();
      sentAt.set(target.key, sent);
      posts.push(
        fetch(endpoint, { method: 'POST', body, headers, signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) }).then(
          async (response) => {
            await response.arrayBuffer();
            if (response.status === 202) {
              accepted++;
              answered.push(performance.now() - sent);
            } else refused++;
          },
          // GitHub gives up on a delivery after 10 s (and marks it failed).
          () => void failed++,
        ),
      );
    }
    const lastSend = performance.now();
    while (latencies.size < WEBHOOKS && performance.now() < lastSend + DRAIN_MS) await sleep(50);
    await Promise.all(posts);
    counting = false;
    const cpuMs = await cpu.end();
    const transactionCount = transactions ? await transactions.end() : null;
    if (fake.violations.length > 0) throw new Error(`the fake saw ${fake.violations.length} requests the real API would refuse: ${JSON.stringify(fake.violations[0])}`);
    return {
      store: storeName,
      latencies: [...latencies.values()],
      accepted,
      refused,
      failed,
      answered,
      sendSeconds: (lastSend - sendStart) / 1000,
      throughput: (latencies.size * 1000) / Math.max(1, lastWriteAt - sendStart),
      processes,
      cpuMs,
      transactions: transactionCount,
      requests: [...operations.values()].reduce((a, b) => a + b, 0),
      operations,
    };
  } finally {
    for (const serving of processes.reverse()) {
      if (serving.child.exitCode !== null) continue;
      serving.child.kill('SIGTERM');
      await once(serving.child, 'exit');
    }
    await fake.close();
  }
}

export async function runWebhookLatencyBench(): Promise<string[]> {
  const outcomes: Outcome[] = [];
  // `sla-sync serve` on the embedded store: one process.
  outcomes.push(await measure('PGlite: serve (one process)', 'memory', 'one'));
  const postgres = storeBackends().find((b) => b.name === 'postgres');
  if (postgres) {
    // On Postgres, `sla-sync serve` runs the web server only and `sla-sync worker` the jobs (README,
    // "Scaling out"); also measured all in one process (`serve --worker`).
    const layouts = [
      { name: 'Postgres: serve + worker (two processes)', layout: 'two' },
      { name: 'Postgres: serve --worker (one process)', layout: 'one' },
    ] as const;
    for (const { name, layout } of layouts) {
      // A fresh database, dropped when this handle closes; the sla-sync processes open it by URL.
      const handle: DatabaseHandle = await postgres.open();
      try {
        if (handle.kind !== 'postgres') throw new Error('expected a Postgres store');
        outcomes.push(await measure(name, handle.url, layout));
      } finally {
        await handle.close();
      }
    }
  }

  const ms = (n: number): string => (Number.isNaN(n) ? '-' : fmtInt(n));
  const lines = [
    `burst: ${fmtInt(WEBHOOKS)} signed issues.labeled deliveries for distinct open issues, sent evenly over ${SEND_MS / 1000} s (${fmtInt(WEBHOOKS / (SEND_MS / 1000))}/s).`,
    `sla-sync in processes of its own: the app, pg-boss (polling 0.5 s, woken by NOTIFY on Postgres) and the workers (${WORKER_CONCURRENCY} refresh + ${WORKER_CONCURRENCY} writeback fetches at once), ` +
      `in one process or as a web process and a worker process; fake GitHub and the sender in this one. Latency: POST sent -> first label/comment write for that issue at the fake.`,
    `setup (untimed): ${outcomes.map((o) => `${fmtInt(o.processes[0]!.synced)} issues synced in ${o.processes[0]!.syncSeconds.toFixed(1)} s (${o.store})`).join(', ')}`,
    '',
    ...table(
      ['store', '202', 'no 202 in 10 s', '202 p99 ms', 'written back', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'sent in s', 'writebacks/s'],
      outcomes.map((o) => {
        const sorted = [...o.latencies].sort((a, b) => a - b);
        return [
          o.store,
          `${fmtInt(o.accepted)}${o.refused > 0 ? ` (${o.refused} other)` : ''}`,
          fmtInt(o.failed),
          ms(percentile([...o.answered].sort((a, b) => a - b), 99)),
          `${fmtInt(sorted.length)}/${fmtInt(WEBHOOKS)}`,
          ms(percentile(sorted, 50)),
          ms(percentile(sorted, 90)),
          ms(percentile(sorted, 99)),
          ms(sorted.at(-1) ?? Number.NaN),
          o.sendSeconds.toFixed(1),
          o.throughput.toFixed(0),
        ];
      }),
    ),
  ];
  if (!postgres) lines.push('Postgres: skipped: DATABASE_URL not set');
  lines.push(
    '',
    'per webhook, during the burst (send and drain; divided by the webhooks written back, since those were done in full):',
    ...table(
      ['store', 'sla-sync CPU ms', 'fake GitHub + sender CPU ms', 'requests to GitHub', 'DB transactions', 'DB statements'],
      outcomes.map((o) => {
        const per = (n: number): string => (o.latencies.length === 0 ? '-' : (n / o.latencies.length).toFixed(1));
        const statements = o.cpuMs.statements;
        return [o.store, per(o.cpuMs.slaSync), per(o.cpuMs.github), per(o.requests), o.transactions === null ? '-' : per(o.transactions), statements === null ? '-' : per(statements.total)];
      }),
    ),
    ...outcomes.map((o) => `requests by operation (${o.store}): ${[...o.operations].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`),
  );
  // BENCH_STATEMENTS=1: the PGlite statements of the burst by their first words, most frequent first.
  if (process.env['BENCH_STATEMENTS']) {
    for (const o of outcomes) {
      if (!o.cpuMs.statements) continue;
      lines.push(`statements (${o.store}):`, ...Object.entries(o.cpuMs.statements.byKind).sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${String(v).padStart(6)}  ${k}`));
    }
  }
  lines.push('');
  for (const o of outcomes) {
    const sorted = [...o.latencies].sort((a, b) => a - b);
    const missing = WEBHOOKS - sorted.length;
    // A webhook never written back has no latency to rank: the target is then not met.
    const figure = missing > 0 ? `${missing} not written back within ${DRAIN_MS / 1000} s of the last send` : `${ms(percentile(sorted, 99))} ms`;
    lines.push(`target p99 < ${fmtInt(TARGET_P99_MS)} ms (${o.store}): ${figure} -> ${missing === 0 && percentile(sorted, 99) < TARGET_P99_MS ? 'MET' : 'NOT MET'}`);
  }
  return lines;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === SERVE_FLAG) {
  const [store, fakeUrl, worldNowMs, role, setup] = process.argv.slice(3);
  if (!ROLES.includes(role as Role)) throw new Error(`unknown role: ${role}`);
  await serveSlaSync(store!, fakeUrl!, Number(worldNowMs), role as Role, setup === 'setup');
}
