// Writeback against the fake Jira: labels through editIssue's add/remove operations, the SLA due
// field in the same edit, the snapshot and status-lozenge properties; nothing sent when nothing
// changed; every request checked against Atlassian's OpenAPI description.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { MetricState, MetricStateName } from '../../src/core/types.ts';
import { jiraConnector } from '../../src/connectors/jira/index.ts';
import type { JiraConfig } from '../../src/connectors/jira/index.ts';
import type { ConnectorContext, ExternalRef, SlaSnapshot, WritebackOutcome, WritebackState } from '../../src/connectors/types.ts';
import { startFakeJira } from '../fakes/jira/server.ts';
import type { FakeJira } from '../fakes/jira/server.ts';
import { FakeJiraWorld, SLA_DUE_FIELD } from '../fakes/jira/world.ts';
import type { FakeIssue } from '../fakes/jira/world.ts';

const ctx: ConnectorContext = { fetch, log: () => {} };
const STATUS_KEY = 'com.atlassian.jira.issue:sla-sync:sla-panel:status';

function metric(state: MetricStateName, over: Partial<MetricState> = {}): MetricState {
  return { state, severity: 'S2', targetSeconds: 14_400, elapsedSeconds: 3600, remainingSeconds: 10_800, dueAt: '2025-03-03T17:00:00Z', atRiskAt: '2025-03-03T16:00:00Z', breachedAt: null, completedAt: null, ...over };
}
const snapshot = (resolution: MetricState, evaluatedAt = '2025-03-03T12:00:00Z'): SlaSnapshot => ({
  evaluation: { severity: 'S2', status: 'open', metrics: { firstResponse: metric('met', { completedAt: '2025-03-03T10:00:00Z', remainingSeconds: 0 }), resolution } },
  timezones: { firstResponse: 'Europe/Berlin', resolution: 'Europe/Berlin' },
  evaluatedAt,
});
const atRisk = snapshot(metric('at_risk', { remainingSeconds: 1800, dueAt: '2025-03-03T12:30:00Z' }));
const breached = snapshot(metric('breached', { remainingSeconds: 0, dueAt: '2025-03-03T11:25:00Z', breachedAt: '2025-03-03T11:25:00Z' }));

