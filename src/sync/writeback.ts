// Writeback and re-evaluation of single cases (issue 3): the writeback job brings a ticket in line
// with its SLA at the moment the job runs; a breach timer re-evaluates a case at the minute a metric
// turns at risk or breached, so a label flips on time even when the ticket never changes.
import type { SlaSnapshot, WritebackOutcome } from '../connectors/types.ts';
import { formatInstant } from '../core/metrics.ts';
import type { CaseEvaluation, MetricName } from '../core/types.ts';

import type { StoredCase } from '../store/cases-repo.ts';
import { getCaseEvents, getCaseForWriteback, markWritebackPending, saveWritebackState } from '../store/cases-repo.ts';
import type { DatabaseHandle } from '../store/db.ts';
import { withTransaction } from '../store/db.ts';
import { saveMetricStates } from '../store/metric-states-repo.ts';
import { appendWritebackLog } from '../store/writeback-log-repo.ts';
import type { CompiledPolicy } from '../core/metrics.ts';
import { setCaseAgreement } from '../store/agreements-repo.ts';
import type { ResolvedAgreement } from './agreements.ts';
import { agreementFor } from './agreements.ts';
import type { ConnectionRuntime } from './connection.ts';
import { evaluateEvents } from './evaluate.ts';
import type { BreachTimer } from './run-sync.ts';
import { timersFor } from './run-sync.ts';

/** Per-connection runtimes, so every job of a connection in this process shares one rate limiter. */
export type RuntimeSource = (connectionId: number) => Promise<ConnectionRuntime>;

export function snapshotOf(policy: CompiledPolicy, evaluation: CaseEvaluation, nowMs: number): SlaSnapshot {
  const zone = (metric: MetricName) => policy.rules.get(evaluation.metrics[metric].severity)?.calendar.timezone ?? 'UTC';
  return {
    evaluation,
    timezones: { firstResponse: zone('firstResponse'), resolution: zone('resolution') },
    evaluatedAt: formatInstant(nowMs),
  };
}

export interface Reevaluated {
  stored: StoredCase;
  evaluation: CaseEvaluation;
  agreement: ResolvedAgreement;
  timers: BreachTimer[];
}

/** Re-evaluates a stored case at nowMs and saves its states; null when the case is gone. */
export async function reevaluateCase(handle: DatabaseHandle, runtime: ConnectionRuntime, caseId: number, nowMs: number): Promise<Reevaluated | null> {
  const found = await getCaseForWriteback(handle.db, caseId);
  return found ? reevaluateStored(handle, runtime, found.stored, found.agreement, nowMs) : null;
}

/** reevaluateCase for a case already read (with its stored agreement, saved again only when it changed). */
async function reevaluateStored(
  handle: DatabaseHandle,
  runtime: ConnectionRuntime,
  stored: StoredCase,
  storedAgreement: { customerId: number | null; ruleId: number | null; policyId: number | null },
  nowMs: number,
): Promise<Reevaluated | null> {
  // Resolved again: a rule or customer change since the last sync applies at once.
  const agreement = agreementFor(runtime.agreements, runtime.connection, stored.attributes ?? {});
  if (!agreement) return null;
  return withTransaction(handle, async (tx) => {
    const events = await getCaseEvents(tx, stored.id);
    const evaluation = evaluateEvents(agreement.policy, events, runtime.mapping, nowMs);
    const ids = agreement.ids;
    if (ids.customerId !== storedAgreement.customerId || ids.ruleId !== storedAgreement.ruleId || ids.policyId !== storedAgreement.policyId) {
      await setCaseAgreement(tx, stored.id, ids);
    }
    await saveMetricStates(tx, stored.id, evaluation, formatInstant(nowMs));
    return { stored, evaluation, agreement, timers: timersFor(stored.id, evaluation, nowMs) };
  });
}

export interface WritebackRun {
  outcome: WritebackOutcome | null;
  /** Why nothing was attempted: the case is gone or its connection is paused. */
  skipped?: 'gone' | 'paused' | 'historical';
  timers: BreachTimer[];
}

/**
 * Brings one case's ticket in line with its SLA now. Throws the connector's error (a
 * ConnectorError, with retryAfterMs when the vendor said) so the job is retried; the failure is
 * also in the writeback log for the admin.
 */
export async function runWriteback(handle: DatabaseHandle, runtimes: RuntimeSource, caseId: number, nowMs: number): Promise<WritebackRun> {
  // One read for the case, its last written state and its agreement.
  const found = await getCaseForWriteback(handle.db, caseId);
  if (!found) return { outcome: null, skipped: 'gone', timers: [] };
  const runtime = await runtimes(found.stored.connectionId);
  if (!runtime.connection.enabled) return { outcome: null, skipped: 'paused', timers: [] };
  // Cleared before the vendor is called: a sync that changes the case meanwhile flags it again.
  await markWritebackPending(handle.db, [caseId], false);
  const current = await reevaluateStored(handle, runtime, found.stored, found.agreement, nowMs);
  if (!current) return { outcome: null, skipped: 'gone', timers: [] };
  const previous = found.writebackState;
  // A ticket closed before sla-sync ever wrote to it is history: no labels, no comment on it (a
  // first full sync must not comment on years of closed issues). Once written to, it is kept in line.
  if (previous === null && (current.stored.status === 'solved' || current.stored.status === 'closed')) {
    return { outcome: null, skipped: 'historical', timers: [] };
  }
  const ref = { externalId: current.stored.externalId, externalKey: current.stored.externalKey, attributes: current.stored.attributes ?? {} };
  const result = await runtime.connector.writeback(runtime.config, ref, snapshotOf(current.agreement.policy, current.evaluation, nowMs), previous, runtime.ctx);
  if (!result.ok) {
    await markWritebackPending(handle.db, [caseId], true);
    await appendWritebackLog(handle.db, {
      connectionId: runtime.connection.id,
      caseId,
      action: 'writeback',
      payload: { code: result.error.code },
      outcome: 'failed',
      error: result.error.message,
    });
    throw result.error;
  }
  await saveWritebackState(handle.db, caseId, result.value.state);
  if (result.value.calls > 0) {
    await appendWritebackLog(handle.db, {
      connectionId: runtime.connection.id,
      caseId,
      action: result.value.actions.join('; ') || 'writeback',
      payload: { calls: result.value.calls, actions: result.value.actions },
      outcome: 'ok',
    });
  }
  return { outcome: result.value, timers: current.timers };
}
