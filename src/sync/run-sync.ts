// `sla-sync sync` and the scheduled sync job (issue 3, "Sync"): pages of changed cases from the
// connector, each page stored with its events, its cases' fresh SLA states and the new cursor in ONE
// transaction (STYLE.md habit 5), so a crash repeats at most one page and loses nothing.
import type { ChangePage, CaseInput as SourceCase } from '../connectors/types.ts';
import { formatInstant } from '../core/metrics.ts';
import type { CompiledPolicy } from '../core/metrics.ts';
import type { CaseEvaluation, MetricName } from '../core/types.ts';
import { METRICS } from '../core/types.ts';
import { lockCaseVersions, storeCases } from '../store/cases-repo.ts';
import type { DatabaseHandle, Db } from '../store/db.ts';
import { withTransaction } from '../store/db.ts';
import { getMetricStatesOf, saveMetricStatesMany } from '../store/metric-states-repo.ts';
import { getSyncCursor, recordSyncRun, saveSyncCursor } from '../store/sync-cursors-repo.ts';
import { ConnectorError } from '../connectors/types.ts';
import { agreementFor } from './agreements.ts';
import { changesInThread } from './change-thread.ts';
import type { ConnectionRuntime } from './connection.ts';
import { evaluateEvents, slaFingerprint, toStoreCase } from './evaluate.ts';

/** A re-evaluation due at an instant: a metric reaching its at-risk threshold or its target. */
export interface BreachTimer {
  caseId: number;
  metric: MetricName;
  at: Date;
}

export interface StoredPage {
  caseIds: number[];
  /** Cases whose SLA state or due time changed. */
  changedCaseIds: number[];
  timers: BreachTimer[];
  /**
   * Each stored case's evaluation at the page's nowMs and the policy it was measured against: what
   * its writeback writes (a refresh writes back at once, without evaluating the cases again).
   */
  evaluations: Map<number, { evaluation: CaseEvaluation; policy: CompiledPolicy }>;
}

/** Future instants at which a running metric turns at risk or breached. */
export function timersFor(caseId: number, evaluation: CaseEvaluation, nowMs: number): BreachTimer[] {
  const timers: BreachTimer[] = [];
  for (const metric of METRICS) {
    const m = evaluation.metrics[metric];
    if (m.state !== 'running' && m.state !== 'at_risk') continue;
    for (const instant of [m.atRiskAt, m.dueAt]) {
      if (instant === null) continue;
      const at = Date.parse(instant);
      if (at > nowMs) timers.push({ caseId, metric, at: new Date(at) });
    }
  }
  return timers;
}

/**
 * Stores cases as the connector gave them, re-evaluates them at nowMs and flags them for writeback,
 * all in the caller's transaction. Shared by the sync and by webhook refreshes.
 */
