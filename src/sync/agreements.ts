// Which agreement applies to each case (issue 7), from the store's customers, rules, policies and
// priority mappings, and the re-evaluation a change to any of them causes: every case is resolved
// again, and exactly those whose agreement or SLA state changed are written and queued for writeback.
import type { CaseFacts } from '../core/agreements.ts';
import { resolveAgreement } from '../core/agreements.ts';
import type { CompiledPolicy } from '../core/metrics.ts';
import { compilePolicy, formatInstant } from '../core/metrics.ts';
import type { CaseEvaluation } from '../core/types.ts';
import type { CaseAgreementIds } from '../store/agreements-repo.ts';
import { getCaseAgreements, listCustomers, listPolicyRules, setCaseAgreement } from '../store/agreements-repo.ts';
import { getCaseEvents, listCaseRefs, markWritebackPending } from '../store/cases-repo.ts';
import type { Connection } from '../store/connections-repo.ts';
import { listConnections, listPriorityMappings } from '../store/connections-repo.ts';
import type { Db } from '../store/db.ts';
import { getMetricStatesOf, saveMetricStates } from '../store/metric-states-repo.ts';
import { listPolicies } from '../store/policies-repo.ts';
import type { PriorityMap } from './evaluate.ts';
import { evaluateEvents, priorityMap, slaFingerprint } from './evaluate.ts';

/** The facts rules may look at, from the attributes each connector stores (see its mapper). */
export function caseFacts(connection: Pick<Connection, 'name' | 'source'>, attributes: Record<string, unknown>): CaseFacts {
  const str = (v: unknown): string | null => (typeof v === 'string' || typeof v === 'number' ? String(v) : null);
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(str).filter((x): x is string => x !== null) : str(v) === null ? [] : [str(v)!]);
  const a = attributes;
  return {
    connection: connection.name,
    source: connection.source,
    // GitHub: repository; Jira: projectKey.
    project: str(a['repository']) ?? str(a['projectKey']),
    // GitHub and Jira: labels; Zendesk: tags.
    labels: [...list(a['labels']), ...list(a['tags'])],
    issueType: str(a['issueType']),
    // Zendesk: organizationId; JSM: organizations.
    organizations: [...list(a['organizationId']), ...list(a['organizations'])],
    group: str(a['groupId']),
    components: list(a['components']),
    requesterEmail: str(a['requesterEmail']),
    fields: Object.fromEntries(Object.entries((a['customFields'] as Record<string, unknown> | undefined) ?? {}).flatMap(([k, v]) => (str(v) === null ? [] : [[k, str(v)!]]))),
  };
}

export interface ResolvedAgreement {
  ids: CaseAgreementIds;
  customer: string | null;
  rule: string | null;
  policyName: string;
  policy: CompiledPolicy;
}

/** Everything agreement resolution needs, loaded once (a sync page, a worker's cache, a config change). */
export interface AgreementContext {
  customers: Awaited<ReturnType<typeof listCustomers>>;
  rules: Awaited<ReturnType<typeof listPolicyRules>>;
  policies: Map<number, { name: string; compiled: CompiledPolicy }>;
  connections: Map<number, { connection: Connection; mapping: PriorityMap }>;
}

export async function loadAgreementContext(db: Db): Promise<AgreementContext> {
  const policies = new Map((await listPolicies(db)).map((p) => [p.id, { name: p.name, compiled: compilePolicy(p.definition) }]));
  const connections = new Map<number, { connection: Connection; mapping: PriorityMap }>();
  for (const connection of await listConnections(db)) {
    connections.set(connection.id, { connection, mapping: priorityMap(await listPriorityMappings(db, connection.id)) });
  }
  return { customers: await listCustomers(db), rules: await listPolicyRules(db), policies, connections };
}

/** The agreement of a case of this connection; null when the connection has no default policy. */
export function agreementFor(context: AgreementContext, connection: Connection, attributes: Record<string, unknown>): ResolvedAgreement | null {
  if (connection.policyId === null) return null;
  const fallback = context.policies.get(connection.policyId);
  if (!fallback) return null;
  const chosen = resolveAgreement(caseFacts(connection, attributes), context.customers, context.rules, fallback.name);
  const rule = chosen.rule === null ? null : context.rules.find((r) => r.name === chosen.rule)!;
  const policyId = rule ? rule.policyId : connection.policyId;
  const policy = context.policies.get(policyId)!;
  return {
    ids: { customerId: chosen.customer === null ? null : context.customers.find((c) => c.name === chosen.customer)!.id, ruleId: rule?.id ?? null, policyId },
    customer: chosen.customer,
    rule: chosen.rule,
    policyName: policy.name,
    policy: policy.compiled,
  };
}

export interface ReassignResult {
  checked: number;
  /** Cases whose customer, rule or policy changed. */
  reassigned: number;
  /** Cases whose SLA state or due time changed (writebacks queued through the pending flag). */
  changed: number;
  caseIds: number[];
}

/**
 * Re-resolves and re-evaluates every case (of the given connections) in the caller's transaction;
 * writes only what changed. With dryRun, computes the same counts and writes nothing (the admin
 * page's preview).
 */
export async function reassignCases(db: Db, nowMs: number, options: { connectionIds?: readonly number[]; dryRun?: boolean } = {}): Promise<ReassignResult> {
  const context = await loadAgreementContext(db);
  const result: ReassignResult = { checked: 0, reassigned: 0, changed: 0, caseIds: [] };
  for (const [connectionId, { connection, mapping }] of context.connections) {
    if (options.connectionIds && !options.connectionIds.includes(connectionId)) continue;
    const refs = await listCaseRefs(db, connectionId);
    for (let start = 0; start < refs.length; start += 500) {
      const part = refs.slice(start, start + 500);
      const ids = part.map((r) => r.id);
      const [stored, states] = [await getCaseAgreements(db, ids), await getMetricStatesOf(db, ids)];
      for (const ref of part) {
        const agreement = agreementFor(context, connection, ref.attributes);
        if (!agreement) continue;
        result.checked++;
        const before = stored.get(ref.id);
        const moved = !before || before.policyId !== agreement.ids.policyId || before.customerId !== agreement.ids.customerId || before.ruleId !== agreement.ids.ruleId;
        const evaluation: CaseEvaluation = evaluateEvents(agreement.policy, await getCaseEvents(db, ref.id), mapping, nowMs);
        const previous = states.get(ref.id);
        const changed = !previous || slaFingerprint(previous) !== slaFingerprint(evaluation);
        if (moved) result.reassigned++;
        if (changed) result.changed++;
        if (!moved && !changed) continue;
        result.caseIds.push(ref.id);
        if (options.dryRun) continue;
        if (moved) await setCaseAgreement(db, ref.id, agreement.ids);
        await saveMetricStates(db, ref.id, evaluation, formatInstant(nowMs));
        if (changed) await markWritebackPending(db, [ref.id], true);
      }
    }
  }
  return result;
}
