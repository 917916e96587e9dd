// The webhook refresh's fetch of one issue (src/connectors/github/fetch-case.ts) against the fake
// API: from its timeline (one call for events and comments) it makes exactly the case a sync makes
// from the events and comments lists, for every issue of a generated repository (labels, pauses,
// closes, reopens, agent replies, an issue with more than a page of comments), and says where
// sla-sync's status comment is.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubConnector } from '../../src/connectors/github/index.ts';
import type { GithubConfig } from '../../src/connectors/github/index.ts';
import { fetchIssueCase } from '../../src/connectors/github/changes.ts';
import { createGithubClient, getIssue, splitRepository } from '../../src/connectors/github/client.ts';
import { SLA_COMMENT_MARKER, githubIssueRef } from '../../src/connectors/github/mapper.ts';
import type { ConnectorContext } from '../../src/connectors/types.ts';
import { startFakeGithub } from '../fakes/github/server.ts';
import type { FakeGithub } from '../fakes/github/server.ts';
import { generateWorld } from '../fakes/github/world.ts';

const REPO = 'acme/support';
const ctx: ConnectorContext = { fetch, log: () => {} };

describe('GitHub single-issue fetch from the timeline', () => {
  let fake: FakeGithub;
  let cfg: GithubConfig;

  beforeAll(async () => {
    const world = generateWorld({ seed: 11, repositories: [REPO], issuesPerRepo: 120, longThreadEvery: 40 });
    // A timeline of more than a page with few comments: read from the timeline, every page.
    const repo = world.repo(REPO)!;
    const busy = world.createIssue(repo, { title: 'Busy', user: 'gina', at: '2025-03-01T08:00:00Z', labels: ['P3'] });
    for (let k = 0; k < 150; k++) world.noise(busy, 'subscribed', 'alice', new Date(Date.parse('2025-03-01T09:00:00Z') + k * 60_000).toISOString());
    world.addLabel(repo, busy, 'P1', 'alice', '2025-03-01T12:00:00Z');
    world.comment(busy, 'alice', 'On it.', '2025-03-01T12:05:00Z');
    fake = await startFakeGithub({ world });
    cfg = githubConnector.configSchema.parse({
      baseUrl: fake.url,
      token: fake.token,
      repositories: [REPO],
      severityLabels: { P1: 'S1', P2: 'S2', P3: 'S3', P4: 'S4' },
      pauseLabels: ['waiting-for-customer'],
    });
  });
  afterAll(() => fake.close());

  it('makes the case a sync makes, for every issue', async () => {
    const gh = createGithubClient(cfg, ctx);
    const issues = fake.world.repo(REPO)!.issues.filter((i) => !i.isPullRequest);
    expect(issues.some((i) => i.comments.length >= 100)).toBe(true); // the fallback to the two lists is covered
    for (const fakeIssue of issues) {
      const issue = (await getIssue(gh, splitRepository(REPO), fakeIssue.number))!;
      const bySync = await fetchIssueCase(gh, cfg, REPO, issue, ctx);
      const { writebackHint, ...byRefresh } = (await githubConnector.fetchCase(cfg, githubIssueRef(REPO, issue), ctx))!;
      expect(byRefresh, `${REPO}#${issue.number}`).toEqual(bySync);
      // No status comment anywhere yet: known absent whenever every comment was listed.
      if (fakeIssue.comments.length < 100) expect(writebackHint).toEqual({ statusCommentId: null });
    }
    expect(fake.count('issues/list-events-for-timeline')).toBeGreaterThan(0);
    const busy = issues.find((i) => i.title === 'Busy')!;
    expect(fake.requests.filter((r) => r.path.endsWith(`/issues/${busy.number}/timeline`)).length).toBe(2);
    expect(fake.violations).toEqual([]);
  });

  it('hands over the status comment it listed', async () => {
    const issue = fake.world.repo(REPO)!.issues.find((i) => !i.isPullRequest && i.state === 'open')!;
    const ours = fake.world.comment(issue, 'sla-sync-bot', `${SLA_COMMENT_MARKER}\n### SLA status`);
    const fetched = (await githubConnector.fetchCase(cfg, githubIssueRef(REPO, { id: issue.id, number: issue.number }), ctx))!;
    expect(fetched.writebackHint).toEqual({ statusCommentId: ours.id });
  });
});