export async function storeAndEvaluate(
  tx: Db,
  runtime: ConnectionRuntime,
  fetched: readonly SourceCase[],
  nowMs: number,
  options: { afterCaseRows?: () => void } = {},
): Promise<StoredPage> {
  // A version older than the stored one (a sync page fetched before a webhook refresh committed)
  // is dropped: the newer data stays, and the next sync brings whatever is newer still.
  const stored = await lockCaseVersions(tx, runtime.connection.id, fetched.map((c) => c.externalId));
  const sourceCases = fetched.filter((c) => {
    const current = stored.get(c.externalId);
    return current === undefined || Date.parse(current) <= Date.parse(c.updatedAt);
  });
  // Each case's agreement first (customer, rule, policy): its policy decides targets and severity.
  const agreements = sourceCases.map((c) => {
    const agreement = agreementFor(runtime.agreements, runtime.connection, c.attributes);
    if (!agreement) throw new ConnectorError('misconfigured', `connection "${runtime.connection.name}" has no policy`);
    return agreement;
  });
  const pageCases = sourceCases.map((c, i) => ({
    ...toStoreCase(c, runtime.mapping, agreements[i]!.policy.policy.defaultSeverity),
    agreement: agreements[i]!.ids,
  }));
  // Every touched case is checked at its vendor (writeback_pending, set with the row): a label a
  // person removed is put back; the connector sends nothing when the ticket already shows the SLA.
  const { ids: caseIds, created } = await storeCases(tx, runtime.connection.id, pageCases, {
    writebackPending: true,
    inCallersTransaction: true,
    ...(options.afterCaseRows ? { afterCaseRows: options.afterCaseRows } : {}),
  });
  const previous = await getMetricStatesOf(tx, caseIds.filter((id) => !created.has(id)));
  const evaluatedAt = formatInstant(nowMs);
  const changedCaseIds: number[] = [];
  const timers: BreachTimer[] = [];
  const seen = new Set<number>();
  const evaluated: { caseId: number; evaluation: CaseEvaluation }[] = [];
  const evaluations: StoredPage['evaluations'] = new Map();
  for (let i = pageCases.length - 1; i >= 0; i--) {
    const caseId = caseIds[i]!;
    if (seen.has(caseId)) continue; // an external id twice in a page: its last version was stored
    seen.add(caseId);
    const policy = agreements[i]!.policy;
    const evaluation = evaluateEvents(policy, pageCases[i]!.events, runtime.mapping, nowMs);
    evaluated.push({ caseId, evaluation });
    evaluations.set(caseId, { evaluation, policy });
    const before = previous.get(caseId);
    if (!before || slaFingerprint(before) !== slaFingerprint(evaluation)) changedCaseIds.push(caseId);
    timers.push(...timersFor(caseId, evaluation, nowMs));
  }
  await saveMetricStatesMany(tx, evaluated, evaluatedAt);
  return { caseIds: [...seen], changedCaseIds, timers, evaluations };
}

export interface SyncProgress {
  connection: string;
  pages: number;
  cases: number;
  changed: number;
  elapsedMs: number;
}

export interface SyncOptions {
  /** Ignore the stored cursor and fetch everything. */
  full?: boolean;
  now?: () => number;
  /** After each committed page (progress display, enqueueing writebacks and timers). */
  onPage?: (page: StoredPage, progress: SyncProgress) => Promise<void> | void;
  /** Stop after this many pages (tests of crashes and resumption). */
  maxPages?: number;
}

export interface SyncResult extends SyncProgress {
  cursor: string | null;
}

/**
 * A page whose transaction has started: `caseRows` once its case rows are written (and locked),
 * `committed` with its outcome, `handed` once it is committed and onPage has taken it.
 */
interface PageInFlight {
  nextCursor: string;
  caseRows: Promise<void>;
  committed: Promise<StoredPage>;
  handed: Promise<void>;
  hand: { resolve: () => void; reject: (error: unknown) => void };
}