describe('Jira writeback against the fake API', () => {
  let fake: FakeJira;
  let cfg: JiraConfig;
  let issue: FakeIssue;
  /** What the store knows of the issue after a sync: its labels as they are now. */
  const ref = (): ExternalRef => ({ externalId: issue.id, externalKey: issue.key, attributes: { projectKey: 'SUP', labels: [...issue.labels] } });
  const run = async (sla: SlaSnapshot, previous: WritebackState | null, at: ExternalRef = ref(), config = cfg): Promise<WritebackOutcome> => {
    const before = fake.writeCalls;
    const result = await jiraConnector.writeback(config, at, sla, previous, ctx);
    if (!result.ok) throw result.error;
    expect(result.value.calls).toBe(fake.writeCalls - before); // the outcome counts what reached Jira
    return result.value;
  };

  beforeEach(async () => {
    await fake?.close();
    const world = new FakeJiraWorld({ startAt: '2025-03-03T12:00:00Z' });
    const project = world.addProject('SUP', 'Support', true);
    issue = world.createIssue(project, { summary: 'Broken', reporter: world.user('Dana', 'customer').accountId, at: Date.parse('2025-03-03T09:00:00Z'), labels: ['vip'] });
    fake = await startFakeJira({ world });
    cfg = jiraConnector.configSchema.parse({ siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken, jql: 'project = SUP', slaDueFieldId: SLA_DUE_FIELD });
  });
  afterAll(() => fake.close());

  it('labels the issue, sets SLA due and both properties in three calls; the second time sends nothing', async () => {
    const staleRef = ref(); // what the store knows until its next sync of the issue
    const first = await run(atRisk, null, staleRef);
    expect(first.actions).toEqual(['label +sla-at-risk', 'SLA due 2025-03-03T12:30:00.000+0000', 'property sla-sync', 'status lozenge "30m left"']);
    expect(first.calls).toBe(3);
    expect(issue.labels).toEqual(['vip', 'sla-at-risk']);
    expect(issue.customFields[SLA_DUE_FIELD]).toBe('2025-03-03T12:30:00.000+0000');
    expect(issue.properties.get('sla-sync')).toEqual({ v: 1, ...JSON.parse(JSON.stringify(atRisk)) });
    expect(issue.properties.get(STATUS_KEY)).toEqual({ type: 'lozenge', value: { label: '30m left', type: 'moved' } });
    // Labels and the field are edits: Jira records them in the changelog (properties do not).
    expect(issue.histories.map((h) => h.items.map((i) => i.fieldId))).toEqual([['labels', SLA_DUE_FIELD]]);

    // Later evaluation, same states and due times (time left differs), the same stale ref: nothing.
    const later = snapshot(metric('at_risk', { remainingSeconds: 600, dueAt: '2025-03-03T12:30:00Z' }), '2025-03-03T12:20:00Z');
    const second = await run(later, first.state, staleRef);
    expect(second).toEqual({ state: first.state, calls: 0, actions: [] });
    // After the store re-read the issue (our label now on it): still nothing sent.
    expect((await run(later, second.state, ref())).calls).toBe(0);
    expect(fake.violations).toEqual([]);
    expect(fake.responseViolations).toEqual([]);
  });

  it('swaps labels, moves SLA due and rewrites the properties when a state changes; back to healthy clears them', async () => {
    const first = await run(atRisk, null);
    const second = await run(breached, first.state);
    expect(second.actions).toEqual(['label +sla-breached', 'label -sla-at-risk', 'SLA due 2025-03-03T11:25:00.000+0000', 'property sla-sync', 'status lozenge "Breached 35m ago"']);
    expect(issue.labels).toEqual(['vip', 'sla-breached']);
    expect(issue.properties.get(STATUS_KEY)).toEqual({ type: 'lozenge', value: { label: 'Breached 35m ago', type: 'removed' } });

    const solved = snapshot(metric('met', { completedAt: '2025-03-03T12:10:00Z', remainingSeconds: 0 }));
    const third = await run(solved, second.state);
    expect(third.actions).toEqual(['label -sla-breached', 'SLA due cleared', 'property sla-sync', 'status lozenge "Met"']);
    expect(issue.labels).toEqual(['vip']);
    expect(issue.customFields[SLA_DUE_FIELD]).toBeNull();
    expect((await run(solved, third.state)).calls).toBe(0);
    expect(fake.violations).toEqual([]);
  });

  it('puts back a label a human removed, once the store has seen the removal', async () => {
    const first = await run(atRisk, null);
    const synced = await run(atRisk, first.state, ref());
    expect(synced.calls).toBe(0);
    fake.world.editLabels(issue, { remove: ['sla-at-risk'] }, fake.world.user('Alice', 'atlassian').accountId);
    const again = await run(atRisk, synced.state, ref());
    expect(again.actions).toEqual(['label +sla-at-risk']);
    expect(issue.labels).toContain('sla-at-risk');
  });

  it('keeps what it knew when the ref has no labels (a comment webhook), and writes no field without slaDueFieldId', async () => {
    const noField = { ...cfg, slaDueFieldId: undefined };
    const first = await run(atRisk, null, ref(), noField);
    expect(first.actions).toEqual(['label +sla-at-risk', 'property sla-sync', 'status lozenge "30m left"']);
    expect(issue.customFields[SLA_DUE_FIELD]).toBeUndefined();
    const bare = { externalId: issue.id, externalKey: issue.key, attributes: {} };
    expect((await run(atRisk, first.state, bare, noField)).calls).toBe(0);
  });

  it('asks Jira not to notify watchers when configured, and maps the refusal of a non-admin to unauthorized', async () => {
    const quiet = { ...cfg, notifyUsers: false };
    await run(atRisk, null, ref(), quiet);
    expect(fake.requests.find((r) => r.operationId === 'editIssue')?.query).toBe('?notifyUsers=false');

    const world = fake.world;
    await fake.close();
    fake = await startFakeJira({ world, apiUserIsAdmin: false });
    const result = await jiraConnector.writeback({ ...quiet, siteUrl: fake.url }, ref(), breached, null, ctx);
    expect(result.ok ? null : result.error.code).toBe('unauthorized');
  });

  it('maps failures to connector errors', async () => {
    const gone = await jiraConnector.writeback(cfg, { ...ref(), externalId: '999999' }, atRisk, null, ctx);
    expect(gone.ok ? null : gone.error.code).toBe('not_found');
    fake.setFaultTiming({ retryAfterSeconds: 7 });
    fake.injectFault('rate_limit', 1, (r) => r.method === 'PUT');
    const limited = await jiraConnector.writeback(cfg, ref(), atRisk, null, ctx);
    expect(limited.ok ? null : limited.error).toMatchObject({ code: 'rate_limited', retryAfterMs: 7000 });
    const wrongToken = await jiraConnector.writeback({ ...cfg, apiToken: 'wrong' }, ref(), atRisk, null, ctx);
    expect(wrongToken.ok ? null : wrongToken.error.code).toBe('unauthorized');
    const notNumeric = await jiraConnector.writeback(cfg, { ...ref(), externalId: 'SUP-1' }, atRisk, null, ctx);
    expect(notNumeric.ok ? null : notNumeric.error.code).toBe('bad_payload');
    expect(fake.violations).toEqual([]);
  });
});
