// The fake GitHub API itself: the OpenAPI check bites, pagination and faults behave like GitHub's.
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubConnector } from '../../src/connectors/github/index.ts';
import type { CaseInput, ConnectorContext } from '../../src/connectors/types.ts';
import { startFakeGithub } from '../fakes/github/server.ts';
import type { FakeGithub } from '../fakes/github/server.ts';
import { generateWorld } from '../fakes/github/world.ts';

describe('the fake GitHub API checks requests against the OpenAPI description', () => {
  let fake: FakeGithub;
  beforeAll(async () => {
    fake = await startFakeGithub({ world: generateWorld({ seed: 1, repositories: ['acme/widgets'], issuesPerRepo: 5 }) });
  });
  afterAll(() => fake.close());

  const call = async (method: string, path: string, body?: unknown) => {
    const before = fake.violations.length;
    const res = await fetch(`${fake.url}${path}`, {
      method,
      headers: { authorization: `token ${fake.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, problems: fake.violations.slice(before).flatMap((v) => v.problems) };
  };

  it.each([
    ['an undeclared query parameter', 'GET', '/repos/acme/widgets/issues?state=all&sortBy=updated', undefined, 422, 'query parameter "sortBy" is not declared for issues/list-for-repo'],
    ['a value outside the enum', 'GET', '/repos/acme/widgets/issues?state=everything', undefined, 422, 'query parameter state: "everything" is not one of ["open","closed","all"]'],
    ['a non-integer page size', 'GET', '/repos/acme/widgets/issues?per_page=lots', undefined, 422, 'query parameter per_page: "lots" is not an integer'],
    ['a since that is no date-time', 'GET', '/repos/acme/widgets/issues?since=yesterday', undefined, 422, 'query parameter since: "yesterday" is not a date-time'],
    ['a parameter of another operation', 'GET', '/repos/acme/widgets/issues/1/events?since=2025-01-01T00:00:00Z', undefined, 422, 'query parameter "since" is not declared for issues/list-events'],
    ['a path parameter of the wrong type', 'GET', '/repos/acme/widgets/issues/first', undefined, 422, 'path parameter issue_number: "first" is not an integer'],
    ['an operation that does not exist', 'GET', '/repos/acme/widgets/issues/1/history', undefined, 404, 'no operation GET /repos/acme/widgets/issues/1/history in the OpenAPI description'],
    ['a method the path does not have', 'PATCH', '/repos/acme/widgets/labels', { name: 'x' }, 404, 'no operation PATCH /repos/acme/widgets/labels in the OpenAPI description'],
    ['a body missing a required field', 'POST', '/repos/acme/widgets/issues/1/comments', { text: 'hi' }, 422, 'body.body: is required'],
    ['an empty label list', 'POST', '/repos/acme/widgets/issues/1/labels', { labels: [] }, 422, 'body: matches 0 of oneOf (exactly 1 required): body.labels: fewer than 1 items'],
    ['a wrongly typed body field', 'POST', '/repos/acme/widgets/labels', { name: 7 }, 422, 'body.name: expected a string'],
  ])('refuses and records %s', async (_name, method, path, body, status, problem) => {
    const res = await call(method, path, body);
    expect(res.status).toBe(status);
    expect(res.problems).toContain(problem);
  });

  it('catches an undeclared parameter sent through Octokit too (what a connector bug would look like)', async () => {
    const gh = new Octokit({ auth: fake.token, baseUrl: fake.url, request: { fetch } });
    const before = fake.violations.length;
    await expect(gh.request('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner: 'acme', repo: 'widgets', issue_number: 1, sort: 'created' })).rejects.toMatchObject({ status: 422 });
    expect(fake.violations.slice(before)).toEqual([
      { method: 'GET', url: '/repos/acme/widgets/issues/1/comments?sort=created', problems: ['query parameter "sort" is not declared for issues/list-comments'] },
    ]);
  });

  it('accepts what GitHub accepts, pages with Link headers and requires the token', async () => {
    const before = fake.violations.length;
    const res = await fetch(`${fake.url}/repos/acme/widgets/issues?state=all&per_page=2&page=2`, { headers: { authorization: `Bearer ${fake.token}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as unknown[]).length).toBe(2);
    expect(res.headers.get('link')).toMatch(/page=1>; rel="prev", <.*page=3>; rel="next", <.*page=3>; rel="last", <.*page=1>; rel="first"/);
    expect((await fetch(`${fake.url}/repos/acme/widgets/issues`)).status).toBe(401);
    expect(fake.violations.length).toBe(before);
  });
});

