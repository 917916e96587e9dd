// Webhook-triggered refresh (issue 3): the cases a verified webhook named are fetched again from the
// vendor (the payload alone lacks their history) and stored and evaluated like a sync page.
import type { CaseInput, ExternalRef } from '../connectors/types.ts';
import type { DatabaseHandle } from '../store/db.ts';
import { withTransaction } from '../store/db.ts';
import type { ConnectionRuntime } from './connection.ts';
import type { StoredPage } from './run-sync.ts';
import { storeAndEvaluate } from './run-sync.ts';

export async function refreshCases(handle: DatabaseHandle, runtime: ConnectionRuntime, refs: readonly ExternalRef[], nowMs: number): Promise<StoredPage & { missing: number }> {
  const { page, missing, errors } = await refreshBatch(handle, runtime, [refs], nowMs);
  if (errors[0]) throw errors[0].error;
  return { ...page, missing };
}

/**
 * Several refreshes at once (the refresh jobs of one fetch): every ref fetched concurrently (the
 * connection's rate limiter caps the requests), then everything found stored in ONE transaction, so
 * a burst of webhooks costs a few statements per batch rather than per webhook. A group whose fetch
 * failed stores nothing and is reported in `errors` (its job is retried); the others are stored.
 */
export async function refreshBatch(
  handle: DatabaseHandle,
  runtime: ConnectionRuntime,
  groups: readonly (readonly ExternalRef[])[],
  nowMs: number,
): Promise<{ page: StoredPage; missing: number; errors: ({ error: unknown } | null)[] }> {
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
  const page = found.length === 0 ? { caseIds: [], changedCaseIds: [], timers: [] } : await withTransaction(handle, (tx) => storeAndEvaluate(tx, runtime, found, nowMs));
  return { page, missing, errors: fetched.map((f) => f.error) };
}
