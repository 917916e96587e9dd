// Webhook-triggered refresh (issue 3): the cases a verified webhook named are fetched again from the
// vendor (the payload alone lacks their history) and stored and evaluated like a sync page.
import type { CaseInput, ExternalRef } from '../connectors/types.ts';
import { getCasesForWriteback, leaseCasesForWriteback } from '../store/cases-repo.ts';
import type { WritebackLeases } from '../store/cases-repo.ts';
import type { DatabaseHandle, Db } from '../store/db.ts';
import { withTransaction } from '../store/db.ts';
import type { ConnectionRuntime } from './connection.ts';
import type { StoredPage } from './run-sync.ts';
import { storeAndEvaluate } from './run-sync.ts';
import type { RefreshedCase } from './writeback.ts';

export async function refreshCases(handle: DatabaseHandle, runtime: ConnectionRuntime, refs: readonly ExternalRef[], nowMs: number): Promise<StoredPage & { missing: number }> {
  const { page, missing, errors } = await refreshBatch(handle, runtime, [refs], nowMs);
  if (errors[0]) throw errors[0].error;
  return { ...page, missing };
}

export interface RefreshedBatch {
  page: StoredPage;
  missing: number;
  /** Per group, in order: null when stored, { error } when its fetch failed. */
  errors: ({ error: unknown } | null)[];
  /**
   * The stored cases (page.caseIds), each with its row as stored, the case as fetched and its
   * evaluation: what their writebacks need. With `leaseMs`, only the cases leased for writeback.
   */
  refreshed: RefreshedCase[];
  /** With `leaseMs`: the writeback leases taken in the store's transaction (null when nothing was stored). */
  lease: WritebackLeases | null;
}

/**
 * Several refreshes at once (the refresh jobs of one fetch): every ref fetched concurrently (the
 * connection's rate limiter caps the requests), then everything found stored in ONE transaction, so
 * a burst of webhooks costs a few statements per batch rather than per webhook. A group whose fetch
 * failed stores nothing and is reported in `errors` (its job is retried); the others are stored.
 * `inTransaction` runs last in that transaction (the jobs the page needs, queued if and only if it
 * commits). The stored rows are read back in it too, for the writebacks that follow; with
 * `leaseMs`, by the statement that leases them for those writebacks (cases.writeback_lease_until,
 * see writeback.ts), so a refresh that writes back costs no statement more than one that does not.
 */
export async function refreshBatch(
  handle: DatabaseHandle,
  runtime: ConnectionRuntime,
  groups: readonly (readonly ExternalRef[])[],
  nowMs: number,
  options: { inTransaction?: (tx: Db, page: StoredPage) => Promise<void>; leaseMs?: number } = {},
): Promise<RefreshedBatch> {
  const fetched = await Promise.all(
    groups.map((refs) =>
      Promise.all(refs.map((ref) => runtime.connector.fetchCase(runtime.config, ref, runtime.ctx))).then(
        (cases) => ({ cases, error: null }),
        (error: unknown) => ({ cases: [] as (CaseInput | null)[], error: { error } }),
      ),
    ),
  );
  const found = fetched.flatMap((f) => f.cases.filter((c): c is CaseInput => c !== null));
  const missing = fetched.reduce((n, f) => n + (f.error ? 0 : f.cases.filter((c) => c === null).length), 0);
  const errors = fetched.map((f) => f.error);
  if (found.length === 0) return { page: { caseIds: [], changedCaseIds: [], timers: [], evaluations: new Map() }, missing, errors, refreshed: [], lease: null };
  return withTransaction(handle, async (tx) => {
    const page = await storeAndEvaluate(tx, runtime, found, nowMs);
    const lease = options.leaseMs === undefined ? null : await leaseCasesForWriteback(tx, page.caseIds, options.leaseMs);
    const rows = lease ? lease.leased : await getCasesForWriteback(tx, page.caseIds);
    await options.inTransaction?.(tx, page);
    // An external id fetched twice: its last version was stored.
    const fetchedById = new Map(found.map((c) => [c.externalId, c]));
    const refreshed = page.caseIds.flatMap((id): RefreshedCase[] => {
      const row = rows.get(id);
      const source = row ? fetchedById.get(row.stored.externalId) : undefined;
      const evaluated = page.evaluations.get(id);
      return row && source && evaluated ? [{ found: row, fetched: source, ...evaluated }] : [];
    });
    return { page, missing, errors, refreshed, lease };
  });
}
