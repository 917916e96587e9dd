// A worker process for the scale-out test (queue-scale.test.ts), run as
// `node --import tsx test/integration/queue-worker.ts`. It works writeback jobs from the queue in
// QUEUE_TEST_SCHEMA on QUEUE_TEST_URL and records each one in that schema's `done` table, without a
// unique constraint, so that a job done twice shows up as two rows. SIGTERM stops it gracefully.
import postgres from 'postgres';
import { createQueue } from '../../src/sync/queue.ts';

const url = process.env.QUEUE_TEST_URL;
const schema = process.env.QUEUE_TEST_SCHEMA;
const worker = process.env.QUEUE_TEST_WORKER ?? String(process.pid);
if (!url || !schema) throw new Error('QUEUE_TEST_URL and QUEUE_TEST_SCHEMA are required');

const sql = postgres(url, { max: 4, onnotice: () => {} });
const queue = createQueue({
  database: { kind: 'postgres', url, maxConnections: 10 },
  schema,
  pollingIntervalSeconds: 0.5,
  instanceName: `test-worker-${worker}`,
  onError: (error) => process.stderr.write(`worker ${worker}: ${error.stack ?? error.message}\n`),
});
await queue.start();
await queue.work(
  'writeback',
  async ({ caseId }, job) => {
    // A little work, so that both processes have jobs in hand at once.
    await new Promise((resolve) => setTimeout(resolve, 2));
    await sql`insert into ${sql(schema)}.done (case_id, job_id, worker) values (${caseId}, ${job.id}, ${worker})`;
  },
  { concurrency: 8 },
);
process.stdout.write('ready\n');

process.once('SIGTERM', () => {
  void (async () => {
    await queue.stop({ timeoutMs: 5000 });
    await sql.end();
    process.exit(0);
  })();
});
