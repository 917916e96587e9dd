// `sla-sync explain` (issue 7): a stored case, the agreement that applies to it and why, and what
// each of its events did to each clock, ending in the same states `compute` gives.
import type { Explanation } from '../core/explain.ts';
import { explainCase } from '../core/explain.ts';
import { formatInstant } from '../core/metrics.ts';
import type { StoredCase } from '../store/cases-repo.ts';
import { findCase, getCaseEvents } from '../store/cases-repo.ts';
import type { Db } from '../store/db.ts';
import type { CaseEvent } from '../core/types.ts';
import type { Connection } from '../store/connections-repo.ts';
import type { AgreementContextSource } from './agreement-cache.ts';
import { freshAgreementContext } from './agreement-cache.ts';
import type { ResolvedAgreement } from './agreements.ts';
import { agreementFor } from './agreements.ts';
import { findConnection } from './connection.ts';
import { toCoreEvents } from './evaluate.ts';

export interface CaseExplanation extends Explanation {
  case: Pick<StoredCase, 'id' | 'externalKey' | 'url' | 'title' | 'status' | 'rawPriority'> & { connection: string };
  customer: string | null;
  policy: string;
  /** The rule that chose the policy; null: the connection's default policy. */
  rule: string | null;
  now: string;
}

export class CaseNotFoundError extends Error {}

export async function explainStoredCase(db: Db, connectionName: string, keyOrId: string, nowMs: number): Promise<CaseExplanation> {
  const connection = await findConnection(db, connectionName);
  const stored = await findCase(db, connection.id, keyOrId);
  if (!stored) throw new CaseNotFoundError(`connection "${connectionName}" has no case "${keyOrId}"`);
  return explainCaseRecord(db, stored, nowMs);
}

/** A stored case with the agreement that applies to it now and its timeline as core events. */
export interface CaseWithAgreement {
  connection: Connection;
  agreement: ResolvedAgreement;
  events: CaseEvent[];
}

/** Where the agreement context comes from: loaded afresh unless a view passes its recent copy (agreement-cache.ts). */
export interface AgreementOptions {
  agreements?: AgreementContextSource;
}

export async function loadCaseWithAgreement(db: Db, stored: StoredCase, options: AgreementOptions = {}): Promise<CaseWithAgreement> {
  const context = await (options.agreements ?? freshAgreementContext)(db, stored.connectionId);
  const entry = context.connections.get(stored.connectionId)!;
  const agreement = agreementFor(context, entry.connection, stored.attributes ?? {});
  if (!agreement) throw new CaseNotFoundError(`connection "${entry.connection.name}" has no policy`);
  const events = toCoreEvents(await getCaseEvents(db, stored.id), entry.mapping, agreement.policy.policy.defaultSeverity);
  return { connection: entry.connection, agreement, events };
}

export async function explainCaseRecord(db: Db, stored: StoredCase, nowMs: number, options: AgreementOptions = {}): Promise<CaseExplanation> {
  const { connection, agreement, events } = await loadCaseWithAgreement(db, stored, options);
  const explanation = explainCase(agreement.policy, events, nowMs);
  return {
    case: { id: stored.id, externalKey: stored.externalKey, url: stored.url, title: stored.title, status: stored.status, rawPriority: stored.rawPriority, connection: connection.name },
    customer: agreement.customer,
    policy: agreement.policyName,
    rule: agreement.rule,
    now: formatInstant(nowMs),
    ...explanation,
  };
}
