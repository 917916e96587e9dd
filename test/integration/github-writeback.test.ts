// Writeback against the fake GitHub API: labels created with colours, added and removed, one comment
// created then edited in place, and nothing sent when nothing changed.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { MetricState, MetricStateName } from '../../src/core/types.ts';
import { githubConnector } from '../../src/connectors/github/index.ts';
import type { GithubConfig } from '../../src/connectors/github/index.ts';
import { SLA_COMMENT_MARKER, githubIssueRef } from '../../src/connectors/github/mapper.ts';
import { statusCommentHint } from '../../src/connectors/github/fetch-case.ts';
import { renderSlaComment } from '../../src/connectors/github/writeback.ts';
import type { ConnectorContext, ExternalRef, SlaSnapshot, WritebackOutcome, WritebackState } from '../../src/connectors/types.ts';
import { startFakeGithub } from '../fakes/github/server.ts';
import type { FakeGithub } from '../fakes/github/server.ts';
import { FakeWorld } from '../fakes/github/world.ts';
import type { FakeIssue, FakeRepo } from '../fakes/github/world.ts';

const ctx: ConnectorContext = { fetch, log: () => {} };

function metric(state: MetricStateName, dueAt: string | null, remainingSeconds = 3600): MetricState {
  const done = state === 'met' || (state === 'breached' && remainingSeconds < 0);
  return {
    state,
    severity: 'S2',
    targetSeconds: 4 * 3600,
    elapsedSeconds: state === 'breached' ? 5 * 3600 : 4 * 3600 - remainingSeconds,
    remainingSeconds: Math.max(0, remainingSeconds),
    dueAt,
    atRiskAt: null,
    breachedAt: state === 'breached' ? dueAt : null,
    completedAt: done ? '2025-03-03T10:00:00Z' : null,
  };
}

function snapshot(firstResponse: MetricState, resolution: MetricState, evaluatedAt = '2025-03-03T12:00:00Z'): SlaSnapshot {
  return {
    evaluation: { severity: 'S2', status: 'open', metrics: { firstResponse, resolution } },
    timezones: { firstResponse: 'Europe/Berlin', resolution: 'Europe/Berlin' },
    evaluatedAt,
  };
}