describe('the fake GitHub API under faults', () => {
  /** A stand-in for src/sync's fetch: retries 429, secondary limits, 5xx and timeouts, honouring Retry-After (scaled down). */
  const retryingFetch: typeof fetch = async (input, init) => {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(input, { ...init, signal: AbortSignal.timeout(300) });
        // The body too is read under the timeout: an answer that stalls mid-body is retried.
        const body = await res.arrayBuffer();
        const retryable = res.status === 429 || res.status >= 500 || (res.status === 403 && res.headers.has('retry-after'));
        if (!retryable || attempt >= 20) return new Response(res.status === 204 ? null : body, { status: res.status, statusText: res.statusText, headers: res.headers });
        await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 0) * 5));
      } catch (error) {
        if (attempt >= 20) throw error;
      }
    }
  };

  async function syncAll(fake: FakeGithub, context: ConnectorContext): Promise<CaseInput[]> {
    const cfg = githubConnector.configSchema.parse({ baseUrl: fake.url, token: fake.token, repositories: ['acme/widgets'], severityLabels: { P1: 'S1', P2: 'S2' } });
    const cases: CaseInput[] = [];
    for await (const page of githubConnector.fetchChanges(cfg, null, context)) cases.push(...page.cases);
    return cases;
  }

  it('with random 429s, secondary limits, 500s and timeouts, a retrying fetch gets exactly the undisturbed result', async () => {
    const world = () => generateWorld({ seed: 99, repositories: ['acme/widgets'], issuesPerRepo: 120, longThreadEvery: 30 });
    const calm = await startFakeGithub({ world: world() });
    const stormy = await startFakeGithub({ world: world(), slowMs: 1000 });
    stormy.setRandomFaults({ seed: 7, probability: { rate_limit: 0.05, secondary_rate_limit: 0.05, server_error: 0.05, slow: 0.03 } });
    try {
      const expected = await syncAll(calm, { fetch, log: () => {} });
      const got = await syncAll(stormy, { fetch: retryingFetch, log: () => {} });
      expect(got).toEqual(expected);
      expect(Object.values(stormy.faultsServed).every((n) => n > 0)).toBe(true);
      expect([...calm.violations, ...stormy.violations]).toEqual([]);
    } finally {
      await calm.close();
      await stormy.close();
    }
  });

  it('serves a GitHub Enterprise Server base path (/api/v3)', async () => {
    const ghes = await startFakeGithub({ world: generateWorld({ seed: 5, repositories: ['acme/widgets'], issuesPerRepo: 20 }), basePath: '/api/v3' });
    try {
      expect(ghes.url).toMatch(/\/api\/v3$/);
      const cases = await syncAll(ghes, { fetch, log: () => {} });
      expect(cases.length).toBe(ghes.world.repo('acme/widgets')!.issues.filter((i) => !i.isPullRequest).length);
      expect(ghes.violations).toEqual([]);
    } finally {
      await ghes.close();
    }
  });
});

describe('the fake GitHub API with cached reads (benchmarks)', () => {
  it('serves a repeated read from its cache, still checks every request, and forgets the cache on a write', async () => {
    const fake = await startFakeGithub({ world: generateWorld({ seed: 2, repositories: ['acme/widgets'], issuesPerRepo: 3 }), cacheReads: true });
    try {
      const headers = { authorization: `token ${fake.token}`, 'content-type': 'application/json' };
      const comments = async () => (await (await fetch(`${fake.url}/repos/acme/widgets/issues/1/comments?per_page=100`, { headers })).json()) as { body: string }[];
      const before = await comments();
      expect(await comments()).toEqual(before);
      // Still checked: a bad parameter is refused even though the path's answer is cached.
      expect((await fetch(`${fake.url}/repos/acme/widgets/issues/1/comments?per_page=100&sort=created`, { headers })).status).toBe(422);
      const created = await fetch(`${fake.url}/repos/acme/widgets/issues/1/comments`, { method: 'POST', headers, body: JSON.stringify({ body: 'after the cache' }) });
      expect(created.status).toBe(201);
      const after = await comments();
      expect(after).toHaveLength(before.length + 1);
      expect(after.at(-1)!.body).toBe('after the cache');
    } finally {
      await fake.close();
    }
  });
});
