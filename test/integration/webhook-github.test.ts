// POST /webhooks/github/:connection on a real express app on a free port (STYLE.md): every
// `issues` and `issue_comment` payload of @octokit/webhooks-examples, signed as GitHub signs,
// is accepted and queued; the queued refresh stores the issue's timeline from the (fake) API.
// Bad signatures, malformed JSON, unknown connections: refused, nothing stored.
import { createHmac, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExternalRef } from '../../src/connectors/types.ts';
import { getCaseTimeline } from '../../src/store/cases-repo.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { cases, webhookDeliveries } from '../../src/store/schema/index.ts';
import { applyConfig } from '../../src/sync/config.ts';
import { loadConnectionRuntime } from '../../src/sync/connection.ts';
import { refreshCases } from '../../src/sync/refresh.ts';
import { createApp } from '../../src/web/app.ts';
import { startFakeGithub } from '../fakes/github/server.ts';
import type { FakeGithub } from '../fakes/github/server.ts';
import { FakeWorld } from '../fakes/github/world.ts';
import { storeBackends } from '../helpers/db.ts';
import { listenOnLoopback } from '../helpers/listen.ts';

const require = createRequire(import.meta.url);
interface Definition { name: string; examples: Record<string, any>[] } // eslint-disable-line @typescript-eslint/no-explicit-any
const definitions = require('@octokit/webhooks-examples/api.github.com/index.json') as Definition[];
const examples = definitions
  .filter((d) => d.name === 'issues' || d.name === 'issue_comment')
  .flatMap((d) => d.examples.map((payload, i) => ({ event: d.name, payload, label: `${d.name}.${String(payload['action'])} #${i}` })));

