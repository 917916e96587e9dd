// Writeback and re-evaluation of single cases (issue 3): the writeback job brings a ticket in line
// with its SLA at the moment the job runs; a breach timer re-evaluates a case at the minute a metric
// turns at risk or breached, so a label flips on time even when the ticket never changes.
import type { ConnectorContext, CaseInput as SourceCase, SlaSnapshot, WritebackHint, WritebackOutcome, WritebackState } from '../connectors/types.ts';
import { formatInstant } from '../core/metrics.ts';
import type { CaseEvaluation, MetricName } from '../core/types.ts';

import type { CaseForWriteback, StoredCase, WritebackLeases } from '../store/cases-repo.ts';
import { getCaseEvents, getCaseEventsOf, getCaseForWriteback, leaseCasesForWriteback, markWritebackPending, releaseWritebackLeases } from '../store/cases-repo.ts';
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
import { evaluateEvents } from './evaluate.ts';
import { RetryJobLaterError, jobSpecs } from './queue-jobs.ts';
import type { BreachTimer } from './run-sync.ts';
import { timersFor } from './run-sync.ts';

/** Per-connection runtimes, so every job of a connection in this process shares one rate limiter. */
export type RuntimeSource = (connectionId: number) => Promise<ConnectionRuntime>;

/**
 * Writebacks of one case never overlap, in one process or in several on one database: each takes
 * the case's lease first (cases.writeback_lease_until) and frees it with its outcome. Two at once
 * on a case never written back would both find no status comment and both create one (GitHub); the
 * second would also write from a stale `previous`. The lease is taken and the case read in one
 * statement, so the state last written back is read once the lease is ours, never while another
 * writeback still runs; no transaction is held open over the vendor calls.
 *
 * Its length is the writeback job's expiry (a writeback job running longer is already taken for
 * dead and run again), well above what a writeback's requests take under the connection's limiter
 * at its defaults (http.ts: 30 s a try, a back-off or a vendor's Retry-After at most 120 s). A lease
 * its holder died with (a crash) blocks the case until it runs out.
 */
export const WRITEBACK_LEASE_MS = jobSpecs.writeback.expireInSeconds * 1000;
/**
 * The vendor calls of a writeback are aborted this long before its lease runs out (the request
 * fails as on a timeout and the writeback is retried): a slow writeback never outlives its lease.
 * The margin covers the statements around the calls (the lease's own answer, the results saved).
 */
const WRITEBACK_LEASE_MARGIN_MS = 30_000;
/**
 * A writeback that finds its case leased by another tries again this soon, or when that lease runs
 * out if sooner: the holder is usually done within a second or two.
 */
const LEASE_HELD_RETRY_MS = 5_000;

/**
 * What a writeback whose case another one holds returns: retry later, without using an attempt of
 * the writeback job (queue.ts puts the job back) since nothing failed. A refresh queues a
 * writeback job for it (enqueueWritebackRetries); the case stays flagged writeback_pending meanwhile.
 */
function leaseHeld(caseId: number, remainingMs: number): { error: RetryJobLaterError } {
  const retryAfterMs = Math.max(1_000, Math.min(remainingMs, LEASE_HELD_RETRY_MS));
  return { error: new RetryJobLaterError(retryAfterMs, `case ${caseId}: another writeback of it is running`, { countsAsAttempt: false }) };
}

