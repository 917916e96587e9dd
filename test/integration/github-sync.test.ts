// fetchChanges / fetchCase against the fake GitHub API: a seeded repository pair of ~300 items,
// every request checked against the OpenAPI description.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubConnector } from '../../src/connectors/github/index.ts';
import type { GithubConfig } from '../../src/connectors/github/index.ts';
import { ConnectorError } from '../../src/connectors/types.ts';
import type { CaseInput, ConnectorContext } from '../../src/connectors/types.ts';
import { startFakeGithub } from '../fakes/github/server.ts';
import type { FakeGithub } from '../fakes/github/server.ts';
import { PAUSE_LABEL, generateWorld } from '../fakes/github/world.ts';
import type { FakeIssue, FakeWorld } from '../fakes/github/world.ts';

const REPOS = ['acme/widgets', 'acme/gadgets'];
const SEVERITY_LABELS = { P1: 'S1', 'priority: critical': 'S1', 'severity/1': 'S1', P2: 'S2', P3: 'S3', P4: 'S4' } as const;
const RANK = Object.keys(SEVERITY_LABELS);

const ctx: ConnectorContext = { fetch, log: () => {} };

async function sync(cfg: GithubConfig, cursor: string | null, context = ctx): Promise<{ cases: CaseInput[]; cursor: string | null; pages: number }> {
  const cases: CaseInput[] = [];
  let pages = 0;
  for await (const page of githubConnector.fetchChanges(cfg, cursor, context)) {
    cases.push(...page.cases);
    cursor = page.nextCursor;
    pages++;
  }
  return { cases, cursor, pages };
}

/** What the case must say, read from the fake's own model (not from its JSON). */
function truth(world: FakeWorld, issue: FakeIssue) {
  const priorities = issue.labels
    .filter((l) => l in SEVERITY_LABELS)
    .sort((a, b) => Number(SEVERITY_LABELS[a as keyof typeof SEVERITY_LABELS].slice(1)) - Number(SEVERITY_LABELS[b as keyof typeof SEVERITY_LABELS].slice(1)) || RANK.indexOf(a) - RANK.indexOf(b));
  const atCreation = issue.events.filter((e) => e.event === 'labeled' && e.createdAt === issue.createdAt).map((e) => e.label!.name);
  const createdPriority = RANK.find((l) => atCreation.includes(l) && SEVERITY_LABELS[l as keyof typeof SEVERITY_LABELS] === 'S1') ?? RANK.find((l) => atCreation.includes(l)) ?? null;
  const agent = [...issue.comments]
    .sort((a, b) => a.id - b.id)
    .find((c) => ['OWNER', 'MEMBER', 'COLLABORATOR'].includes(world.user(c.user).association) && c.user !== issue.user && !c.body.startsWith('<!-- sla-sync'));
  return {
    status: issue.state === 'closed' ? 'closed' : issue.labels.includes(PAUSE_LABEL) ? 'pending' : 'open',
    rawPriority: priorities[0] ?? null,
    labels: issue.labels,
    createdPriority,
    agentReplyAt: agent?.createdAt ?? null,
  };
}

