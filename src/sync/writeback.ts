// Writeback and re-evaluation of single cases (issue 3): the writeback job brings a ticket in line
// with its SLA at the moment the job runs; a breach timer re-evaluates a case at the minute a metric
// turns at risk or breached, so a label flips on time even when the ticket never changes.
import type { CaseInput as SourceCase, SlaSnapshot, WritebackHint, WritebackOutcome, WritebackState } from '../connectors/types.ts';
import { formatInstant } from '../core/metrics.ts';
import type { CaseEvaluation, MetricName } from '../core/types.ts';

import type { StoredCase } from '../store/cases-repo.ts';
import { getCaseEvents, getCaseEventsOf, getCaseForWriteback, getCasesForWriteback, markWritebackPending } from '../store/cases-repo.ts';
import type { DatabaseHandle } from '../store/db.ts';
import { withTransaction } from '../store/db.ts';
import { saveMetricStates, saveMetricStatesMany } from '../store/metric-states-repo.ts';
import { saveWritebackResults } from '../store/writeback-log-repo.ts';
import type { WritebackCaseResult, WritebackLogInput } from '../store/writeback-log-repo.ts';
import type { CompiledPolicy } from '../core/metrics.ts';
import { setCaseAgreement } from '../store/agreements-repo.ts';
import type { ResolvedAgreement } from './agreements.ts';
import { agreementFor } from './agreements.ts';
import type { ConnectionRuntime } from './connection.ts';
import { evaluateEvents, toStoreCase } from './evaluate.ts';
import type { BreachTimer } from './run-sync.ts';
import { timersFor } from './run-sync.ts';

/** A case as a writeback reads it: its row, the state last written back and its stored agreement. */
export type CaseForWriteback = NonNullable<Awaited<ReturnType<typeof getCaseForWriteback>>>;

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
    const attempted = await attemptWritebacks(
      handle,
      due.map((d, i) => ({ caseId: d.id, runtime: d.runtime, stored: d.found.stored, previous: d.found.writebackState, policy: d.agreement.policy, evaluation: evaluations[i]! })),
      nowMs,
      // Already cleared: only a failure flags the case again.
      { pendingOnSuccess: null },
    );
    for (const [id, result] of attempted) results.set(id, result);
  }
  return caseIds.map((id) => results.get(id)!);
}

/** A case whose ticket is to be brought in line with `evaluation` now. */
export interface DueWriteback {
  caseId: number;
  runtime: ConnectionRuntime;
  stored: StoredCase;
  previous: WritebackState | null;
  policy: CompiledPolicy;
  evaluation: CaseEvaluation;
  /** What the fetch just before learned (CaseInput.writebackHint), for the connector. */
  hint?: WritebackHint;
}

/**
 * The vendor calls of a batch of writebacks, at once under each connection's rate limiter, then
 * their outcome saved in ONE statement (states, pending flags, log). `pendingOnSuccess`: what a
 * done writeback (or one skipped as history) leaves in writeback_pending: null when the caller
 * cleared it before (the writeback job), 'clear' to clear it now, if the case is still the version
 * written back from (a refresh, whose store flagged it). A failure always leaves it flagged.
 */