/** The time a writeback's vendor calls have, from the moment its lease was taken. */
function leaseDeadline(): AbortSignal {
  return AbortSignal.timeout(WRITEBACK_LEASE_MS - WRITEBACK_LEASE_MARGIN_MS);
}

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
  // One statement leases the cases and reads them, their last written state and their agreement.
  // A case another writeback holds is put back for later (its job uses no attempt for it).
  const lease = await leaseCasesForWriteback(handle.db, ids, WRITEBACK_LEASE_MS);
  const found = lease.leased;
  for (const [id, remainingMs] of lease.held) results.set(id, leaseHeld(id, remainingMs));
  if (lease.until === null) {
    for (const id of ids) if (!results.has(id)) skip(id, 'gone');
    return caseIds.map((id) => results.get(id)!);
  }
  const deadline = leaseDeadline();
  const due: { id: number; runtime: ConnectionRuntime; found: NonNullable<ReturnType<typeof found.get>>; agreement: ResolvedAgreement }[] = [];
  let evaluations: CaseEvaluation[] = [];
  try {
    const runtimeOf = new Map<number, ConnectionRuntime>();
    for (const connectionId of new Set([...found.values()].map((f) => f.stored.connectionId))) {
      try {
        runtimeOf.set(connectionId, await runtimes(connectionId));
      } catch (error) {
        for (const [id, f] of found) if (f.stored.connectionId === connectionId) results.set(id, { error });
      }
    }
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
      // Cleared before the vendor is called (and only for the cases leased): a sync that changes a
      // case meanwhile flags it again.
      await markWritebackPending(handle.db, due.map((d) => d.id), false);
      evaluations = await withTransaction(handle, async (tx) => {
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
    }
  } catch (error) {
    // Nothing was sent to a vendor yet: the leases are freed for the job's retry.
    await releaseWritebackLeases(handle.db, [...found.keys()], lease.until).catch(() => undefined);
    throw error;
  }
  const dueIds = new Set(due.map((d) => d.id));
  const attempted = await attemptWritebacks(
    handle,
    due.map((d, i) => ({ caseId: d.id, runtime: d.runtime, stored: d.found.stored, previous: d.found.writebackState, policy: d.agreement.policy, evaluation: evaluations[i]! })),
    nowMs,
    // Already cleared: only a failure flags the case again. The leased cases not written (paused,
    // gone) are freed with the outcome.
    { pendingOnSuccess: null, lease: { until: lease.until, deadline, alsoRelease: [...found.keys()].filter((id) => !dueIds.has(id)) } },
  );
  for (const [id, result] of attempted) results.set(id, result);
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

/** The leases a batch of writebacks holds (leaseCasesForWriteback), freed with its outcome. */
interface HeldLeases {
  until: Date;
  /** Aborts the vendor calls before the leases run out. */
  deadline: AbortSignal;
  /** Leased cases not written (skipped), freed too. */
  alsoRelease?: readonly number[];
}

/**
 * The vendor calls of a batch of writebacks, at once under each connection's rate limiter, then
 * their outcome saved in ONE statement (states, pending flags, log, leases freed). `pendingOnSuccess`:
 * what a done writeback (or one skipped as history) leaves in writeback_pending: null when the caller
 * cleared it before (the writeback job), 'clear' to clear it now, if the case is still the version
 * written back from (a refresh, whose store flagged it). A failure always leaves it flagged. If the
 * save itself fails the leases are left to run out: what was sent is then unknown to the store.
 */
async function attemptWritebacks(
  handle: DatabaseHandle,
  due: readonly DueWriteback[],
  nowMs: number,
  { pendingOnSuccess, lease }: { pendingOnSuccess: 'clear' | null; lease: HeldLeases },
): Promise<Map<number, { run: WritebackRun } | { error: unknown }>> {
  const results = new Map<number, { run: WritebackRun } | { error: unknown }>();
  // The connection's context with the lease's deadline, one per connection of the batch.
  const contexts = new Map<ConnectionRuntime, ConnectorContext>();
  const contextOf = (runtime: ConnectionRuntime): ConnectorContext => {
    let ctx = contexts.get(runtime);
    if (!ctx) {
      const signal = runtime.ctx.signal ? AbortSignal.any([runtime.ctx.signal, lease.deadline]) : lease.deadline;
      contexts.set(runtime, (ctx = { ...runtime.ctx, signal }));
    }
    return ctx;
  };
  const attempts = await Promise.all(
    due.map(async (d) => {
      const { stored, previous } = d;
      // A ticket closed before sla-sync ever wrote to it is history: no labels, no comment on it (a
      // first full sync must not comment on years of closed issues). Once written to, it is kept in line.
      if (previous === null && (stored.status === 'solved' || stored.status === 'closed')) return { d, skipped: true as const };
      const ref = { externalId: stored.externalId, externalKey: stored.externalKey, attributes: stored.attributes ?? {} };
      const result = await d.runtime.connector
        .writeback(d.runtime.config, ref, snapshotOf(d.policy, d.evaluation, nowMs), previous, contextOf(d.runtime), d.hint)
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
  for (const caseId of lease.alsoRelease ?? []) rows.push({ caseId, state: null, pending: null });
  await saveWritebackResults(handle.db, rows, logs, { releaseLease: lease.until });
  return results;
}

/** A case a refresh just stored (refresh.ts): its row as stored, the case as fetched, and its evaluation. */
export interface RefreshedCase {
  found: CaseForWriteback;
  fetched: SourceCase;
  /** What the store evaluated at nowMs just now (StoredPage.evaluations), and the policy it measured against. */
  evaluation: CaseEvaluation;
  policy: CompiledPolicy;
}

/**
 * The writebacks of a refresh, made at once by the refresh job rather than by writeback jobs queued
 * for them (one job cycle per webhook instead of two). The cases were evaluated at nowMs by the
 * store just now: that evaluation is the snapshot written. Their writeback_pending, set by that
 * store, is the crash-safety flag: it is cleared only once a writeback is done (reconcile queues a
 * writeback job for any case a crash left flagged); a failed one stays flagged and its error is
 * returned, for the caller to queue the writeback job that retries it. So is a case another
 * writeback holds (its lease): it is not written now, and its { error } asks for that retry too.
 */
export async function writebackRefreshed(
  handle: DatabaseHandle,
  runtime: ConnectionRuntime,
  refreshed: readonly RefreshedCase[],
  nowMs: number,
  /** The leases refreshBatch took with `leaseMs` (its RefreshedBatch.lease); taken here when absent. */
  taken?: WritebackLeases | null,
): Promise<Map<number, { run: WritebackRun } | { error: unknown }>> {
  const results = new Map<number, { run: WritebackRun } | { error: unknown }>();
  // The state last written back is read with the lease, never before it: a writeback that ended
  // just before (a comment it created) must be seen.
  const lease = taken ?? (refreshed.length === 0 ? null : await leaseCasesForWriteback(handle.db, refreshed.map((r) => r.found.stored.id), WRITEBACK_LEASE_MS));
  if (!lease) return results;
  for (const [id, remainingMs] of lease.held) results.set(id, leaseHeld(id, remainingMs));
  if (lease.until === null) return results;
  const deadline = leaseDeadline();
  const due: DueWriteback[] = [];
  for (const { found, fetched, evaluation, policy } of refreshed) {
    const leased = lease.leased.get(found.stored.id);
    if (!leased) continue; // held (above), or gone since
    due.push({
      caseId: found.stored.id,
      runtime,
      // The version stored and evaluated by the refresh (a newer one stored since keeps its flag).
      stored: found.stored,
      previous: leased.writebackState,
      policy,
      evaluation,
      ...(fetched.writebackHint ? { hint: fetched.writebackHint } : {}),
    });
  }
  for (const [id, result] of await attemptWritebacks(handle, due, nowMs, { pendingOnSuccess: 'clear', lease: { until: lease.until, deadline } })) results.set(id, result);
  return results;
}
