// A webhook through the queue (issue 3, "webhook-to-writeback latency"): the delivery is recorded and
// its refresh queued in one transaction; the refresh job stores the issue and writes it back itself
// (no writeback job on the way); a write that fails is retried by a writeback job, with its backoff,
// and one that keeps failing ends in the dead letters with its case still flagged, never lost.
import { createHmac, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseIdsByExternalId, listWritebackPending } from '../../src/store/cases-repo.ts';
import { rowsOf } from '../../src/store/cases-repo.ts';
import { getConnectionByName } from '../../src/store/connections-repo.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { listWritebackLog } from '../../src/store/writeback-log-repo.ts';
import { applyConfig } from '../../src/sync/config.ts';
import { refreshEnqueuer, startWorkers } from '../../src/sync/jobs.ts';
import type { JobQueue } from '../../src/sync/queue.ts';
import { queueFor } from '../../src/sync/queue.ts';
import { createApp } from '../../src/web/app.ts';
import { startFakeGithub } from '../fakes/github/server.ts';
import type { FakeGithub } from '../fakes/github/server.ts';
import { FakeWorld, iso } from '../fakes/github/world.ts';
import type { FakeIssue } from '../fakes/github/world.ts';
import { storeBackends } from '../helpers/db.ts';
import { listenOnLoopback } from '../helpers/listen.ts';
import { stopWorkerHarness, waitFor } from '../helpers/worker-harness.ts';

const require = createRequire(import.meta.url);
interface Definition { name: string; examples: Record<string, any>[] } // eslint-disable-line @typescript-eslint/no-explicit-any
const definitions = require('@octokit/webhooks-examples/api.github.com/index.json') as Definition[];
const opened = definitions.find((d) => d.name === 'issues')!.examples.find((e) => e['action'] === 'opened')!;

const REPO = 'acme/support';
const SECRET = 'refresh-writeback-secret';
const env = { RW_TOKEN: 'test-token', RW_SECRET: SECRET };

