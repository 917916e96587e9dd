// The Jira connector end to end in process (issue 4 acceptance): 1,000+ issues synced from the fake
// over many pages with changelogs and comments, evaluated by the engine as src/sync does, written
// back (labels, SLA due, properties); a second sync brings back the issues our edits touched, and a
// second writeback sends nothing. (The registry wires the connector into the store and the jobs.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src/core/metrics.ts';
import type { Policy } from '../../src/core/types.ts';
import { jiraConnector } from '../../src/connectors/jira/index.ts';
import type { JiraConfig } from '../../src/connectors/jira/index.ts';
import type { CaseInput, ConnectorContext, SlaSnapshot, WritebackState } from '../../src/connectors/types.ts';
import { evaluateEvents, priorityMap, toStoreCase } from '../../src/sync/evaluate.ts';
import { startFakeJira } from '../fakes/jira/server.ts';
import type { FakeJira } from '../fakes/jira/server.ts';
import { ORGANIZATIONS_FIELD, SLA_DUE_FIELD, generateJiraWorld } from '../fakes/jira/world.ts';

const ctx: ConnectorContext = { fetch, log: () => {} };
const policy: Policy = {
  calendar: { timezone: 'Europe/Berlin', week: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '17:00']]])) },
  severities: {
    S1: { firstResponseMinutes: 30, resolutionMinutes: 240, calendar: '24x7' },
    S2: { firstResponseMinutes: 60, resolutionMinutes: 480 },
    S3: { firstResponseMinutes: 240, resolutionMinutes: 1440 },
    S4: { firstResponseMinutes: 480, resolutionMinutes: 2400 },
  },
  defaultSeverity: 'S3',
};
const mapping = priorityMap([
  { rawPriority: 'Highest', severity: 'S1' },
  { rawPriority: 'High', severity: 'S2' },
  { rawPriority: 'Medium', severity: 'S3' },
  { rawPriority: 'Low', severity: 'S4' },
  { rawPriority: 'Lowest', severity: 'S4' },
]);

describe('Jira sync, evaluate, write back, twice', () => {
  let fake: FakeJira;
  let cfg: JiraConfig;

  beforeAll(async () => {
    // Requests are checked against the description; responses are in jira-sync.test.ts.
    fake = await startFakeJira({ world: generateJiraWorld({ seed: 11, issuesPerProject: 520, longChangelogEvery: 41, longCommentsEvery: 59 }), validateResponses: false });
    cfg = jiraConnector.configSchema.parse({
      siteUrl: fake.url,
      email: fake.email,
      apiToken: fake.apiToken,
      jql: 'project in (SUP, OPS)',
      slaDueFieldId: SLA_DUE_FIELD,
      organizationsFieldId: ORGANIZATIONS_FIELD,
    });
  });
  afterAll(() => fake.close());

  it('writes back once, and a second pass after the next sync writes nothing', async () => {
    const compiled = compilePolicy(policy);
    const nowMs = fake.world.clockMs;
    const states = new Map<string, WritebackState>();
    const cases = new Map<string, CaseInput>();
    const syncFrom = async (cursor: string | null): Promise<{ cursor: string | null; count: number }> => {
      let count = 0;
      for await (const page of jiraConnector.fetchChanges(cfg, cursor, ctx)) {
        for (const c of page.cases) cases.set(c.externalId, c);
        count += page.cases.length;
        cursor = page.nextCursor;
      }
      return { cursor, count };
    };
    /** What runWriteback does per case (eight jobs at once): evaluate now, skip history never written to, write. */
    const writeBackAll = async (ids: Iterable<string>) => {
      const totals = { written: 0, calls: 0, breachedOpen: [] as string[] };
      const queue = [...ids];
      const worker = async (): Promise<void> => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) await writeBackOne(id, totals);
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      return totals;
    };
    const writeBackOne = async (id: string, totals: { written: number; calls: number; breachedOpen: string[] }): Promise<void> => {
      {
        const c = cases.get(id)!;
        const stored = toStoreCase(c, mapping, policy.defaultSeverity);
        const evaluation = evaluateEvents(compiled, stored.events, mapping, nowMs);
        const previous = states.get(id) ?? null;
        if (previous === null && (c.status === 'solved' || c.status === 'closed')) return;
        const sla: SlaSnapshot = { evaluation, timezones: { firstResponse: 'Europe/Berlin', resolution: 'Europe/Berlin' }, evaluatedAt: new Date(nowMs).toISOString().replace('.000Z', 'Z') };
        const result = await jiraConnector.writeback(cfg, { externalId: c.externalId, externalKey: c.externalKey, attributes: c.attributes }, sla, previous, ctx);
        if (!result.ok) throw result.error;
        states.set(id, result.value.state);
        totals.calls += result.value.calls;
        if (result.value.calls > 0) totals.written++;
        if (evaluation.metrics.resolution.state === 'breached' && evaluation.metrics.resolution.completedAt === null) totals.breachedOpen.push(id);
      }
    };

    const first = await syncFrom(null);
    expect(first.count).toBe(1040);
    const written = await writeBackAll(cases.keys());
    expect(written.written).toBeGreaterThan(100);
    expect(fake.writeCalls).toBe(written.calls);
    expect(fake.violations).toEqual([]);
    // Breached open issues carry the label, the snapshot and the lozenge at Jira now.
    expect(written.breachedOpen.length).toBeGreaterThan(50);
    for (const id of written.breachedOpen) {
      const issue = fake.world.issue(id)!;
      expect(issue.labels).toContain('sla-breached');
      expect(issue.properties.get('sla-sync')).toMatchObject({ v: 1, evaluation: { metrics: { resolution: { state: 'breached' } } } });
      expect(issue.properties.get('com.atlassian.jira.issue:sla-sync:sla-panel:status')).toMatchObject({ type: 'lozenge', value: { type: 'removed' } });
    }

    fake.resetCounters();
    const second = await syncFrom(first.cursor);
    // Our own edits (labels, SLA due) touched the issues we wrote to: they come back, with our labels.
    expect(second.count).toBeGreaterThan(0);
    const again = await writeBackAll(cases.keys());
    expect(again.calls).toBe(0);
    expect(fake.writeCalls).toBe(0);
    expect(fake.violations).toEqual([]);
  });
});