export async function runSync(handle: DatabaseHandle, runtime: ConnectionRuntime, options: SyncOptions = {}): Promise<SyncResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const { connection } = runtime;
  let cursor = options.full ? null : ((await getSyncCursor(handle.db, connection.id))?.cursor ?? null);
  const progress: SyncProgress = { connection: connection.name, pages: 0, cases: 0, changed: 0, elapsedMs: 0 };
  /**
   * Page n+1's transaction overlaps page n's on Postgres (two connections; PGlite runs one
   * transaction at a time). Pages still commit in order, and a page never commits unless the one
   * before it did and was handed to onPage (its writebacks and timers queued):
   * - n+1 starts once n has written its case rows. From then on n takes no row lock of a case it
   *   does not already hold (its events and SLA states are its own cases' rows), so n never waits
   *   for n+1: a case in both pages makes n+1 wait for n's commit inside Postgres, never the reverse.
   * - n+1 writes its cursor and commits only after n was committed and handed, and rolls back if
   *   either failed.
   */
  const overlap = handle.kind === 'postgres';
  const startPage = (page: { cases: readonly SourceCase[]; nextCursor: string }, before: PageInFlight | null): PageInFlight => {
    let caseRowsWritten!: () => void;
    const caseRows = new Promise<void>((resolve) => (caseRowsWritten = resolve));
    let hand!: PageInFlight['hand'];
    const handed = new Promise<void>((resolve, reject) => (hand = { resolve, reject }));
    const committed = (async () => {
      // The one before failed before its case rows: this page does not start.
      if (before) await Promise.race([before.caseRows, before.handed]);
      return withTransaction(handle, async (tx) => {
        const result = await storeAndEvaluate(tx, runtime, page.cases, now(), { afterCaseRows: caseRowsWritten });
        if (before) await before.handed; // its failure rolls this page back too
        await saveSyncCursor(tx, connection.id, page.nextCursor);
        return result;
      });
    })();
    // Surfaced when awaited in order; not unhandled rejections meanwhile.
    committed.catch(() => undefined);
    handed.catch(() => undefined);
    return { nextCursor: page.nextCursor, caseRows, committed, handed, hand };
  };
  /** Waits for a page's commit, then counts it and tells onPage, in page order; its successor may then commit. */
  const finish = async (page: PageInFlight): Promise<void> => {
    try {
      const stored = await page.committed;
      cursor = page.nextCursor;
      progress.pages++;
      progress.cases += stored.caseIds.length;
      progress.changed += stored.changedCaseIds.length;
      progress.elapsedMs = now() - started;
      await options.onPage?.(stored, { ...progress });
      page.hand.resolve();
    } catch (error) {
      page.hand.reject(error);
      throw error;
    }
  };
  let inFlight: PageInFlight | null = null;
  try {
    // Pages read ahead: the vendor is asked for page n+1 while page n is being stored, so a sync
    // takes about the longer of the two rather than their sum. In the connector thread (the
    // default) reading and parsing also run on another core, several pages ahead.
    const pages = runtime.readsInThread
      ? changesInThread(runtime, cursor)
      : runtime.connector.fetchChanges(runtime.config, cursor, runtime.ctx)[Symbol.asyncIterator]();
    let ahead = pages.next();
    let startedPages = 0;
    try {
      for (;;) {
        if (options.maxPages !== undefined && startedPages >= options.maxPages) break;
        let next: IteratorResult<ChangePage>;
        try {
          next = await ahead;
        } catch (error) {
          // The vendor failed: the page in flight is still stored and handed on, as it would have
          // been had it not overlapped the read; then the vendor's error is the sync's.
          const last = inFlight;
          inFlight = null;
          if (last) await finish(last).catch(() => undefined);
          throw error;
        }
        if (next.done) break;
        const page = next.value;
        ahead = pages.next();
        ahead.catch(() => undefined); // surfaced when awaited; not an unhandled rejection meanwhile
        // Sequential (PGlite): nothing is in flight here. Overlapped: the page before is, and is
        // finished while this one stores.
        const before = inFlight;
        inFlight = startPage(page, overlap ? before : null);
        startedPages++;
        if (before) await finish(before);
        if (!overlap) {
          const current = inFlight;
          inFlight = null;
          await finish(current);
        }
      }
      if (inFlight) {
        const last = inFlight;
        inFlight = null;
        await finish(last);
      }
    } finally {
      // A page still in flight after a failure rolls back (its predecessor failed): its connection
      // is settled before the sync reports.
      await (inFlight as PageInFlight | null)?.committed.catch(() => undefined);
      await pages.return?.(undefined).catch(() => undefined);
    }
    await recordSyncRun(handle.db, connection.id, formatInstant(now()), null);
  } catch (error) {
    await recordSyncRun(handle.db, connection.id, formatInstant(now()), error instanceof Error ? error.message : String(error)).catch(() => undefined);
    throw error;
  }
  progress.elapsedMs = now() - started;
  return { ...progress, cursor };
}