/** GitHub's `issues.opened` delivery (the recorded example) for this issue, signed. */
function delivery(issue: FakeIssue, deliveryId: string = randomUUID()): { body: string; headers: Record<string, string> } {
  const payload = structuredClone(opened);
  Object.assign(payload['issue'], { id: issue.id, number: issue.number, title: issue.title, labels: [], created_at: issue.createdAt, updated_at: issue.updatedAt });
  Object.assign(payload['repository'], { full_name: REPO, name: 'support' });
  const body = JSON.stringify(payload);
  return {
    body,
    headers: { 'content-type': 'application/json', 'x-github-event': 'issues', 'x-github-delivery': deliveryId, 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` },
  };
}

describe.each(storeBackends())('webhook refresh and writeback through the queue on $name', (backend) => {
  let handle: DatabaseHandle;
  let fake: FakeGithub;
  let queue: JobQueue;
  let server: Server;
  let base = '';
  let connectionId = 0;
  const schema = `pgboss_rw_${randomUUID().slice(0, 8)}`;
  /** Fails every write to these issue numbers with a 500 while they are in it. */
  const failing = new Set<number>();

  const jobsNamed = async (name: string): Promise<number> => {
    const rows = rowsOf<{ n: number | string }>(await handle.db.execute(sql.raw(`select count(*) as n from "${schema}".job_common where name = '${name}'`)));
    return Number(rows[0]!.n);
  };
  const post = (issue: FakeIssue, deliveryId?: string) => {
    const { body, headers } = delivery(issue, deliveryId);
    return fetch(`${base}/webhooks/github/gh`, { method: 'POST', body, headers });
  };
  const newIssue = (title: string) => fake.world.createIssue(fake.world.repo(REPO)!, { title, user: 'customer-1', at: iso(Date.now() - 60_000), labels: ['P1'] });
  const ourComments = (issue: FakeIssue) => issue.comments.filter((c) => c.body.startsWith('<!-- sla-sync'));
  /** Requests of this operation about this issue (its path, or a path below it). */
  const requestsFor = (issue: FakeIssue, operationId: string) =>
    fake.requests.filter((r) => r.operationId === operationId && new RegExp(`/issues/${issue.number}(/|$)`).test(r.path)).length;
  const caseIdOf = async (issue: FakeIssue) => (await caseIdsByExternalId(handle.db, connectionId, [String(issue.id)])).get(String(issue.id))!;

  beforeAll(async () => {
    const world = new FakeWorld();
    world.user('customer-1', 'NONE');
    world.addRepo(REPO, ['P1', 'P3']);
    fake = await startFakeGithub({ world });
    handle = await backend.open();
    await applyConfig(handle, {
      policies: { p: { severities: { S1: { firstResponseMinutes: 60, resolutionMinutes: 600 }, S3: { firstResponseMinutes: 240, resolutionMinutes: 1440 } }, defaultSeverity: 'S3' } },
      connections: {
        gh: { source: 'github', policy: 'p', rateLimit: { concurrency: 8, perSecond: 1000 }, config: { baseUrl: fake.url, token: 'env:RW_TOKEN', webhookSecret: 'env:RW_SECRET', repositories: [REPO], severityLabels: { P1: 'S1', P3: 'S3' } } },
      },
    });
    connectionId = (await getConnectionByName(handle.db, 'gh'))!.id;
    fake.injectFault('server_error', 1_000_000, (r) => r.method === 'POST' && [...failing].some((n) => r.path.includes(`/issues/${n}/`)));
    // Writeback retries 1 s apart, one retry: a failing one reaches the dead letters within the test.
    queue = queueFor(handle, { schema, pollingIntervalSeconds: 0.5, retry: { writeback: { retryLimit: 1, retryDelay: 1, retryDelayMax: 1 } } });
    await queue.start();
    await startWorkers({ handle, queue, runtime: { env } });
    const app = createApp({
      handle,
      env,
      enqueueRefreshes: refreshEnqueuer(queue),
    });
    ({ server, base } = await listenOnLoopback(app));
  }, 120_000);

  afterAll(() => stopWorkerHarness({ server, queue, handle, schema, fake }));

  it('writes a webhook\'s issue back in the refresh job itself: no writeback job, nothing left pending', async () => {
    const issue = newIssue('Checkout is down');
    fake.world.comment(issue, 'customer-1', 'Anyone?', iso(Date.now() - 30_000));
    const response = await post(issue);
    expect(response.status, await response.clone().text()).toBe(202);
    await waitFor('the SLA comment', () => (ourComments(issue).length > 0 ? true : undefined));
    const caseId = await caseIdOf(issue);
    await waitFor('the writeback saved', async () => ((await listWritebackPending(handle.db)).includes(caseId) ? undefined : true));
    expect(ourComments(issue)).toHaveLength(1);
    // One listing, the refresh's timeline: the writeback took "no status comment yet" from it.
    expect(requestsFor(issue, 'issues/list-events-for-timeline')).toBe(1);
    expect(requestsFor(issue, 'issues/list-comments') + requestsFor(issue, 'issues/list-events')).toBe(0);
    expect(await jobsNamed('writeback')).toBe(0);
    expect((await listWritebackLog(handle.db, { caseId })).map((l) => l.outcome)).toEqual(['ok']);
  });

  it('retries a write that failed in the refresh with a writeback job, without fetching the issue again', async () => {
    const issue = newIssue('Payments fail');
    failing.add(issue.number);
    const response = await post(issue);
    expect(response.status).toBe(202);
    const caseId = await waitFor('the failed attempt logged', async () => {
      const id = (await caseIdsByExternalId(handle.db, connectionId, [String(issue.id)])).get(String(issue.id));
      return id !== undefined && (await listWritebackLog(handle.db, { caseId: id })).some((l) => l.outcome === 'failed') ? id : undefined;
    });
    // Flagged until a writeback is done: a crash now would have reconcile queue it again.
    expect(await listWritebackPending(handle.db)).toContain(caseId);
    failing.delete(issue.number);
    await waitFor('the writeback job done', async () => ((await listWritebackLog(handle.db, { caseId })).some((l) => l.outcome === 'ok') ? true : undefined));
    expect(await listWritebackPending(handle.db)).not.toContain(caseId);
    expect(await jobsNamed('writeback')).toBeGreaterThanOrEqual(1);
    expect(requestsFor(issue, 'issues/get')).toBe(1); // the retry was the writeback job, not a second refresh
    expect(ourComments(issue)).toHaveLength(1);
    expect((await listWritebackLog(handle.db, { caseId })).map((l) => l.outcome).reverse()).toEqual(['failed', 'ok']);
  });

  it('dead-letters a writeback that keeps failing, its case still flagged', async () => {
    const issue = newIssue('Login loops');
    failing.add(issue.number);
    expect((await post(issue)).status).toBe(202);
    const caseId = await waitFor('the case stored', () => caseIdOf(issue));
    const letter = await waitFor('the dead letter', async () => (await queue.listDeadLetters()).find((d) => d.name === 'writeback' && (d.payload as { caseId: number }).caseId === caseId));
    // The refresh's own attempt, then the job's first try and its one retry.
    expect(letter.attempts).toBe(2);
    expect((await listWritebackLog(handle.db, { caseId })).filter((l) => l.outcome === 'failed')).toHaveLength(3);
    expect(await listWritebackPending(handle.db)).toContain(caseId);
    expect(ourComments(issue)).toHaveLength(0);
    failing.delete(issue.number);
  });

  it('records a delivery and queues its refresh in one transaction: both or neither', async () => {
    const issue = newIssue('Exports are empty');
    const deliveryId = randomUUID();
    const refreshesBefore = await jobsNamed('refresh');
    // The queue's insert succeeds, then the transaction fails (as a crash before COMMIT would).
    const crashing = createApp({
      handle,
      env,
      enqueueRefreshes: async (requests, options) => {
        await refreshEnqueuer(queue)(requests, options);
        throw new Error('crashed before the commit');
      },
    });
    const { server: crashingServer, base: crashingBase } = await listenOnLoopback(crashing);
    try {
      const { body, headers } = delivery(issue, deliveryId);
      const failed = await fetch(`${crashingBase}/webhooks/github/gh`, { method: 'POST', body, headers });
      expect(failed.status).toBe(500);
    } finally {
      await new Promise<void>((resolve) => crashingServer.close(() => resolve()));
    }
    expect(await jobsNamed('refresh')).toBe(refreshesBefore);
    // Nothing was recorded either: GitHub's redelivery of it is taken, not dropped as a duplicate.
    const redelivered = await post(issue, deliveryId);
    expect(await redelivered.json()).toMatchObject({ accepted: true });
    await waitFor('the SLA comment', () => (ourComments(issue).length > 0 ? true : undefined));
  });

  it('takes a delivery once when it arrives twice at the same moment', async () => {
    const issue = newIssue('Search is slow');
    const deliveryId = randomUUID();
    const answers = await Promise.all([post(issue, deliveryId), post(issue, deliveryId), post(newIssue('Other'))]);
    const bodies = (await Promise.all(answers.map((a) => a.json()))) as { accepted: boolean }[];
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    expect(bodies.filter((b) => b.accepted)).toHaveLength(2);
    expect(bodies.slice(0, 2).map((b) => b.accepted).sort()).toEqual([false, true]);
    await waitFor('the SLA comment', () => (ourComments(issue).length > 0 ? true : undefined));
    expect(requestsFor(issue, 'issues/get')).toBe(1);
  });
});
