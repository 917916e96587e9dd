// Scale-out (issue 3, item 7): two worker processes, each with its own pg-boss, share one
// Postgres queue. A burst of 500 writeback jobs is done, each exactly once. Postgres only (PGlite
// is one process's database); skipped without DATABASE_URL.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import type { OpenedQueueBackend, TestQueue } from './queue-backends.ts';
import { queueBackends, startTestQueue, waitFor } from './queue-backends.ts';

const url = process.env.DATABASE_URL;
const WORKER_SCRIPT = fileURLToPath(new URL('./queue-worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const JOBS = 500;

function startWorker(name: string, schema: string): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_SCRIPT], {
    cwd: ROOT,
    env: { ...process.env, QUEUE_TEST_URL: url, QUEUE_TEST_SCHEMA: schema, QUEUE_TEST_WORKER: name },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker ${name} exited with ${code} before it was ready`)));
  });
  return { child, ready };
}

describe.skipIf(!url)('job queue scale-out on Postgres', () => {
  const children: ChildProcess[] = [];
  let opened: OpenedQueueBackend | undefined;
  let started: TestQueue | undefined;
  let sql: postgres.Sql | undefined;

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }
    await sql?.end();
    await started?.stop();
    await opened?.close();
  });

  it(`two worker processes do a burst of ${JOBS} jobs, each exactly once`, async () => {
    const backend = queueBackends().find((b) => b.name === 'postgres')!;
    opened = await backend.open();
    // This process installs the schema and sends; it works nothing itself.
    started = await startTestQueue(opened);
    const { queue, schema } = started;
    sql = postgres(url!, { max: 2, onnotice: () => {} });
    await sql`create table ${sql(schema)}.done (case_id int not null, job_id uuid not null, worker text not null)`;

    const workers = ['a', 'b'].map((name) => startWorker(name, schema));
    children.push(...workers.map((w) => w.child));
    await Promise.all(workers.map((w) => w.ready));

    const t0 = Date.now();
    const caseIds = Array.from({ length: JOBS }, (_, i) => i + 1);
    expect(await queue.sendMany('writeback', caseIds.map((caseId) => ({ caseId })))).toBe(JOBS);
    const db = sql;
    await waitFor(async () => {
      const [row] = await db<{ n: number }[]>`select count(*)::int as n from ${db(schema)}.done`;
      return row!.n >= JOBS ? true : undefined;
    }, 60_000);
    const elapsed = Date.now() - t0;
    // Time for a late duplicate to land, if there were one.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const [totals] = await db<{ rows: number; cases: number; jobs: number }[]>`
      select count(*)::int as rows, count(distinct case_id)::int as cases, count(distinct job_id)::int as jobs
      from ${db(schema)}.done`;
    expect(totals).toEqual({ rows: JOBS, cases: JOBS, jobs: JOBS });
    const perWorker = await db<{ worker: string; n: number }[]>`
      select worker, count(*)::int as n from ${db(schema)}.done group by worker order by worker`;
    expect(perWorker.map((r) => r.worker)).toEqual(['a', 'b']);
    expect(await queue.listDeadLetters()).toEqual([]);
    console.info(`scale-out: ${JOBS} jobs in ${elapsed} ms over two workers: ${perWorker.map((r) => `${r.worker}=${r.n}`).join(', ')}`);
  });
});