describe('GitHub fetchChanges against the fake API', () => {
  let fake: FakeGithub;
  let cfg: GithubConfig;
  let first: Awaited<ReturnType<typeof sync>>;

  beforeAll(async () => {
    const world = generateWorld({ seed: 20250306, repositories: REPOS, issuesPerRepo: 150, longThreadEvery: 40, bulkSameSecond: 130 });
    fake = await startFakeGithub({ world });
    cfg = githubConnector.configSchema.parse({ baseUrl: fake.url, token: fake.token, repositories: REPOS, severityLabels: SEVERITY_LABELS });
    first = await sync(cfg, null);
  });
  afterAll(() => fake.close());

  it('yields every issue exactly once, no pull request, with zero spec violations', () => {
    const issues = [...fake.world.repos.values()].flatMap((r) => r.issues);
    const expected = issues.filter((i) => !i.isPullRequest).map((i) => String(i.id)).sort();
    expect(issues.some((i) => i.isPullRequest)).toBe(true);
    expect(first.cases.map((c) => c.externalId).sort()).toEqual(expected);
    expect(expected.length).toBeGreaterThan(230);
    expect(fake.violations).toEqual([]);
    expect(fake.responseViolations).toEqual([]);
    expect(fake.writeCalls).toBe(0);
  });

  it('maps each issue as the fake world has it: status, priority, labels, created priority, first agent reply', () => {
    const byId = new Map(first.cases.map((c) => [c.externalId, c]));
    for (const repo of fake.world.repos.values()) {
      for (const issue of repo.issues.filter((i) => !i.isPullRequest)) {
        const c = byId.get(String(issue.id))!;
        const t = truth(fake.world, issue);
        expect({ key: c.externalKey, status: c.status, rawPriority: c.rawPriority, labels: c.attributes['labels'] }).toEqual({
          key: `${repo.fullName}#${issue.number}`,
          status: t.status,
          rawPriority: t.rawPriority,
          labels: t.labels,
        });
        const created = c.events[0]!;
        expect(created.type === 'created' && created.rawPriority).toBe(t.createdPriority);
        expect(c.events.find((e) => e.type === 'agent_reply')?.at ?? null).toBe(t.agentReplyAt);
        const times = c.events.map((e) => Date.parse(e.at));
        expect(times).toEqual([...times].sort((a, b) => a - b));
      }
    }
  });

  it('reads a first sync in bulk: the repository events and comments, 100 a page, and issue by issue only what they may miss', () => {
    const pagesOf = (n: number) => Math.max(1, Math.ceil(n / 100));
    const repos = [...fake.world.repos.values()];
    const bulkEvents = repos.reduce((n, r) => n + pagesOf(r.issues.reduce((k, i) => k + i.events.length, 0)), 0);
    const bulkComments = repos.reduce((n, r) => n + pagesOf(r.issues.reduce((k, i) => k + i.comments.length, 0)), 0);
    expect(fake.count('issues/list-events-for-repo')).toBe(bulkEvents);
    expect(fake.count('issues/list-comments-for-repo')).toBe(bulkComments);
    // Issues updated at or after the newest event of their repository are read on their own.
    const missable = repos.flatMap((r) => {
      const newest = Math.max(...r.issues.flatMap((i) => i.events.map((e) => Date.parse(e.createdAt))));
      return r.issues.filter((i) => !i.isPullRequest && i.updatedAt !== i.createdAt && Date.parse(i.updatedAt) >= newest);
    });
    expect(missable.length).toBeGreaterThan(0);
    expect(fake.count('issues/list-events')).toBe(missable.reduce((n, i) => n + pagesOf(i.events.length), 0));
    expect(fake.count('issues/list-comments')).toBeLessThanOrEqual(missable.reduce((n, i) => n + pagesOf(i.comments.length), 0));
    expect(fake.count('issues/list-for-repo')).toBeLessThanOrEqual(first.pages + REPOS.length);
  });

  it('maps every issue the same read issue by issue (a sync from a cursor) as read in bulk (a first sync)', async () => {
    fake.resetCounters();
    const old = { since: '2000-01-01T00:00:00Z', page: 1, seen: [] };
    const issueByIssue = await sync(cfg, JSON.stringify({ v: 1, repos: Object.fromEntries(REPOS.map((r) => [r, old])) }));
    expect(fake.count('issues/list-events-for-repo') + fake.count('issues/list-comments-for-repo')).toBe(0);
    const sorted = (cases: CaseInput[]) => [...cases].sort((a, b) => a.externalId.localeCompare(b.externalId));
    expect(sorted(issueByIssue.cases)).toEqual(sorted(first.cases));
    expect(fake.violations).toEqual([]);
    expect(fake.responseViolations).toEqual([]);
  });

  it('hands out nothing again from its cursor, and exactly what changed after changes', async () => {
    fake.resetCounters();
    const again = await sync(cfg, first.cursor);
    expect(again.cases).toEqual([]);
    expect(fake.count('issues/list-events') + fake.count('issues/list-comments')).toBe(0);

    const world = fake.world;
    const widgets = world.repo('acme/widgets')!;
    const gadgets = world.repo('acme/gadgets')!;
    const openOne = widgets.issues.find((i) => !i.isPullRequest && i.state === 'open')!;
    const closedOne = gadgets.issues.find((i) => !i.isPullRequest && i.state === 'closed')!;
    const pr = widgets.issues.find((i) => i.isPullRequest)!;
    const at = world.tick();
    world.addLabel(widgets, openOne, 'P1', 'alice', at); // same second as the next one: both seen
    world.comment(world.issue(widgets, 2)!, 'bob', 'On it', at);
    world.reopen(closedOne, 'alice');
    world.comment(pr, 'alice', 'LGTM');

    const changed = await sync(cfg, again.cursor);
    const expected = [openOne, world.issue(widgets, 2)!, closedOne].filter((i) => !i.isPullRequest).map((i) => String(i.id));
    expect(changed.cases.map((c) => c.externalId).sort()).toEqual([...new Set(expected)].sort());
    expect(changed.cases.find((c) => c.externalId === String(closedOne.id))!.status).not.toBe('closed');
    expect(fake.violations).toEqual([]);
  });

  it('fetchCase reads one issue fresh, and answers null for a pull request, an unknown issue or another repository', async () => {
    const widgets = fake.world.repo('acme/widgets')!;
    const issue = widgets.issues.findLast((i) => !i.isPullRequest)!; // untouched since the first sync
    const pr = widgets.issues.find((i) => i.isPullRequest)!;
    const ref = (number: number, id: number, repository = 'acme/widgets') => ({ externalId: String(id), externalKey: `${repository}#${number}`, attributes: { repository, number } });
    // The case a sync makes, plus what the refresh's listing says of the status comment (none yet).
    const { writebackHint, ...fresh } = (await githubConnector.fetchCase(cfg, ref(issue.number, issue.id), ctx))!;
    expect(fresh).toEqual(first.cases.find((c) => c.externalId === String(issue.id)));
    expect(writebackHint).toEqual({ statusCommentId: null });
    expect(await githubConnector.fetchCase(cfg, ref(pr.number, pr.id), ctx)).toBeNull();
    expect(await githubConnector.fetchCase(cfg, ref(99_999, 1), ctx)).toBeNull();
    expect(await githubConnector.fetchCase(cfg, ref(1, issue.id, 'other/repo'), ctx)).toBeNull();
    expect(fake.violations).toEqual([]);
  });
});

