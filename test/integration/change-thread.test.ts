// A sync reads its vendor in the connector thread (src/sync/change-thread.ts): the same pages as
// reading in the sync's own thread, within the connection's one limiter, errors that keep their
// meaning for the jobs, and a sync that stops early leaves the limiter whole.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../src/connectors/types.ts';
import type { ChangePage } from '../../src/connectors/types.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { changesInThread } from '../../src/sync/change-thread.ts';
import { applyConfig } from '../../src/sync/config.ts';
import type { ConnectionRuntime } from '../../src/sync/connection.ts';
import { loadConnectionRuntime } from '../../src/sync/connection.ts';
import { startFakeGithub } from '../fakes/github/server.ts';
import type { FakeGithub } from '../fakes/github/server.ts';
import { generateWorld } from '../fakes/github/world.ts';
import { storeBackends } from '../helpers/db.ts';
import { PIPELINE_ENV, REPOS, pipelineConfig } from '../helpers/github-pipeline.ts';

async function collect(pages: AsyncIterable<ChangePage>): Promise<ChangePage[]> {
  const out: ChangePage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

describe('the connector thread', () => {
  let fake: FakeGithub;
  let handle: DatabaseHandle;

  const runtime = (rateLimit: { concurrency: number; perSecond: number }, name = 'gh-main'): Promise<ConnectionRuntime> =>
    loadConnectionRuntime(handle.db, name, { env: PIPELINE_ENV, rateLimit: { concurrency: rateLimit.concurrency, intervalCap: rateLimit.perSecond, intervalMs: 1000, backoffMs: 5 } });

  beforeAll(async () => {
    const world = generateWorld({ seed: 77, repositories: REPOS, issuesPerRepo: 230, pullRequestShare: 0.1 });
    fake = await startFakeGithub({ world });
    handle = await storeBackends()[0]!.open();
    await applyConfig(handle, pipelineConfig(fake.url));
  });
  afterAll(async () => {
    await handle.close();
    await fake.close();
  });

  it('gives the same pages as reading in the sync thread, and counts its requests on the connection', async () => {
    const inThread = await runtime({ concurrency: 8, perSecond: 5000 });
    const here = await runtime({ concurrency: 8, perSecond: 5000 });
    const fromThread = await collect(changesInThread(inThread, null));
    const fromHere = await collect(here.connector.fetchChanges(here.config, null, here.ctx));
    expect(fromThread.length).toBeGreaterThan(3);
    expect(fromThread).toEqual(fromHere);
    expect(inThread.http.stats.requests).toBe(here.http.stats.requests);
  });

  it("takes every request's turn from the connection's shared caps: one at a time when the connection allows one, with this thread's requests too", async () => {
    const limited = await runtime({ concurrency: 1, perSecond: 5000 });
    // While the thread reads (its connector asks for up to 8 pages at once), this thread sends too.
    const reading = collect(changesInThread(limited, null));
    const here = Array.from({ length: 10 }, () => limited.ctx.fetch(`${fake.url}/repos/${REPOS[0]}/labels?per_page=100`, { headers: { authorization: `token ${fake.token}` } }));
    const [pages, answers] = await Promise.all([reading, Promise.all(here)]);
    expect(pages.length).toBeGreaterThan(3);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(limited.http.shared.mostInFlight).toBe(1);
    expect(limited.http.stats.requests).toBeGreaterThan(20);
  });

  it('holds the whole connection back on a rate limit the thread meets, and counts it', async () => {
    const limited = await runtime({ concurrency: 4, perSecond: 5000 });
    fake.setFaultTiming({ retryAfterSeconds: 1 });
    fake.injectFault('rate_limit', 1, (req) => req.operationId === 'issues/list-for-repo');
    const started = Date.now();
    const pages = await collect(changesInThread(limited, null));
    expect(pages.length).toBeGreaterThan(3);
    // The thread's 429 was written into the caps this thread's requests take turns from.
    expect(limited.http.shared.pausedUntil).toBeGreaterThanOrEqual(started + 900);
    expect(limited.http.stats.rateLimited).toBe(1);
  });

  it('brings a connector error across with its code, so the job treats it alike', async () => {
    await applyConfig(handle, {
      ...pipelineConfig(fake.url),
      connections: {
        ...pipelineConfig(fake.url).connections,
        'gh-missing': { ...pipelineConfig(fake.url).connections['gh-main'], config: { ...pipelineConfig(fake.url).connections['gh-main'].config, repositories: ['acme/nowhere'] } },
      },
    });
    const missing = await runtime({ concurrency: 4, perSecond: 5000 }, 'gh-missing');
    const failure = await collect(changesInThread(missing, null)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectorError);
    expect(failure).toMatchObject({ code: 'misconfigured', message: expect.stringContaining('acme/nowhere') });
  });

  it('stops reading when the sync stops early, and gives back every turn it held', async () => {
    const limited = await runtime({ concurrency: 1, perSecond: 5000 });
    const pages = changesInThread(limited, null);
    const first = await pages.next();
    expect(first.done).toBe(false);
    await pages.return!();
    // With one turn per connection, a turn the stopped thread kept would make this wait forever.
    const after = await limited.ctx.fetch(`${fake.url}/repos/${REPOS[0]}/labels?per_page=100`, { headers: { authorization: `token ${fake.token}` } });
    expect(after.status).toBe(200);
    expect(await pages.next()).toEqual({ done: true, value: undefined });
  });
});