const SECRET = 'webhook-secret-for-tests';
const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** A fake world holding the very issues the recorded payloads speak of (same repositories, ids). */
function worldOfExamples(): FakeWorld {
  const world = new FakeWorld({ startAt: '2019-05-15T15:00:00Z' });
  const seen = new Set<string>();
  for (const { payload } of examples) {
    const repoName: string = payload['repository'].full_name;
    const issue = payload['issue'];
    const key = `${repoName}#${issue.number}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const repo = world.repo(repoName) ?? world.addRepo(repoName);
    while (repo.issues.length < issue.number - 1) world.createIssue(repo, { title: 'filler', user: 'octocat', at: issue.created_at });
    world.user(issue.user.login, issue.author_association ?? 'NONE');
    world.createIssue(repo, { title: issue.title, user: issue.user.login, at: issue.created_at, id: issue.id, pullRequest: Boolean(issue.pull_request) });
  }
  return world;
}

describe.each(storeBackends())('GitHub webhooks on $name', (backend) => {
  let handle: DatabaseHandle;
  let fake: FakeGithub;
  let server: Server;
  let base = '';
  const queued: { connectionId: number; refs: ExternalRef[] }[] = [];
  const env = { GH_TOKEN: 'test-token', GH_HOOK_SECRET: SECRET };

  beforeAll(async () => {
    fake = await startFakeGithub({ world: worldOfExamples() });
    handle = await backend.open();
    await applyConfig(handle, {
      policies: { p: { severities: { S3: { firstResponseMinutes: 60, resolutionMinutes: 480 } }, defaultSeverity: 'S3' } },
      connections: {
        gh: { source: 'github', policy: 'p', rateLimit: { concurrency: 4, perSecond: 1000 }, config: { baseUrl: fake.url, token: 'env:GH_TOKEN', webhookSecret: 'env:GH_HOOK_SECRET', repositories: ['Codertocat/Hello-World', 'octo-org/octo-repo'] } },
      },
    });
    const app = createApp({ handle, env, enqueueRefreshes: async (requests) => void queued.push(...requests) });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 120_000);
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await fake?.close();
    await handle?.close();
  });

  const post = (path: string, body: string, headers: Record<string, string>) =>
    fetch(`${base}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  const caseCount = async () => (await handle.db.select({ n: count() }).from(cases))[0]!.n;

  it.each(examples)('accepts $label, queues its issue, and the refresh stores its timeline', async ({ event, payload }) => {
    queued.length = 0;
    const body = JSON.stringify(payload);
    const delivery = randomUUID();
    const response = await post('/webhooks/github/gh', body, { 'x-github-event': event, 'x-github-delivery': delivery, 'x-hub-signature-256': sign(body) });
    expect(response.status).toBe(202);
    const issue = payload['issue'];
    if (issue.pull_request) {
      expect(queued).toEqual([]); // pull requests are not cases
      return;
    }
    expect(queued).toHaveLength(1);
    const ref = queued[0]!.refs.find((r) => r.externalId === String(issue.id))!;
    expect(ref.externalKey).toBe(`${payload['repository'].full_name}#${issue.number}`);

    const runtime = await loadConnectionRuntime(handle.db, 'gh', { env });
    const stored = await refreshCases(handle, runtime, [ref], Date.parse('2019-05-16T00:00:00Z'));
    expect(stored.caseIds.length).toBeGreaterThanOrEqual(1);
    const timeline = await getCaseTimeline(handle.db, stored.caseIds[0]!);
    // The examples disagree among themselves on the same issue's creation time; the stored timeline
    // follows the API (the fake's world), which is what the refresh fetched.
    const inWorld = fake.world.issue(fake.world.repo(payload['repository'].full_name)!, issue.number)!;
    expect(String(inWorld.id)).toBe(String(issue.id));
    expect(timeline.events[0]).toMatchObject({ type: 'created', at: inWorld.createdAt, status: 'open' });

    // The same delivery again is acknowledged and ignored.
    queued.length = 0;
    const again = await post('/webhooks/github/gh', body, { 'x-github-event': event, 'x-github-delivery': delivery, 'x-hub-signature-256': sign(body) });
    expect(again.status).toBe(202);
    expect(await again.json()).toMatchObject({ duplicate: true });
    expect(queued).toEqual([]);
  });

  it('refuses a bad or missing signature with 401 and stores nothing', async () => {
    const { event, payload } = examples[0]!;
    const body = JSON.stringify(payload);
    const before = await caseCount();
    const deliveriesBefore = (await handle.db.select({ n: count() }).from(webhookDeliveries))[0]!.n;
    queued.length = 0;
    for (const signature of [sign(body, 'wrong-secret'), undefined, 'sha256=00', sign(`${body} `)]) {
      const headers: Record<string, string> = { 'x-github-event': event, 'x-github-delivery': randomUUID() };
      if (signature) headers['x-hub-signature-256'] = signature;
      const response = await post('/webhooks/github/gh', body, headers);
      expect(response.status).toBe(401);
    }
    expect(queued).toEqual([]);
    expect(await caseCount()).toBe(before);
    expect((await handle.db.select({ n: count() }).from(webhookDeliveries))[0]!.n).toBe(deliveriesBefore);
  });

  it('answers 400 to malformed JSON, 404 to an unknown connection, 415 to a non-JSON body', async () => {
    const broken = '{"action":"opened",';
    const bad = await post('/webhooks/github/gh', broken, { 'x-github-event': 'issues', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': sign(broken) });
    expect(bad.status).toBe(400);
    const body = JSON.stringify(examples[0]!.payload);
    const unknown = await post('/webhooks/github/nope', body, { 'x-github-event': 'issues', 'x-hub-signature-256': sign(body) });
    expect(unknown.status).toBe(404);
    expect((await post('/webhooks/zendesk/gh', body, {})).status).toBe(404);
    const text = await fetch(`${base}/webhooks/github/gh`, { method: 'POST', body, headers: { 'content-type': 'text/plain', 'x-hub-signature-256': sign(body) } });
    expect(text.status).toBe(415);
    expect(queued).toEqual([]);
  });

  it('records no delivery whose refresh could not be queued (one transaction), so the vendor\'s retry of it is taken', async () => {
    let failNext = true;
    const taken: ExternalRef[][] = [];
    const flaky = createApp({
      handle,
      env,
      enqueueRefreshes: async (requests) => {
        if (failNext) {
          failNext = false;
          throw new Error('queue unavailable');
        }
        taken.push(...requests.map((r) => r.refs));
      },
    });
    const deliveries = async () => (await handle.db.select({ n: count() }).from(webhookDeliveries))[0]!.n;
    const deliveriesBefore = await deliveries();
    const { server: flakyServer, base: flakyBase } = await listenOnLoopback(flaky);
    try {
      const { event, payload } = examples.find((e) => !e.payload['issue'].pull_request)!;
      const body = JSON.stringify(payload);
      const headers = { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': randomUUID(), 'x-hub-signature-256': sign(body) };
      const first = await fetch(`${flakyBase}/webhooks/github/gh`, { method: 'POST', body, headers });
      expect(first.status).toBe(500);
      expect(await deliveries()).toBe(deliveriesBefore);
      const retry = await fetch(`${flakyBase}/webhooks/github/gh`, { method: 'POST', body, headers });
      expect(retry.status).toBe(202);
      expect(await retry.json()).toMatchObject({ accepted: true });
      expect(taken).toHaveLength(1);
      expect(taken[0]!.map((r) => r.externalId)).toEqual([String(payload['issue'].id)]);
      expect(await deliveries()).toBe(deliveriesBefore + 1);
    } finally {
      await new Promise<void>((resolve) => flakyServer.close(() => resolve()));
    }
  });
});
