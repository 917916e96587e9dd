// fetchChanges / fetchCase against the fake Jira: 1,040 issues in a service desk and a software
// project over many pages, with long changelogs, long comment threads, a bulk edit within one minute
// and the API user in a zone west of UTC; every request checked against Atlassian's OpenAPI
// description. Then the cursor (resume after a stop, incremental changes) and the faults.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jiraConnector } from '../../src/connectors/jira/index.ts';
import type { JiraConfig } from '../../src/connectors/jira/index.ts';
import { fetchJiraCase, fetchJiraChanges, forgetSiteInfo } from '../../src/connectors/jira/changes.ts';
import type { JiraFetchOptions } from '../../src/connectors/jira/changes.ts';
import { ConnectorError } from '../../src/connectors/types.ts';
import type { CaseInput, ConnectorContext, SourceEvent } from '../../src/connectors/types.ts';
import { createLimitedFetch } from '../../src/sync/http.ts';
import { startFakeJira } from '../fakes/jira/server.ts';
import type { FakeJira } from '../fakes/jira/server.ts';
import { ORGANIZATIONS_FIELD, generateJiraWorld } from '../fakes/jira/world.ts';
import type { FakeIssue, FakeJiraWorld } from '../fakes/jira/world.ts';

const ctx: ConnectorContext = { fetch, log: () => {} };
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

interface SyncRun {
  cases: CaseInput[];
  cursor: string | null;
  pages: number;
}

async function sync(cfg: JiraConfig, cursor: string | null, options: { context?: ConnectorContext; fetchOptions?: JiraFetchOptions; stopAfter?: number } = {}): Promise<SyncRun> {
  const cases: CaseInput[] = [];
  let pages = 0;
  for await (const page of fetchJiraChanges(cfg, cursor, options.context ?? ctx, options.fetchOptions)) {
    cases.push(...page.cases);
    cursor = page.nextCursor;
    if (++pages === options.stopAfter) break;
  }
  return { cases, cursor, pages };
}

/** The last version of each case, as a store would keep it. */
const latest = (cases: readonly CaseInput[]): Map<string, CaseInput> => new Map(cases.map((c) => [c.externalId, c]));

/** What the case must say, read from the fake's model (its recorded initial state and changes), not from its JSON. */
function truth(world: FakeJiraWorld, issue: FakeIssue) {
  const norm = (statusId: string): string => {
    const s = world.statuses.get(statusId)!;
    return s.name === 'Waiting for customer' ? 'pending' : s.category === 'done' ? 'solved' : s.category === 'new' ? 'new' : 'open';
  };
  const priorityName = (id: string | null): string | null => (id === null ? null : world.priorities.get(id)!.name);
  const histories = [...issue.histories].sort((a, b) => a.created - b.created || Number(a.id) - Number(b.id));
  let statusId = issue.initialStatusId;
  let priorityId = issue.initialPriorityId;
  const apply = (h: (typeof histories)[number]): void => {
    for (const item of h.items) {
      if (item.fieldId === 'status') statusId = item.to!;
      if (item.fieldId === 'priority') priorityId = item.to;
    }
  };
  for (const h of histories) if (h.created <= issue.created) apply(h);
  const created = { status: norm(statusId), rawPriority: priorityName(priorityId) };
  const statusEvents: [string, string][] = [];
  const priorityEvents: [string, string | null][] = [];
  for (const h of histories.filter((x) => x.created > issue.created)) {
    const [beforeStatus, beforePriority] = [norm(statusId), priorityName(priorityId)];
    apply(h);
    if (norm(statusId) !== beforeStatus) statusEvents.push([iso(h.created), norm(statusId)]);
    if (priorityName(priorityId) !== beforePriority) priorityEvents.push([iso(h.created), priorityName(priorityId)]);
  }
  const reply = [...issue.comments]
    .sort((a, b) => a.created - b.created || Number(a.id) - Number(b.id))
    .find((c) => world.users.get(c.author)!.accountType === 'atlassian' && c.author !== issue.reporter && c.jsdPublic && !c.visibility);
  return {
    key: issue.key,
    url: `${'SITE'}/browse/${issue.key}`,
    status: norm(issue.statusId),
    rawPriority: priorityName(issue.priorityId),
    created,
    statusEvents,
    priorityEvents,
    replyAt: reply ? iso(Math.max(reply.created, issue.created)) : null,
    attributes: {
      projectKey: issue.project.key,
      issueType: issue.issueType,
      labels: issue.labels,
      reporterAccountId: issue.reporter,
      components: issue.components,
      ...(issue.project.serviceDesk ? { organizations: issue.organizations } : {}),
    },
  };
}