describe('GitHub writeback against the fake API', () => {
  let fake: FakeGithub;
  let cfg: GithubConfig;
  let repo: FakeRepo;
  let issue: FakeIssue;
  const ref = (): ExternalRef => {
    const r = githubIssueRef('acme/widgets', { id: issue.id, number: issue.number, user: { login: issue.user }, labels: issue.labels.map((name) => ({ name })) });
    return r;
  };
  const run = async (sla: SlaSnapshot, previous: WritebackState | null, at: ExternalRef = ref()): Promise<WritebackOutcome> => {
    const before = fake.writeCalls;
    const result = await githubConnector.writeback(cfg, at, sla, previous, ctx);
    if (!result.ok) throw result.error;
    expect(result.value.calls).toBe(fake.writeCalls - before); // the outcome counts what reached GitHub
    return result.value;
  };
  const ourComments = () => issue.comments.filter((c) => c.user === 'sla-sync-bot');

  beforeEach(async () => {
    await fake?.close();
    const world = new FakeWorld();
    world.user('reporter', 'NONE');
    repo = world.addRepo('acme/widgets');
    issue = world.createIssue(repo, { title: 'Broken', user: 'reporter', at: '2025-03-03T09:00:00Z', labels: ['bug'] });
    fake = await startFakeGithub({ world });
    cfg = githubConnector.configSchema.parse({ baseUrl: fake.url, token: fake.token, repositories: ['acme/widgets'] });
  });
  afterAll(() => fake.close());

  const atRisk = snapshot(metric('met', '2025-03-03T10:00:00Z'), metric('at_risk', '2025-03-03T17:00:00Z', 1800));

  it('creates the labels with colours, labels the issue, writes one comment; the second time sends nothing', async () => {
    const staleRef = ref(); // what the store knows until its next sync of the issue
    const first = await run(atRisk, null, staleRef);
    expect(first.actions).toEqual([
      'repository label created: sla: at risk',
      'repository label created: sla: breached',
      'label +sla: at risk',
      'comment created',
    ]);
    expect(fake.world.repoLabel(repo, 'sla: at risk')).toMatchObject({ color: 'fbca04' });
    expect(fake.world.repoLabel(repo, 'sla: breached')).toMatchObject({ color: 'b60205' });
    expect(issue.labels).toEqual(['bug', 'sla: at risk']);
    expect(ourComments()).toHaveLength(1);
    const body = ourComments()[0]!.body;
    expect(body.startsWith(SLA_COMMENT_MARKER)).toBe(true);
    expect(body).toContain('| Resolution | ⚠️ at risk | 2025-03-03 17:00 UTC | 2025-03-03 18:00 GMT+1 | 30m |');

    // Later evaluation, same states and due times (time left differs), the same stale ref: nothing.
    const later = snapshot(metric('met', '2025-03-03T10:00:00Z'), metric('at_risk', '2025-03-03T17:00:00Z', 600), '2025-03-03T12:20:00Z');
    const second = await run(later, first.state, staleRef);
    expect(second).toEqual({ state: first.state, calls: 0, actions: [] });
    // After the store re-read the issue (our label now on it): still nothing sent.
    const third = await run(later, second.state, ref());
    expect(third.calls).toBe(0);
    expect(ourComments()).toHaveLength(1);
    expect(fake.violations).toEqual([]);
  });

  it('edits the comment in place and swaps labels when a state changes', async () => {
    const first = await run(atRisk, null);
    const commentId = ourComments()[0]!.id;
    const breached = snapshot(metric('met', '2025-03-03T10:00:00Z'), metric('breached', '2025-03-03T17:00:00Z'));
    const second = await run(breached, first.state);
    expect(second.actions).toEqual(['label +sla: breached', 'label -sla: at risk', 'comment edited']);
    expect(issue.labels).toEqual(['bug', 'sla: breached']);
    expect(ourComments().map((c) => c.id)).toEqual([commentId]);
    expect(ourComments()[0]!.body).toContain('🔴 breached');
    expect(ourComments()[0]!.body).toContain('overdue by 1h');
    expect(fake.count('issues/list-labels-for-repo')).toBe(1); // once per repository
    // Back to healthy: labels come off, the comment says so; then silence.
    const healthy = snapshot(metric('met', '2025-03-03T10:00:00Z'), metric('running', '2025-03-04T17:00:00Z'));
    const third = await run(healthy, second.state);
    expect(third.actions).toEqual(['label -sla: breached', 'comment edited']);
    expect(issue.labels).toEqual(['bug']);
    expect((await run(healthy, third.state)).calls).toBe(0);
    expect(fake.violations).toEqual([]);
  });

  it('puts back a label a human removed, once the store has seen the removal', async () => {
    const first = await run(atRisk, null);
    // The next sync sees our label on the issue: nothing to do.
    const synced = await run(atRisk, first.state, ref());
    expect(synced.calls).toBe(0);
    // A human takes it off; the next sync sees that.
    fake.world.removeLabel(repo, issue, 'sla: at risk', 'alice');
    const again = await run(atRisk, synced.state, ref());
    expect(again.actions).toEqual(['label +sla: at risk']);
    expect(issue.labels).toContain('sla: at risk');
  });

  it('finds its comment again when its state was lost, and writes a new one when its comment was deleted', async () => {
    const first = await run(atRisk, null);
    const commentId = ourComments()[0]!.id;
    const lost = await run(atRisk, null);
    expect(lost.actions).toEqual(['comment edited']);
    expect(ourComments().map((c) => c.id)).toEqual([commentId]);

    issue.comments.splice(issue.comments.findIndex((c) => c.id === commentId), 1); // deleted by someone
    const breached = snapshot(metric('met', '2025-03-03T10:00:00Z'), metric('breached', '2025-03-03T17:00:00Z'));
    const recreated = await run(breached, first.state);
    expect(recreated.actions).toContain('comment created');
    expect(ourComments()).toHaveLength(1);
    expect(recreated.state['commentId']).toBe(ourComments()[0]!.id);
  });

  it('trusts a refresh\'s listing of the comments only in the writeback right after it: a crash before the state is saved never makes a second comment', async () => {
    fake.world.comment(issue, 'reporter', 'Any update?', '2025-03-03T09:30:00Z');
    const listings = () => fake.count('issues/list-comments');
    // The refresh lists the comments (none is ours): its hint spares the writeback the lookup.
    const fetched = (await githubConnector.fetchCase(cfg, ref(), ctx))!;
    expect(fetched.writebackHint).toEqual({ statusCommentId: null });
    const listed = listings();
    const first = await githubConnector.writeback(cfg, ref(), atRisk, null, ctx, fetched.writebackHint);
    expect(first.ok && first.value.actions).toContain('comment created');
    expect(listings()).toBe(listed);
    // "Crash": the state of that writeback is never saved. A writeback job (reconcile) has no hint
    // and no state: it looks the comment up and edits it...
    const retried = await run(atRisk, null);
    expect(retried.actions).toEqual(['comment edited']);
    expect(listings()).toBe(listed + 1);
    // ...and a refresh retried meanwhile sees the comment in its listing and hands over its id.
    const again = (await githubConnector.fetchCase(cfg, ref(), ctx))!;
    expect(again.writebackHint).toEqual({ statusCommentId: ourComments()[0]!.id });
    const afterRefresh = await githubConnector.writeback(cfg, ref(), atRisk, null, ctx, again.writebackHint);
    expect(afterRefresh.ok && afterRefresh.value.actions).toEqual(['comment edited']);
    expect(ourComments()).toHaveLength(1);
    expect(fake.violations).toEqual([]);
  });

  it('gives no hint when the refresh did not see every comment', () => {
    const ours = { id: 7, body: `${SLA_COMMENT_MARKER}\n### SLA status` };
    const theirs = { id: 5, body: 'Looking into it' };
    expect(statusCommentHint({ comments: 2 }, [theirs, ours])).toEqual({ statusCommentId: 7 });
    expect(statusCommentHint({ comments: 1 }, [theirs])).toEqual({ statusCommentId: null });
    expect(statusCommentHint({ comments: 0 }, [])).toEqual({ statusCommentId: null });
    // Stopped at the first agent reply with more comments left, or a count GitHub did not give.
    expect(statusCommentHint({ comments: 150 }, [theirs])).toBeUndefined();
    expect(statusCommentHint({}, [theirs])).toBeUndefined();
  });

  it('maps failures to connector errors', async () => {
    const gone = await githubConnector.writeback(cfg, { ...ref(), attributes: { repository: 'acme/widgets', number: 999 } }, atRisk, null, ctx);
    expect(gone.ok ? null : gone.error.code).toBe('not_found');
    fake.injectFault('secondary_rate_limit', 1, (r) => r.method !== 'GET');
    const limited = await githubConnector.writeback(cfg, ref(), atRisk, null, ctx);
    expect(limited.ok ? null : limited.error.code).toBe('rate_limited');
    const foreign = await githubConnector.writeback(cfg, { ...ref(), attributes: { repository: 'other/repo', number: 1 } }, atRisk, null, ctx);
    expect(foreign.ok ? null : foreign.error.code).toBe('misconfigured');
  });

  it('renders both zones and the severity in the comment', () => {
    const text = renderSlaComment({ ...atRisk, timezones: { firstResponse: 'UTC', resolution: 'America/New_York' } });
    expect(text).toContain('Due (calendar zone)');
    expect(text).toContain('2025-03-03 12:00 EST');
    expect(text).toContain('Severity **S2**');
  });
});