async function attemptWritebacks(
  handle: DatabaseHandle,
  due: readonly DueWriteback[],
  nowMs: number,
  { pendingOnSuccess }: { pendingOnSuccess: 'clear' | null },
): Promise<Map<number, { run: WritebackRun } | { error: unknown }>> {
  const results = new Map<number, { run: WritebackRun } | { error: unknown }>();
  const attempts = await Promise.all(
    due.map(async (d) => {
      const { stored, previous } = d;
      // A ticket closed before sla-sync ever wrote to it is history: no labels, no comment on it (a
      // first full sync must not comment on years of closed issues). Once written to, it is kept in line.
      if (previous === null && (stored.status === 'solved' || stored.status === 'closed')) return { d, skipped: true as const };
      const ref = { externalId: stored.externalId, externalKey: stored.externalKey, attributes: stored.attributes ?? {} };
      const result = await d.runtime.connector
        .writeback(d.runtime.config, ref, snapshotOf(d.policy, d.evaluation, nowMs), previous, d.runtime.ctx, d.hint)
        .catch((error: unknown) => ({ ok: false as const, thrown: error }));
      return { d, result };
    }),
  );
  const done = (d: DueWriteback, state: Record<string, unknown> | null): WritebackCaseResult => ({
    caseId: d.caseId,
    state,
    pending: pendingOnSuccess === 'clear' ? false : null,
    ifUpdatedAt: d.stored.updatedAt,
  });
  const rows: WritebackCaseResult[] = [];
  const logs: WritebackLogInput[] = [];
  for (const attempt of attempts) {
    const { d } = attempt;
    if ('skipped' in attempt) {
      results.set(d.caseId, { run: { outcome: null, skipped: 'historical', timers: [] } });
      rows.push(done(d, null));
      continue;
    }
    const { result } = attempt;
    if (!result.ok) {
      rows.push({ caseId: d.caseId, state: null, pending: true });
      if ('thrown' in result) {
        // A bug, not a vendor's answer: the job fails and is retried; nothing to log for the admin.
        results.set(d.caseId, { error: result.thrown });
        continue;
      }
      logs.push({ connectionId: d.runtime.connection.id, caseId: d.caseId, action: 'writeback', payload: { code: result.error.code }, outcome: 'failed', error: result.error.message });
      results.set(d.caseId, { error: result.error });
      continue;
    }
    rows.push(done(d, result.value.state));
    if (result.value.calls > 0) {
      logs.push({
        connectionId: d.runtime.connection.id,
        caseId: d.caseId,
        action: result.value.actions.join('; ') || 'writeback',
        payload: { calls: result.value.calls, actions: result.value.actions },
        outcome: 'ok',
      });
    }
    results.set(d.caseId, { run: { outcome: result.value, timers: timersFor(d.caseId, d.evaluation, nowMs) } });
  }
  await saveWritebackResults(handle.db, rows, logs);
  return results;
}

/** A case a refresh just stored (refresh.ts): its row as stored, and the case as fetched. */
export interface RefreshedCase {
  found: CaseForWriteback;
  fetched: SourceCase;
}

/**
 * The writebacks of a refresh, made at once by the refresh job rather than by writeback jobs queued
 * for them (one job cycle per webhook instead of two). The cases were evaluated at nowMs by the
 * store just now, from what was fetched: they are evaluated again from the fetched cases (no store
 * read) for the snapshot. Their writeback_pending, set by that store, is the crash-safety flag: it is
 * cleared only once a writeback is done (reconcile queues a writeback job for any case a crash left
 * flagged); a failed one stays flagged and its error is returned, for the caller to queue the
 * writeback job that retries it.
 */
export async function writebackRefreshed(
  handle: DatabaseHandle,
  runtime: ConnectionRuntime,
  refreshed: readonly RefreshedCase[],
  nowMs: number,
): Promise<Map<number, { run: WritebackRun } | { error: unknown }>> {
  const due: DueWriteback[] = [];
  for (const { found, fetched } of refreshed) {
    const agreement = agreementFor(runtime.agreements, runtime.connection, fetched.attributes);
    // storeAndEvaluate refused a case without a policy already; nothing to write without one.
    if (!agreement) continue;
    const events = toStoreCase(fetched, runtime.mapping, agreement.policy.policy.defaultSeverity).events;
    due.push({
      caseId: found.stored.id,
      runtime,
      stored: found.stored,
      previous: found.writebackState,
      policy: agreement.policy,
      evaluation: evaluateEvents(agreement.policy, events, runtime.mapping, nowMs),
      ...(fetched.writebackHint ? { hint: fetched.writebackHint } : {}),
    });
  }
  return due.length === 0 ? new Map() : attemptWritebacks(handle, due, nowMs, { pendingOnSuccess: 'clear' });
}
