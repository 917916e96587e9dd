// The Jira pipeline through the store (issue 4 acceptance, at the level pipeline-github.test.ts holds
// GitHub to): a config applied for the fake site, 1,000 issues synced by runSync over many pages with
// their changelogs and comments, written back by the workers' runWriteback; a second sync brings back
// the issues our edits touched and writes nothing. Then faults (429 with Retry-After, 500s, timeouts)
// on random requests of a smaller site end in exactly the store of an undisturbed run of that site
// (cases, events, SLA states and cursor). On PGlite, and on Postgres when DATABASE_URL is set.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLA_LABELS, SNAPSHOT_PROPERTY, jiraDateTime, statusPropertyKey } from '../../src/connectors/jira/writeback.ts';
import { listWritebackPending } from '../../src/store/cases-repo.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { applyConfig } from '../../src/sync/config.ts';
import { loadConnectionRuntime } from '../../src/sync/connection.ts';
import { runSync } from '../../src/sync/run-sync.ts';
import { startFakeJira } from '../fakes/jira/server.ts';
import type { FakeJira } from '../fakes/jira/server.ts';
import { SLA_DUE_FIELD, generateJiraWorld } from '../fakes/jira/world.ts';
import { storeBackends } from '../helpers/db.ts';
import { JIRA_CONNECTION, VENDOR_ENV, earliestDue, jiraPipelineConfig, snapshotOf, wantedMarks, writeBackPending } from '../helpers/vendor-pipeline.ts';

const env = VENDOR_ENV;
const SLA_LABEL_NAMES: readonly string[] = Object.values(SLA_LABELS);
const DONE = new Set(['solved', 'closed']);
/** "SLA due" as the issue must hold it: Jira's datetime form. */
const dueText = (states: Parameters<typeof earliestDue>[0]): string | null => {
  const due = earliestDue(states);
  return due === null ? null : jiraDateTime(new Date(due).toISOString());
};

