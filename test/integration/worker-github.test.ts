// The worker end to end (issue 3, "Jobs"): a queued sync stores, evaluates and writes back; a
// webhook's refresh reaches the ticket through the queue; a breach timer flips the at-risk label
// at its instant though the ticket never changes; a connection that cannot work ends in the dead
// letters the admin sees, never silently.
import { createHmac, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listWritebackPending } from '../../src/store/cases-repo.ts';
import { getConnectionByName } from '../../src/store/connections-repo.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { applyConfig } from '../../src/sync/config.ts';
import { refreshEnqueuer, startWorkers } from '../../src/sync/jobs.ts';
import type { JobQueue } from '../../src/sync/queue.ts';
import { queueFor } from '../../src/sync/queue.ts';
import { createApp } from '../../src/web/app.ts';
import { startFakeGithub } from '../fakes/github/server.ts';
import type { FakeGithub } from '../fakes/github/server.ts';
import { generateWorld, iso } from '../fakes/github/world.ts';
import { storeBackends } from '../helpers/db.ts';
import { stopWorkerHarness, waitFor } from '../helpers/worker-harness.ts';

const require = createRequire(import.meta.url);
interface Definition { name: string; examples: Record<string, any>[] } // eslint-disable-line @typescript-eslint/no-explicit-any
const definitions = require('@octokit/webhooks-examples/api.github.com/index.json') as Definition[];

const REPO = 'acme/support';
const SECRET = 'worker-test-secret';
const env = { W_TOKEN: 'test-token', W_SECRET: SECRET };

describe.each(storeBackends())('worker on $name', (backend) => {
  let handle: DatabaseHandle;
  let fake: FakeGithub;
  let queue: JobQueue;
  let server: Server;
  let base = '';
  const schema = `pgboss_w_${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    fake = await startFakeGithub({ world: generateWorld({ seed: 3, repositories: [REPO], issuesPerRepo: 40 }) });
    handle = await backend.open();
    await applyConfig(handle, {
      policies: {
        // S1 answers within a minute; at risk after 5% (3 s): a timer that fires within a test.
        fast: { severities: { S1: { firstResponseMinutes: 1, resolutionMinutes: 600 }, S3: { firstResponseMinutes: 240, resolutionMinutes: 1440 } }, defaultSeverity: 'S3', atRiskPercent: 5 },
      },
      connections: {
        gh: { source: 'github', policy: 'fast', rateLimit: { concurrency: 8, perSecond: 1000 }, config: { baseUrl: fake.url, token: 'env:W_TOKEN', webhookSecret: 'env:W_SECRET', repositories: [REPO], severityLabels: { P1: 'S1', P2: 'S3', P3: 'S3', P4: 'S3', 'priority: critical': 'S1', 'severity/1': 'S1' } } },
        broken: { source: 'github', policy: 'fast', config: { baseUrl: fake.url, token: 'not-the-token', repositories: [REPO] } },
      },
    });
    queue = queueFor(handle, { schema, pollingIntervalSeconds: 0.5, retry: { sync: { retryLimit: 1, retryDelay: 1 } } });
    await queue.start();
    await startWorkers({ handle, queue, runtime: { env }, concurrency: { writeback: 4 } });
    const app = createApp({ handle, env, enqueueRefreshes: refreshEnqueuer(queue) });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 120_000);

  afterAll(() => stopWorkerHarness({ server, queue, handle, schema, fake }));

  it('runs a queued sync, then the writebacks it queued', async () => {
    const gh = (await getConnectionByName(handle.db, 'gh'))!;
    await queue.send('sync', { connectionId: gh.id });
    const open = fake.world.repo(REPO)!.issues.filter((i) => !i.isPullRequest && i.state === 'open');
    const commented = (i: (typeof open)[number]) => i.comments.filter((c) => c.body.startsWith('<!-- sla-sync')).length;
    // Every open issue gets its one SLA comment.
    await waitFor('writebacks', () => (open.every((i) => commented(i) >= 1) ? true : undefined));
    await waitFor('no writeback pending', async () => ((await listWritebackPending(handle.db)).length === 0 ? true : undefined));
    for (const issue of open) expect(commented(issue)).toBe(1);
    expect(fake.violations).toEqual([]);
  });

  it('turns a webhook into a refresh and a writeback, and flips "at risk" on its timer', async () => {
    const repo = fake.world.repo(REPO)!;
    const issue = fake.world.createIssue(repo, { title: 'Checkout is down', user: 'customer-1', at: iso(Date.now()), labels: ['P1'] });
    // A real recorded `issues.opened` delivery, pointed at this issue.
    const recorded = definitions.find((d) => d.name === 'issues')!.examples.find((e) => e['action'] === 'opened')!;
    const payload = structuredClone(recorded);
    Object.assign(payload['issue'], { id: issue.id, number: issue.number, title: issue.title, labels: [{ ...payload['issue'].labels?.[0], name: 'P1' }], created_at: issue.createdAt, updated_at: issue.updatedAt });
    Object.assign(payload['repository'], { full_name: REPO, name: 'support' });
    const body = JSON.stringify(payload);
    const response = await fetch(`${base}/webhooks/github/gh`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-github-event': 'issues', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` },
    });
    expect(response.status, await response.clone().text()).toBe(202);
    // The refresh and writeback post the SLA comment...
    await waitFor('the SLA comment', () => (issue.comments.some((c) => c.body.startsWith('<!-- sla-sync')) ? true : undefined));
    expect(issue.labels).not.toContain('sla: at risk');
    // ...and 3 s after creation, with no change to the ticket, the timer adds the label.
    await waitFor('the at-risk label', () => (issue.labels.includes('sla: at risk') ? true : undefined), 20_000);
    expect(Date.now() - Date.parse(issue.createdAt)).toBeGreaterThanOrEqual(3000);
  });

  it('dead-letters a sync whose credentials the vendor refuses, visibly', async () => {
    const broken = (await getConnectionByName(handle.db, 'broken'))!;
    await queue.send('sync', { connectionId: broken.id });
    const letter = await waitFor('the dead letter', async () => (await queue.listDeadLetters()).find((d) => d.name === 'sync'));
    expect(letter.payload).toMatchObject({ connectionId: broken.id });
    expect(letter.error).toMatch(/credential|401|unauthor|Bad credentials/i);
  });
});
