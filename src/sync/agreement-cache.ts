// The agreement context (every customer, rule and policy, and each connection's priority mapping),
// kept a short while for the views that show one case at a time: the Zendesk sidebar asks every
// minute per open ticket and the Jira panel on every view, and each answer needs the whole context
// to resolve its one case.
//
// Like the workers' runtimeCache (jobs.ts), a change made by another process (`sla-sync config
// apply` on the command line) shows within the TTL. applyConfig, the one writer of customers,
// rules, policies and mappings, forgets this process's copy once it has run, so a save in this
// process (the admin pages) shows on the very next request.
import type { Db } from '../store/db.ts';
import type { AgreementContext } from './agreements.ts';
import { loadAgreementContext } from './agreements.ts';

export const AGREEMENT_CONTEXT_TTL_MS = 15_000;

/** Where a view gets the context of a case of `connectionId` from. */
export type AgreementContextSource = (db: Db, connectionId: number) => Promise<AgreementContext>;

/** Loaded for every call: the CLI's `explain`, and any caller that must see the store as it is. */
export const freshAgreementContext: AgreementContextSource = (db) => loadAgreementContext(db);

interface Entry {
  context: Promise<AgreementContext>;
  loadedAt: number;
}

/** One copy per database handle: tests open many stores in one process, and a copy dies with its handle. */
const copies = new WeakMap<Db, Entry>();

function load(db: Db, loadedAt: number): Promise<AgreementContext> {
  const entry: Entry = { context: loadAgreementContext(db), loadedAt };
  copies.set(db, entry);
  // A failed load is not kept (and a newer one is not dropped for it).
  entry.context.catch(() => {
    if (copies.get(db) === entry) copies.delete(db);
  });
  return entry.context;
}

/**
 * This process's copy of the context, reloaded once it is `ttlMs` old by `now` (the app's clock),
 * or when it does not know the case's connection yet (one created since, by another process).
 */
export function recentAgreementContext(now: () => number, ttlMs = AGREEMENT_CONTEXT_TTL_MS): AgreementContextSource {
  return async (db, connectionId) => {
    const at = now();
    const hit = copies.get(db);
    // A clock set back (a test's) makes the copy stale too: never trust an age below zero.
    if (hit && at - hit.loadedAt >= 0 && at - hit.loadedAt < ttlMs) {
      const context = await hit.context.catch(() => null);
      if (context?.connections.has(connectionId)) return context;
    }
    return load(db, at);
  };
}

/** Drops this process's copy for the handle: the next view loads the context from the store. */
export function forgetAgreementContext(db: Db): void {
  copies.delete(db);
}