describe.each(storeBackends())('the Jira pipeline through the store on $name', (backend) => {
  let handle: DatabaseHandle;
  let fake: FakeJira;
  let nowMs: number;

  beforeAll(async () => {
    // Every 41st issue has a changelog longer than a search returns, every 59th more comments than a page.
    const world = generateJiraWorld({ seed: 11, issuesPerProject: 500, longChangelogEvery: 41, longCommentsEvery: 59 });
    // Requests are checked against the OpenAPI description; responses are checked in jira-sync.test.ts.
    fake = await startFakeJira({ world, validateResponses: false });
    nowMs = world.clockMs;
    handle = await backend.open();
    await applyConfig(handle, jiraPipelineConfig(fake));
  }, 120_000);
  afterAll(async () => {
    await fake?.close();
    await handle?.close();
  });

  it('syncs 1,000 issues, writes back labels, properties and SLA due, and a second sync writes nothing', async () => {
    const issues = fake.world.issues;
    expect(issues.length).toBe(1000);

    const runtime = await loadConnectionRuntime(handle.db, JIRA_CONNECTION, { env });
    const first = await runSync(handle, runtime, { now: () => nowMs });
    expect(first.cases).toBe(issues.length);
    expect(first.pages).toBeGreaterThanOrEqual(10);
    expect(fake.count('getBulkChangelogs')).toBeGreaterThan(0); // the long changelogs were read whole
    expect(fake.count('getComments')).toBeGreaterThan(0); // and the long comment threads
    expect(fake.violations).toEqual([]);
    expect(fake.writeCalls).toBe(0);

    const synced = await snapshotOf(handle, JIRA_CONNECTION);
    expect(synced.cases.map((c) => c.externalId).sort()).toEqual(issues.map((i) => i.id).sort());
    expect(synced.cases.every((c) => c.states.length === 2)).toBe(true);

    const written = await writeBackPending(handle, { env }, nowMs);
    expect(written.checked).toBe(issues.length);
    expect(written.written).toBeGreaterThan(100);
    expect(fake.writeCalls).toBe(written.calls);
    expect(fake.violations).toEqual([]);
    expect(await listWritebackPending(handle.db)).toEqual([]);

    // Every open case's issue shows exactly the SLA labels, snapshot, lozenge and due time its stored
    // states call for; an issue closed before sla-sync wrote to it is left alone (history).
    const stored = await snapshotOf(handle, JIRA_CONNECTION);
    let breachedOpen = 0;
    let atRiskOpen = 0;
    for (const c of stored.cases) {
      const issue = fake.world.issue(c.externalId)!;
      const slaLabels = issue.labels.filter((l) => SLA_LABEL_NAMES.includes(l)).sort();
      if (DONE.has(c.status)) {
        expect({ key: c.externalKey, slaLabels, property: issue.properties.has(SNAPSHOT_PROPERTY) }).toEqual({ key: c.externalKey, slaLabels: [], property: false });
        continue;
      }
      const wanted = wantedMarks(c.states, SLA_LABELS);
      if (wanted.includes(SLA_LABELS.breached)) breachedOpen++;
      if (wanted.includes(SLA_LABELS.atRisk)) atRiskOpen++;
      expect({ key: c.externalKey, slaLabels }).toEqual({ key: c.externalKey, slaLabels: wanted });
      expect({ key: c.externalKey, due: issue.customFields[SLA_DUE_FIELD] ?? null }).toEqual({ key: c.externalKey, due: dueText(c.states) });
      const byMetric = Object.fromEntries(c.states.map((s) => [s.metric, { state: s.state, severity: s.severity }]));
      expect(issue.properties.get(SNAPSHOT_PROPERTY)).toMatchObject({ v: 1, evaluation: { severity: c.severity, status: c.status, metrics: byMetric } });
      expect(issue.properties.get(statusPropertyKey({ appKey: 'sla-sync', moduleKey: 'sla-panel' }))).toMatchObject({ type: 'lozenge' });
    }
    expect(breachedOpen).toBeGreaterThan(50);
    console.info(`[jira store] ${first.pages} pages, ${written.written} issues written (${written.calls} calls), ${written.historical} historical; open: ${breachedOpen} breached, ${atRiskOpen} at risk`);

    const edited = new Set(fake.requests.filter((r) => r.operationId === 'editIssue').map((r) => r.path));
    fake.resetCounters();
    const second = await runSync(handle, runtime, { now: () => nowMs });
    // Our label and due-date edits moved those issues' `updated`: exactly they come back (entity
    // properties do not touch `updated`), with our labels on them.
    expect(second.cases).toBe(edited.size);
    const again = await writeBackPending(handle, { env }, nowMs);
    expect(again.checked).toBe(edited.size);
    expect(again.calls).toBe(0);
    expect(fake.writeCalls).toBe(0);
    expect(fake.violations).toEqual([]);
  }, 180_000);

  it('ends with exactly the undisturbed store when the API answers 429, 500 and late on random requests', async () => {
    // A site of its own, smaller (faults need requests, not volume), in pages of 50.
    const site = await startFakeJira({ world: generateJiraWorld({ seed: 5, issuesPerProject: 150, longChangelogEvery: 20, longCommentsEvery: 30 }), validateResponses: false });
    const reference = await backend.open();
    const disturbed = await backend.open();
    try {
      const config = jiraPipelineConfig(site, { pageSize: 50 });
      const issueCount = site.world.issues.length;
      const siteNow = site.world.clockMs;
      await applyConfig(reference, config);
      const clean = await runSync(reference, await loadConnectionRuntime(reference.db, JIRA_CONNECTION, { env }), { now: () => siteNow });
      expect(clean.cases).toBe(issueCount);
      const expected = await snapshotOf(reference, JIRA_CONNECTION);

      await applyConfig(disturbed, config);
      site.resetCounters();
      site.setFaultTiming({ retryAfterSeconds: 1, slowMs: 2500 });
      // Certain faults first: a 429 on the third search, a 500 and a 429 on the bulk changelog (a read
      // sent as POST, which the rate-limited fetch does not repeat after a 500: the client does), a
      // search that answers too late. Then random ones on every GET.
      let searches = 0;
      site.injectFault('rate_limit', 1, (r) => r.operationId === 'searchAndReconsileIssuesUsingJql' && ++searches === 3);
      site.injectFault('server_error', 1, (r) => r.operationId === 'getBulkChangelogs');
      site.injectFault('rate_limit', 1, (r) => r.operationId === 'getBulkChangelogs');
      site.injectFault('slow', 1, (r) => r.operationId === 'searchAndReconsileIssuesUsingJql');
      site.setRandomFaults({ seed: 99, probability: { rate_limit: 0.05, server_error: 0.2, slow: 0.04 }, only: (r) => r.method === 'GET' });
      const runtime = await loadConnectionRuntime(disturbed.db, JIRA_CONNECTION, { env, rateLimit: { timeoutMs: 1000, backoffMs: 5, maxRetries: 8 } });
      const run = await runSync(disturbed, runtime, { now: () => siteNow });
      site.setRandomFaults(null);
      expect(run.cases).toBe(issueCount);
      expect(site.faultsServed.rate_limit).toBeGreaterThanOrEqual(2);
      expect(site.faultsServed.server_error).toBeGreaterThanOrEqual(1);
      expect(site.faultsServed.slow).toBeGreaterThanOrEqual(1);
      // Every 429 was taken for what it is (a pause for its Retry-After, then the same request again).
      expect(runtime.http.stats.rateLimited).toBe(site.requests.filter((r) => r.status === 429).length);
      expect(runtime.http.stats.retries).toBeGreaterThan(site.faultsServed.rate_limit);
      expect(site.violations).toEqual([]);
      expect(site.writeCalls).toBe(0);

      const after = await snapshotOf(disturbed, JIRA_CONNECTION);
      expect(after.cases.length).toBe(issueCount);
      expect(after).toEqual(expected);
      console.info(`[jira store] faults served ${JSON.stringify(site.faultsServed)}, ${runtime.http.stats.retries} retries; store identical to the undisturbed run`);
    } finally {
      site.setRandomFaults(null);
      await disturbed.close();
      await reference.close();
      await site.close();
    }
  }, 180_000);
});
