// One case stored through the real pipeline (config apply, storeAndEvaluate) without a vendor: for
// tests of the views that show a stored case (case page, Jira panel, Zendesk sidebar).
import type { CaseInput, SourceEvent } from '../../src/connectors/types.ts';
import type { Policy } from '../../src/core/types.ts';
import { findCase } from '../../src/store/cases-repo.ts';
import type { StoredCase } from '../../src/store/cases-repo.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { withTransaction } from '../../src/store/db.ts';
import { applyConfig } from '../../src/sync/config.ts';
import { loadConnectionRuntime } from '../../src/sync/connection.ts';
import { storeAndEvaluate } from '../../src/sync/run-sync.ts';

/** S1 around the clock (so a countdown ticks whenever a test runs), S3 in Berlin office hours. */
export const VIEW_POLICY: Policy = {
  calendar: { timezone: 'Europe/Berlin', week: { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']] }, holidays: ['2026-12-25'] },
  severities: {
    S1: { firstResponseMinutes: 60, resolutionMinutes: 240, calendar: '24x7', objectivePercent: 100 },
    S2: { firstResponseMinutes: 120, resolutionMinutes: 480, objectivePercent: 95 },
    S3: { firstResponseMinutes: 240, resolutionMinutes: 1440, objectivePercent: 90 },
    S4: { firstResponseMinutes: 480, resolutionMinutes: 2400, objectivePercent: 90 },
  },
  defaultSeverity: 'S3',
  atRiskPercent: 75,
};

/** A GitHub connection named `connection` (its config points nowhere; nothing calls the vendor). */
export async function seedGithubConnection(handle: DatabaseHandle, connection = 'gh', policy: Policy = VIEW_POLICY): Promise<void> {
  await applyConfig(handle, {
    policies: { 'view-policy': policy },
    connections: {
      [connection]: { source: 'github', policy: 'view-policy', config: { baseUrl: 'http://127.0.0.1:9', token: 'unused', repositories: ['acme/app'], severityLabels: { P1: 'S1', P2: 'S2', P3: 'S3', P4: 'S4' } } },
    },
  });
}

/** Stores one case of that connection with these events (first one `created`) and returns it. */
export async function seedCase(
  handle: DatabaseHandle,
  input: { connection?: string; number: number; priority: string; events: SourceEvent[]; status?: CaseInput['status']; nowMs: number },
): Promise<StoredCase> {
  const runtime = await loadConnectionRuntime(handle.db, input.connection ?? 'gh');
  const events = input.events;
  const item: CaseInput = {
    externalId: `issue-${input.number}`,
    externalKey: `acme/app#${input.number}`,
    url: `https://github.com/acme/app/issues/${input.number}`,
    title: `Ticket ${input.number}`,
    rawPriority: input.priority,
    status: input.status ?? 'open',
    createdAt: events[0]!.at,
    updatedAt: events[events.length - 1]!.at,
    events,
    attributes: { repository: 'acme/app', labels: [input.priority] },
  };
  await withTransaction(handle, (tx) => storeAndEvaluate(tx, runtime, [item], input.nowMs));
  return (await findCase(handle.db, runtime.connection.id, item.externalKey))!;
}