function observed(c: CaseInput, site: string) {
  const created = c.events[0]!;
  const of = <T extends SourceEvent['type']>(type: T) => c.events.filter((e): e is Extract<SourceEvent, { type: T }> => e.type === type);
  return {
    key: c.externalKey,
    url: c.url.replace(site, 'SITE'),
    status: c.status,
    rawPriority: c.rawPriority,
    created: created.type === 'created' ? { status: created.status, rawPriority: created.rawPriority } : null,
    statusEvents: of('status').map((e) => [e.at, e.status]),
    priorityEvents: of('priority').map((e) => [e.at, e.rawPriority]),
    replyAt: of('agent_reply')[0]?.at ?? null,
    attributes: c.attributes,
  };
}

describe('Jira fetchChanges against the fake API', () => {
  let fake: FakeJira;
  let cfg: JiraConfig;
  let first: SyncRun;
  /** A whole sync after the incremental changes (the resume test makes it). */
  let whole: SyncRun;

  beforeAll(async () => {
    const world = generateJiraWorld({ seed: 20250303, issuesPerProject: 520, longChangelogEvery: 37, longCommentsEvery: 53, bulkSameMinute: 130 });
    fake = await startFakeJira({ world });
    cfg = jiraConnector.configSchema.parse({
      siteUrl: fake.url,
      email: fake.email,
      apiToken: fake.apiToken,
      jql: 'project in (SUP, OPS)',
      organizationsFieldId: ORGANIZATIONS_FIELD,
      pageSize: 50,
    });
    first = await sync(cfg, null);
  });
  afterAll(() => fake.close());

  it('yields every issue exactly once over many pages, with zero spec violations and no write', () => {
    const ids = first.cases.map((c) => c.externalId);
    expect(fake.world.issues.length).toBeGreaterThanOrEqual(1000);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(fake.world.issues.map((i) => i.id).sort());
    expect(first.pages).toBeGreaterThan(20);
    expect(fake.violations).toEqual([]);
    expect(fake.responseViolations).toEqual([]);
    expect(fake.writeCalls).toBe(0);
  });

  it('maps each issue as the fake site has it: status, priority, values at creation, every change, first agent reply, attributes', () => {
    const byId = latest(first.cases);
    const world = fake.world;
    for (const issue of world.issues) {
      const c = byId.get(issue.id)!;
      expect(observed(c, fake.url)).toEqual(truth(world, issue));
      const times = c.events.map((e) => Date.parse(e.at));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
    // The world has what the rules are about.
    const all = world.issues;
    expect(all.filter((i) => i.histories.length > 100).length).toBeGreaterThan(20);
    expect(all.filter((i) => i.comments.length > 100).length).toBeGreaterThan(15);
    expect(all.filter((i) => i.comments.some((c) => !c.jsdPublic)).length).toBeGreaterThan(50);
    expect(first.cases.filter((c) => c.status === 'pending').length).toBeGreaterThan(20);
    expect(first.cases.filter((c) => c.events.some((e) => e.type === 'status' && e.status === 'open') && c.events.some((e) => e.type === 'status' && e.status === 'solved')).length).toBeGreaterThan(20);
  });

  it('hands out nothing again from its cursor, and exactly what changed after changes in the same minute', async () => {
    fake.resetCounters();
    const again = await sync(cfg, first.cursor);
    expect(again.cases).toEqual([]);
    // The search re-reads the overlap window before the cursor: here the bulk edit's 130 issues of
    // one minute, 3 pages of 50 (each issue skipped as seen). The statuses and the user's zone are
    // known from the first sync.
    expect(fake.count('searchAndReconsileIssuesUsingJql')).toBe(Math.ceil(130 / cfg.pageSize));
    expect(fake.count()).toBe(Math.ceil(130 / cfg.pageSize));

    const world = fake.world;
    const agent = world.user('Alice Agent').accountId;
    const [a, b, c] = [world.issue('SUP-10')!, world.issue('OPS-20')!, world.issue('SUP-400')!];
    // Within the cursor's minute (the overlap) and after it: all are seen, each once.
    world.transition(a, 'Waiting for customer', agent, world.clockMs + 5);
    world.comment(b, agent, 'On it', { at: world.clockMs + 20_000 });
    world.editLabels(c, { add: ['escalated'] }, agent, world.clockMs + 3 * 60_000);
    world.clockMs += 4 * 60_000;
    const changed = await sync(cfg, again.cursor);
    expect(changed.cases.map((x) => x.externalKey).sort()).toEqual(['OPS-20', 'SUP-10', 'SUP-400']);
    expect(changed.cases.find((x) => x.externalKey === 'SUP-10')!.status).toBe('pending');
    expect(latest(changed.cases).get(c.id)!.attributes['labels']).toContain('escalated');
    expect((await sync(cfg, changed.cursor)).cases).toEqual([]);
    expect(fake.violations).toEqual([]);
  });

  it('ends identical when stopped after some pages and resumed from its cursor', async () => {
    whole = await sync(cfg, null);
    const stopped = await sync(cfg, null, { stopAfter: 7 });
    expect(stopped.pages).toBe(7);
    const resumed = await sync(cfg, stopped.cursor);
    const union = latest([...stopped.cases, ...resumed.cases]);
    expect([...union.values()].sort((x, y) => Number(x.externalId) - Number(y.externalId))).toEqual([...latest(whole.cases).values()].sort((x, y) => Number(x.externalId) - Number(y.externalId)));
    expect(resumed.cursor).toBe(whole.cursor);
    // At most one page is handed out twice.
    expect(stopped.cases.length + resumed.cases.length - union.size).toBeLessThanOrEqual(cfg.pageSize);
  });

  it('fetchCase reads one issue fresh, and answers null for an issue outside the JQL, an unknown id or a key', async () => {
    const byId = latest(whole.cases);
    const long = fake.world.issues.filter((i) => i.histories.length > 100 || i.comments.length > 100).slice(0, 4);
    for (const issue of [...long, fake.world.issues[0]!]) {
      expect(await jiraConnector.fetchCase(cfg, { externalId: issue.id, externalKey: issue.key, attributes: {} }, ctx)).toEqual(byId.get(issue.id));
    }
    const ops = fake.world.issue('OPS-1')!;
    expect(await jiraConnector.fetchCase({ ...cfg, jql: 'project = SUP' }, { externalId: ops.id, externalKey: ops.key, attributes: {} }, ctx)).toBeNull();
    expect(await jiraConnector.fetchCase(cfg, { externalId: '999999', externalKey: 'SUP-99999', attributes: {} }, ctx)).toBeNull();
    expect(await jiraConnector.fetchCase(cfg, { externalId: 'SUP-1', externalKey: 'SUP-1', attributes: {} }, ctx)).toBeNull();
    expect(fake.violations).toEqual([]);
  });
});

describe('Jira request costs: changelog and comment routes, measured', () => {
  let fake: FakeJira;
  let cfg: JiraConfig;
  const combos: JiraFetchOptions[] = [
    { changelog: 'hybrid', comments: 'inline' },
    { changelog: 'bulkfetch', comments: 'inline' },
    { changelog: 'expand', comments: 'inline' },
    { changelog: 'hybrid', comments: 'per-issue' },
  ];
  const label = (o: JiraFetchOptions) => `${o.changelog}/${o.comments}`;

  beforeAll(async () => {
    const world = generateJiraWorld({ seed: 7, issuesPerProject: 500, longChangelogEvery: 37, longCommentsEvery: 53 });
    // Responses are checked by the first describe; here only requests are (and counted).
    fake = await startFakeJira({ world, validateResponses: false });
    cfg = jiraConnector.configSchema.parse({ siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken, jql: 'project in (SUP, OPS)' });
  });
  afterAll(() => fake.close());

  it('maps identically whatever the route, and the default route spends the fewest requests', async () => {
    const costs: Record<string, { full: number; fullKb: number; incremental: number; refresh100: number }> = {};
    const results = new Map<string, CaseInput[]>();
    const cursors = new Map<string, string | null>();
    for (const options of combos) {
      forgetSiteInfo(); // each route pays for the site's statuses
      fake.resetCounters();
      const run = await sync(cfg, null, { fetchOptions: options });
      costs[label(options)] = { full: fake.count(), fullKb: Math.round(fake.bytes() / 1024), incremental: 0, refresh100: 0 };
      results.set(label(options), [...latest(run.cases).values()]);
      cursors.set(label(options), run.cursor);
    }
    const reference = results.get('hybrid/inline')!;
    expect(reference.length).toBe(1000);
    for (const [name, cases] of results) expect(cases, name).toEqual(reference);

    // An incremental sync after 40 issues changed, and 100 webhook refreshes.
    const world = fake.world;
    const agent = world.user('Alice Agent').accountId;
    world.issues.filter((_, i) => i % 25 === 0).forEach((issue, i) => world.comment(issue, agent, 'Update', { at: world.clockMs + i * 1000 }));
    world.clockMs += 5 * 60_000;
    const refs = world.issues.filter((_, i) => i % 10 === 0).map((i) => ({ externalId: i.id, externalKey: i.key, attributes: {} }));
    for (const options of combos) {
      forgetSiteInfo();
      fake.resetCounters();
      const run = await sync(cfg, cursors.get(label(options))!, { fetchOptions: options });
      expect(run.cases.length).toBe(40);
      costs[label(options)]!.incremental = fake.count();
      forgetSiteInfo();
      fake.resetCounters();
      for (const ref of refs) await fetchJiraCase(cfg, ref, ctx, options);
      costs[label(options)]!.refresh100 = fake.count();
    }
    console.info(`Jira request costs, 1,000 issues (pages of 100):\n${JSON.stringify(costs, null, 1)}`);

    const best = costs['hybrid/inline']!;
    for (const [name, cost] of Object.entries(costs)) {
      expect(best.full, name).toBeLessThanOrEqual(cost.full);
      expect(best.incremental, name).toBeLessThanOrEqual(cost.incremental);
      expect(best.refresh100, name).toBeLessThanOrEqual(cost.refresh100);
    }
    expect(costs['expand/inline']!.full).toBeGreaterThan(best.full);
    expect(costs['hybrid/per-issue']!.full).toBeGreaterThan(5 * best.full);
    expect(fake.violations).toEqual([]);
  });
});

describe('Jira fetchChanges faults', () => {
  let fake: FakeJira;
  let cfg: JiraConfig;
  let clean: Map<string, CaseInput>;

  beforeAll(async () => {
    fake = await startFakeJira({ world: generateJiraWorld({ seed: 3, issuesPerProject: 60, longChangelogEvery: 20 }), slowMs: 2000 });
    cfg = jiraConnector.configSchema.parse({ siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken, jql: 'project in (SUP, OPS)', pageSize: 20 });
    clean = latest((await sync(cfg, null)).cases);
  });
  afterAll(() => fake.close());

  const failure = async (config: JiraConfig, context = ctx, cursor: string | null = null): Promise<ConnectorError> => {
    try {
      await sync(config, cursor, { context });
    } catch (error) {
      if (error instanceof ConnectorError) return error;
      throw error;
    }
    throw new Error('expected the sync to fail');
  };

  it('honours Retry-After on a 429 (search and bulk fetch) through the rate-limited fetch, and ends with the same cases', async () => {
    fake.setFaultTiming({ retryAfterSeconds: 1 });
    let searches = 0;
    fake.injectFault('rate_limit', 1, (r) => r.operationId === 'searchAndReconsileIssuesUsingJql' && ++searches === 3);
    fake.injectFault('rate_limit', 1, (r) => r.operationId === 'getBulkChangelogs');
    const waits: number[] = [];
    const limited = createLimitedFetch({ concurrency: 4, intervalCap: 1000, intervalMs: 1000, backoffMs: 5 }, { onRetry: (info) => waits.push(info.waitMs) });
    const started = Date.now();
    const run = await sync(cfg, null, { context: { fetch: limited.fetch, log: () => {} } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(fake.faultsServed.rate_limit).toBe(2);
    expect(limited.stats.rateLimited).toBe(2);
    expect(waits).toEqual([1000, 1000]);
    expect(latest(run.cases)).toEqual(clean);
  });

  it('retries a 500 on a GET (the rate-limited fetch) and on the bulk fetch, a read sent as POST (the client)', async () => {
    fake.injectFault('server_error', 1, (r) => r.operationId === 'getChangeLogs' || r.operationId === 'searchAndReconsileIssuesUsingJql');
    fake.injectFault('server_error', 2, (r) => r.operationId === 'getBulkChangelogs');
    const limited = createLimitedFetch({ concurrency: 4, intervalCap: 1000, intervalMs: 1000, backoffMs: 5 });
    const run = await sync(cfg, null, { context: { fetch: limited.fetch, log: () => {} } });
    expect(fake.faultsServed.server_error).toBe(3);
    expect(latest(run.cases)).toEqual(clean);
  });

  it('pages the bulk changelog (nextPageToken) when the changelogs of a page do not fit one answer', async () => {
    const small = await startFakeJira({ world: fake.world, bulkChangelogCap: 25 });
    try {
      const config = { ...cfg, siteUrl: small.url };
      const run = await sync(config, null, { fetchOptions: { changelog: 'bulkfetch', comments: 'inline' } });
      expect(small.count('getBulkChangelogs')).toBeGreaterThan(3 * small.count('searchAndReconsileIssuesUsingJql'));
      const sameSite = run.cases.map((c) => ({ ...c, url: c.url.replace(small.url, fake.url) }));
      expect(latest(sameSite)).toEqual(clean);
      expect(small.violations).toEqual([]);
    } finally {
      await small.close();
    }
  });

  it('turns faults into connector errors without the rate-limited fetch', async () => {
    fake.setFaultTiming({ retryAfterSeconds: 7 });
    fake.injectFault('rate_limit', 1, (r) => r.operationId === 'searchAndReconsileIssuesUsingJql');
    expect(await failure(cfg)).toMatchObject({ code: 'rate_limited', retryAfterMs: 7000 });
    fake.injectFault('server_error', 1, (r) => r.operationId === 'searchAndReconsileIssuesUsingJql');
    expect((await failure(cfg)).code).toBe('unavailable');
    fake.injectFault('slow', 1);
    expect((await failure(cfg, { fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(200) }), log: () => {} })).code).toBe('unavailable');
    expect((await failure({ ...cfg, apiToken: 'wrong' })).code).toBe('unauthorized');
  });

  it('refuses a cursor that is not its own, and starts over for another JQL', async () => {
    expect((await failure(cfg, ctx, '{"since":"yesterday"}')).code).toBe('bad_payload');
    const run = await sync(cfg, null);
    const other = await sync({ ...cfg, jql: 'project = SUP' }, run.cursor);
    expect(other.cases.length).toBe(fake.world.issues.filter((i) => i.project.key === 'SUP').length);
  });

  it('answers bad_payload for a JQL Jira refuses (the fake records it)', async () => {
    const before = fake.violations.length;
    expect((await failure({ ...cfg, jql: 'sprint in openSprints()' })).code).toBe('bad_payload');
    expect(fake.violations.slice(before).flatMap((v) => v.problems)).toEqual(["jql: Field 'sprint' does not exist or you do not have permission to view it."]);
    fake.violations.splice(before);
  });
});
