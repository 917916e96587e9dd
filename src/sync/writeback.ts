// Writeback and re-evaluation of single cases (issue 3): the writeback job brings a ticket in line
// with its SLA at the moment the job runs; a breach timer re-evaluates a case at the minute a metric
// turns at risk or breached, so a label flips on time even when the ticket never changes.
import type { SlaSnapshot, WritebackOutcome } from '../connectors/types.ts';
import { formatInstant } from '../core/metrics.ts';
import type { CaseEvaluation, MetricName } from '../core/types.ts';

import type { StoredCase } from '../store/cases-repo.ts';
import { getCaseEvents, getCaseEventsOf, getCaseForWriteback, getCasesForWriteback, markWritebackPending, saveWritebackStates } from '../store/cases-repo.ts';
import type { DatabaseHandle } from '../store/db.ts';
import { withTransaction } from '../store/db.ts';
import { saveMetricStates, saveMetricStatesMany } from '../store/metric-states-repo.ts';
import { appendWritebackLogs } from '../store/writeback-log-repo.ts';
import type { WritebackLogInput } from '../store/writeback-log-repo.ts';
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
  const [result] = await runWritebacks(handle, runtimes, [caseId], nowMs);
  if ('error' in result!) throw result.error;
  return result!.run;
}

/**
 * runWriteback for many cases at once (the writeback jobs of one fetch): the store is read and
 * written a few statements per batch rather than per case (cases, events and states read once,
 * states, writeback states and log rows saved once), and the vendor calls go out concurrently under
 * the connection's rate limiter. One result per case id, in order: the run, or the error to retry
 * the case's job with.
 */
export async function runWritebacks(
  handle: DatabaseHandle,
  runtimes: RuntimeSource,
  caseIds: readonly number[],
  nowMs: number,
): Promise<({ run: WritebackRun } | { error: unknown })[]> {
  const ids = [...new Set(caseIds)];
  const results = new Map<number, { run: WritebackRun } | { error: unknown }>();
  const skip = (id: number, skipped: WritebackRun['skipped']) => results.set(id, { run: { outcome: null, skipped, timers: [] } });
  // One read for the cases, their last written state and their agreement.
  const found = await getCasesForWriteback(handle.db, ids);
  const runtimeOf = new Map<number, ConnectionRuntime>();
  for (const connectionId of new Set([...found.values()].map((f) => f.stored.connectionId))) {
    try {
      runtimeOf.set(connectionId, await runtimes(connectionId));
    } catch (error) {
      for (const [id, f] of found) if (f.stored.connectionId === connectionId) results.set(id, { error });
    }
  }
  const due: { id: number; runtime: ConnectionRuntime; found: NonNullable<ReturnType<typeof found.get>>; agreement: ResolvedAgreement }[] = [];
  for (const id of ids) {
    if (results.has(id)) continue;
    const f = found.get(id);
    if (!f) {
      skip(id, 'gone');
      continue;
    }
    const runtime = runtimeOf.get(f.stored.connectionId)!;
    if (!runtime.connection.enabled) {
      skip(id, 'paused');
      continue;
    }
    // Resolved again: a rule or customer change since the last sync applies at once.
    const agreement = agreementFor(runtime.agreements, runtime.connection, f.stored.attributes ?? {});
    if (!agreement) {
      skip(id, 'gone');
      continue;
    }
    due.push({ id, runtime, found: f, agreement });
  }
  if (due.length > 0) {
    // Cleared before the vendor is called: a sync that changes a case meanwhile flags it again.
    await markWritebackPending(handle.db, due.map((d) => d.id), false);
    const evaluations = await withTransaction(handle, async (tx) => {
      const events = await getCaseEventsOf(tx, due.map((d) => d.id));
      const evaluated = due.map((d) => ({ caseId: d.id, evaluation: evaluateEvents(d.agreement.policy, events.get(d.id) ?? [], d.runtime.mapping, nowMs) }));
      for (const d of due) {
        const ids = d.agreement.ids;
        const stored = d.found.agreement;
        if (ids.customerId !== stored.customerId || ids.ruleId !== stored.ruleId || ids.policyId !== stored.policyId) await setCaseAgreement(tx, d.id, ids);
      }
      await saveMetricStatesMany(tx, evaluated, formatInstant(nowMs));
      return evaluated.map((e) => e.evaluation);
    });
    const attempts = await Promise.all(
      due.map(async (d, i) => {
        const stored = d.found.stored;
        const evaluation = evaluations[i]!;
        const previous = d.found.writebackState;
        // A ticket closed before sla-sync ever wrote to it is history: no labels, no comment on it (a
        // first full sync must not comment on years of closed issues). Once written to, it is kept in line.
        if (previous === null && (stored.status === 'solved' || stored.status === 'closed')) return { d, skipped: true as const };
        const ref = { externalId: stored.externalId, externalKey: stored.externalKey, attributes: stored.attributes ?? {} };
        const result = await d.runtime.connector
          .writeback(d.runtime.config, ref, snapshotOf(d.agreement.policy, evaluation, nowMs), previous, d.runtime.ctx)
          .catch((error: unknown) => ({ ok: false as const, thrown: error }));
        return { d, evaluation, result };
      }),
    );
    const failed: number[] = [];
    const states: { caseId: number; state: Record<string, unknown> }[] = [];
    const logs: WritebackLogInput[] = [];
    for (const attempt of attempts) {
      const { d } = attempt;
      if ('skipped' in attempt) {
        skip(d.id, 'historical');
        continue;
      }
      const { result, evaluation } = attempt;
      if (!result.ok) {
        failed.push(d.id);
        if ('thrown' in result) {
          // A bug, not a vendor's answer: the job fails and is retried; nothing to log for the admin.
          results.set(d.id, { error: result.thrown });
          continue;
        }
        logs.push({ connectionId: d.runtime.connection.id, caseId: d.id, action: 'writeback', payload: { code: result.error.code }, outcome: 'failed', error: result.error.message });
        results.set(d.id, { error: result.error });
        continue;
      }
      states.push({ caseId: d.id, state: result.value.state });
      if (result.value.calls > 0) {
        logs.push({
          connectionId: d.runtime.connection.id,
          caseId: d.id,
          action: result.value.actions.join('; ') || 'writeback',
          payload: { calls: result.value.calls, actions: result.value.actions },
          outcome: 'ok',
        });
      }
      results.set(d.id, { run: { outcome: result.value, timers: timersFor(d.id, evaluation, nowMs) } });
    }
    await markWritebackPending(handle.db, failed, true);
    await saveWritebackStates(handle.db, states);
    await appendWritebackLogs(handle.db, logs);
  }
  return caseIds.map((id) => results.get(id)!);
}
