// `npm run demo`: sla-sync on an embedded database of its own (./data-demo, recreated on every run;
// ./data is never touched) with loopback Jira, Zendesk and GitHub built from the test fakes, seeded
// with a quarter of tickets ending now: synced, evaluated, written back to the fakes, with three
// demo users. Prints the URL and the sign-ins; Ctrl-C (or SIGTERM) stops everything cleanly.
//
//   npm run demo [-- --port 3000 --host 127.0.0.1 --data-dir ./data-demo]   (or SLA_SYNC_DEMO_DIR)
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { migrateDatabase, openDatabase } from '../src/store/db.ts';
import type { DatabaseHandle } from '../src/store/db.ts';
import { reconcile, refreshEnqueuer, startWorkers } from '../src/sync/jobs.ts';
import type { JobQueue } from '../src/sync/queue.ts';
import { queueFor } from '../src/sync/queue.ts';
import { createApp } from '../src/web/app.ts';
import { applyDemoConfig, createDemoUsers, startDemoFakes, syncAndWriteBack } from './demo/prepare.ts';
import type { DemoFakes } from './demo/prepare.ts';

/** Marks a directory as the demo's own, so that recreating it can never delete anything else. */
const MARKER = '.sla-sync-demo';

const usage = 'usage: npm run demo [-- --port N --host ADDRESS --data-dir DIR]';

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(2);
}

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: { port: { type: 'string' }, host: { type: 'string' }, 'data-dir': { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  const port = Number(values.port ?? process.env['PORT'] ?? '3000');
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port: "${values.port}" is not a port number`);
  const dataDir = path.resolve(values['data-dir'] ?? process.env['SLA_SYNC_DEMO_DIR'] ?? './data-demo');
  if (dataDir === path.resolve('./data')) fail('--data-dir: ./data is the real database; the demo keeps its own');
  return { port, host: values.host ?? '127.0.0.1', dataDir };
}

/** Empties the demo's data dir (only one the demo made: it carries the marker) and marks it. */
function recreate(dataDir: string): void {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    if (!existsSync(path.join(dataDir, MARKER))) fail(`${dataDir} is not empty and was not made by the demo: give another --data-dir`);
    rmSync(dataDir, { recursive: true, force: true });
  }
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path.join(dataDir, MARKER), 'Made by `npm run demo`; deleted and recreated on every run.\n');
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const started = Date.now();
  const opts = options();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const phase = (what: string) => log(`[${seconds(Date.now() - started)}] ${what}`);
  recreate(opts.dataDir);

  let fakes: DemoFakes | null = null;
  let handle: DatabaseHandle | null = null;
  let queue: JobQueue | null = null;
  let server: Server | null = null;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`\n${signal}: stopping the demo`);
    if (server) {
      const closing = server;
      await new Promise<void>((resolve) => {
        closing.close(() => resolve());
        closing.closeAllConnections();
      });
    }
    await queue?.stop({ timeoutMs: 5000 });
    await fakes?.close();
    await handle?.close();
  };
  // Until the app listens, a signal ends setup too: the same clean stop, then exit.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stop(signal).then(
        () => process.exit(0),
        (error: unknown) => {
          log(`demo: ${error instanceof Error ? error.message : String(error)}`);
          process.exit(1);
        },
      );
    });
  }

  const endMs = Date.now();
  phase('seeding loopback Jira, Zendesk and GitHub with a quarter of tickets');
  fakes = await startDemoFakes({ endMs });
  phase(`creating the demo database in ${opts.dataDir}`);
  handle = await openDatabase({ dataDir: opts.dataDir });
  await migrateDatabase(handle);
  await applyDemoConfig(handle, fakes, endMs);
  phase('syncing, evaluating SLAs and writing back to the fakes');
  const { syncs, writebacks } = await syncAndWriteBack(handle, Date.now);
  phase('creating the demo users and starting the app');
  const users = await createDemoUsers(handle);
  if (stopping) return;

  // As `sla-sync serve` on the embedded database: the worker runs in this process, so scheduled
  // syncs (every 5 minutes) and breach timers keep the demo moving while it runs.
  const workerQueue = queueFor(handle, { instanceName: 'demo', onError: (e) => log(`queue: ${e.message}`) });
  queue = workerQueue;
  await workerQueue.start();
  await startWorkers({ handle, queue: workerQueue, log: (m, f) => log(`worker: ${m} ${JSON.stringify(f ?? {})}`) });
  await reconcile(handle, workerQueue);
  const baseUrl = `http://${opts.host}:${opts.port}`;
  const app = createApp({
    handle,
    queue: workerQueue,
    baseUrl,
    // As `sla-sync serve`: a delivery recorded and its refresh queued in one transaction.
    enqueueRefreshes: refreshEnqueuer(workerQueue),
  });
  server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(opts.port, opts.host, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  const url = typeof address === 'object' && address ? `http://${opts.host}:${address.port}` : baseUrl;
  const admin = users.find((u) => u.role === 'admin')!;
  const lines = [
    '',
    `sla-sync demo ready in ${seconds(Date.now() - started)}: ${url}`,
    '',
    `  Sign in at ${url}/signin as ${admin.email} with password ${admin.password}`,
    ...users.filter((u) => u !== admin).map((u) => `  or as ${u.email} (${u.role}) with password ${u.password}`),
    '',
    `  Synced ${syncs.map((s) => `${s.connection} ${s.cases}`).join(', ')} cases (a quarter ending now); ${writebacks.written} tickets written back.`,
    `  Fake vendor APIs: Jira ${fakes.jira.url}, Zendesk ${fakes.zendesk.url}, GitHub ${fakes.github.url}`,
    `  Database: ${opts.dataDir} (recreated on every run). Ctrl-C stops the demo.`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
