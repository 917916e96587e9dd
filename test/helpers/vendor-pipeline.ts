// The Jira and Zendesk pipelines' configurations against their loopback fakes, and the writeback
// driver the store-level pipeline tests share: what github-pipeline.ts is for GitHub (the same
// policy), kept out of the *.test.ts files so the SIGKILL child and several test files can use them.
import { runtimeCache } from '../../src/sync/jobs.ts';
import type { RuntimeDeps } from '../../src/sync/connection.ts';
import { runWriteback } from '../../src/sync/writeback.ts';
import { listWritebackPending } from '../../src/store/cases-repo.ts';
import { getConnectionByName } from '../../src/store/connections-repo.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { ORGANIZATIONS_FIELD, SLA_DUE_FIELD } from '../fakes/jira/world.ts';
import { SLA_DUE_FIELD_ID } from '../fakes/zendesk/world.ts';
import { pipelineConfig } from './github-pipeline.ts';
import { storeSnapshot } from './snapshot.ts';

export const JIRA_CONNECTION = 'jira-main';
export const ZENDESK_CONNECTION = 'zendesk-main';

/** The env: references of the configs below, with the API tokens the fakes accept by default. */
export const VENDOR_ENV = { SLA_SYNC_TEST_JIRA_TOKEN: 'test-token', SLA_SYNC_TEST_ZENDESK_TOKEN: 'test-token' };

/** The GitHub pipeline's policy (business hours in Berlin, S1 around the clock), so all three pipelines measure alike. */
const POLICIES = pipelineConfig('http://127.0.0.1').policies;

/** The fakes answer at loopback speed; a real vendor keeps sla-sync's published defaults. */
const LOOPBACK_RATE_LIMIT = { concurrency: 8, perSecond: 5000 };

/** What a config needs of a fake: where it listens and the account its credentials belong to. */
export interface FakeEndpoint {
  url: string;
  email: string;
}

export function jiraPipelineConfig(fake: FakeEndpoint, config: Record<string, unknown> = {}) {
  return {
    policies: POLICIES,
    connections: {
      [JIRA_CONNECTION]: {
        source: 'jira',
        policy: 'standard',
        rateLimit: LOOPBACK_RATE_LIMIT,
        config: {
          siteUrl: fake.url,
          email: fake.email,
          apiToken: 'env:SLA_SYNC_TEST_JIRA_TOKEN',
          jql: 'project in (SUP, OPS)',
          slaDueFieldId: SLA_DUE_FIELD,
          organizationsFieldId: ORGANIZATIONS_FIELD,
          ...config,
        },
        priorityMappings: { Highest: 'S1', High: 'S2', Medium: 'S3', Low: 'S4', Lowest: 'S4' },
      },
    },
  };
}

/** The incremental limit's window the Zendesk tests use: Zendesk's minute shortened to a second. */
export const ZENDESK_WINDOW_MS = 1000;
/** Zendesk's published limit on the incremental exports, per window. */
export const ZENDESK_INCREMENTAL_LIMIT = 10;

export function zendeskPipelineConfig(fake: FakeEndpoint, config: Record<string, unknown> = {}) {
  return {
    policies: POLICIES,
    connections: {
      [ZENDESK_CONNECTION]: {
        source: 'zendesk',
        policy: 'standard',
        rateLimit: LOOPBACK_RATE_LIMIT,
        config: {
          baseUrl: fake.url,
          email: fake.email,
          apiToken: 'env:SLA_SYNC_TEST_ZENDESK_TOKEN',
          slaDueFieldId: SLA_DUE_FIELD_ID,
          // Zendesk's 10 incremental requests a minute, the minute shortened for test time.
          incrementalPerMinute: ZENDESK_INCREMENTAL_LIMIT,
          incrementalWindowSeconds: ZENDESK_WINDOW_MS / 1000,
          // Pages smaller than Zendesk's 1,000, so that 1,000 tickets span many cursor pages.
          ticketsPerPage: 100,
          eventsPerPage: 200,
          ...config,
        },
      },
    },
  };
}

/** storeSnapshot of the connection of that name. */
export async function snapshotOf(handle: DatabaseHandle, connection: string) {
  const found = await getConnectionByName(handle.db, connection);
  if (!found) throw new Error(`no connection ${connection} in the store`);
  return storeSnapshot(handle.db, found.id);
}

/** The earliest due time of a metric still running (what "SLA due" must say), in ms; null when none runs. */
export function earliestDue(states: readonly { dueAt: string | null; completedAt: string | null }[]): number | null {
  const due = states.filter((s) => s.completedAt === null && s.dueAt !== null).map((s) => Date.parse(s.dueAt!));
  return due.length === 0 ? null : Math.min(...due);
}

/** The SLA labels (Jira) or tags (Zendesk) a case's stored states call for, sorted. */
export function wantedMarks(states: readonly { state: string }[], marks: { atRisk: string; breached: string }): string[] {
  const wanted: string[] = [];
  if (states.some((s) => s.state === 'at_risk')) wanted.push(marks.atRisk);
  if (states.some((s) => s.state === 'breached')) wanted.push(marks.breached);
  return wanted.sort();
}

export interface WritebackTotals {
  /** Cases whose writeback sent at least one write. */
  written: number;
  /** Write calls the connectors reported. */
  calls: number;
  /** Closed before sla-sync ever wrote to them: left alone. */
  historical: number;
  /** Cases that were checked. */
  checked: number;
}

/**
 * What the workers do with the writeback jobs a sync enqueued: runWriteback per pending case, through
 * one runtimeCache (so the jobs share the connection's rate limiter), `concurrency` jobs at once.
 */
export async function writeBackPending(handle: DatabaseHandle, deps: RuntimeDeps, nowMs: number, concurrency = 4): Promise<WritebackTotals> {
  const runtimes = runtimeCache(handle, deps, 15_000, () => nowMs);
  const totals: WritebackTotals = { written: 0, calls: 0, historical: 0, checked: 0 };
  const queue = await listWritebackPending(handle.db);
  const worker = async (): Promise<void> => {
    for (let caseId = queue.shift(); caseId !== undefined; caseId = queue.shift()) {
      const run = await runWriteback(handle, runtimes, caseId, nowMs);
      totals.checked++;
      if (run.skipped === 'historical') totals.historical++;
      if (run.outcome) {
        totals.calls += run.outcome.calls;
        if (run.outcome.calls > 0) totals.written++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return totals;
}