describe('GitHub fetchChanges failures', () => {
  let fake: FakeGithub;
  let cfg: GithubConfig;
  beforeAll(async () => {
    fake = await startFakeGithub({ world: generateWorld({ seed: 3, repositories: ['acme/widgets'], issuesPerRepo: 30 }), slowMs: 2000, retryAfterSeconds: 7 });
    cfg = githubConnector.configSchema.parse({ baseUrl: fake.url, token: fake.token, repositories: ['acme/widgets'] });
  });
  afterAll(() => fake.close());

  const failure = async (config: GithubConfig, context = ctx): Promise<ConnectorError> => {
    try {
      await sync(config, null, context);
    } catch (error) {
      if (error instanceof ConnectorError) return error;
      throw error;
    }
    throw new Error('expected the sync to fail');
  };

  it.each([
    ['rate_limit', 'rate_limited', 7000],
    ['secondary_rate_limit', 'rate_limited', 7000],
    ['server_error', 'unavailable', undefined],
  ] as const)('turns a %s fault into %s (retry after %s ms)', async (fault, code, wait) => {
    fake.injectFault(fault, 1, (r) => r.operationId === 'issues/list-events');
    const error = await failure(cfg);
    expect(error.code).toBe(code);
    if (wait === undefined) expect(error.retryAfterMs).toBeUndefined();
    else expect(error.retryAfterMs).toBeGreaterThanOrEqual(wait - 1000);
  });

  it('turns a timeout into unavailable', async () => {
    fake.injectFault('slow', 1);
    const error = await failure(cfg, { fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(200) }), log: () => {} });
    expect(error.code).toBe('unavailable');
  });

  it('turns a wrong token into unauthorized, and a missing repository into misconfigured', async () => {
    expect((await failure({ ...cfg, token: 'wrong' })).code).toBe('unauthorized');
    expect((await failure({ ...cfg, repositories: ['acme/nothing'] })).code).toBe('misconfigured');
  });

  it('leaves out an issue deleted between the list and its events', async () => {
    const widgets = fake.world.repo('acme/widgets')!;
    const victim = widgets.issues.find((i) => !i.isPullRequest && i.updatedAt !== i.createdAt)!;
    const all = await sync(cfg, null);
    // Listed (the list reads the repository directly), then 404 for its events and comments, as
    // GitHub answers for a deleted issue.
    const original = fake.world.issue.bind(fake.world);
    fake.world.issue = (repo, number) => (number === victim.number ? undefined : original(repo, number));
    const logs: string[] = [];
    const cases: CaseInput[] = [];
    // From a cursor, so that issues are read one by one (a first sync reads the history in bulk).
    const old = { since: '2000-01-01T00:00:00Z', page: 1, seen: [] };
    const cursor = JSON.stringify({ v: 1, repos: Object.fromEntries(REPOS.map((r) => [r, old])) });
    for await (const page of githubConnector.fetchChanges(cfg, cursor, { fetch, log: (m) => logs.push(m) })) cases.push(...page.cases);
    fake.world.issue = original;
    expect(cases.map((c) => c.externalId).sort()).toEqual(all.cases.map((c) => c.externalId).filter((id) => id !== String(victim.id)).sort());
    expect(logs).toContain('github: an issue went away during the sync; left out');
  });

  it('refuses a cursor that is not its own', async () => {
    await expect(sync(cfg, '{"since":"yesterday"}')).rejects.toMatchObject({ code: 'bad_payload' });
  });
});
