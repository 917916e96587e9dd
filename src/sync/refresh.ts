// Webhook-triggered refresh (issue 3): the cases a verified webhook named are fetched again from the
// vendor (the payload alone lacks their history) and stored and evaluated like a sync page.
import type { CaseInput, ExternalRef } from '../connectors/types.ts';
import type { DatabaseHandle } from '../store/db.ts';
import { withTransaction } from '../store/db.ts';
import type { ConnectionRuntime } from './connection.ts';
import type { StoredPage } from './run-sync.ts';
import { storeAndEvaluate } from './run-sync.ts';

export async function refreshCases(handle: DatabaseHandle, runtime: ConnectionRuntime, refs: readonly ExternalRef[], nowMs: number): Promise<StoredPage & { missing: number }> {
  const fetched: CaseInput[] = [];
  let missing = 0;
  for (const ref of refs) {
    const found = await runtime.connector.fetchCase(runtime.config, ref, runtime.ctx);
    if (found) fetched.push(found);
    else missing++;
  }
  if (fetched.length === 0) return { caseIds: [], changedCaseIds: [], timers: [], missing };
  const page = await withTransaction(handle, (tx) => storeAndEvaluate(tx, runtime, fetched, nowMs));
  return { ...page, missing };
}
