// The admin page's verbs (issue 6): every change goes through applyConfig, the same validation and
// the same transaction (with its audit rows) as `sla-sync config apply`; a preview is that same
// apply run inside a transaction that is then rolled back.
import { eq, sql } from 'drizzle-orm';
import { SECRET_FIELDS, connectorFor } from '../connectors/registry.ts';
import type { Source } from '../connectors/types.ts';
import type { MetricName, MetricStateName, Severity } from '../core/types.ts';
import type { AuditActor } from '../store/audit-log-repo.ts';
import { appendAuditEntries } from '../store/audit-log-repo.ts';
import type { Connection } from '../store/connections-repo.ts';
import { deleteConnection, getConnection, getConnectionByName, listPriorityMappings } from '../store/connections-repo.ts';
import type { Db } from '../store/db.ts';
import { withTransaction } from '../store/db.ts';
import { deletePolicy, getPolicy } from '../store/policies-repo.ts';
import { cases, customers, metricStates, policies } from '../store/schema/index.ts';
import { reassignCases } from './agreements.ts';
import type { ApplySummary } from './config.ts';
import { ConfigError, applyConfig, auditedConnection } from './config.ts';
import type { JobQueue } from './queue.ts';
import { REDACTED } from './secrets.ts';

export interface AdminContext {
  handle: { db: Db };
  now: () => number;
  actor: AuditActor;
  queue?: JobQueue;
}

/** A connection entry of the config file, as applyConfig takes it. */
export interface ConnectionEntry {
  source: Source;
  policy: string;
  enabled?: boolean;
  syncIntervalMinutes?: number;
  rateLimit?: { concurrency?: number; perSecond?: number } | null;
  config: Record<string, unknown>;
  priorityMappings?: Record<string, Severity>;
}

/**
 * The mappings a connector's config implies (GitHub severityLabels, Zendesk's priorities): applyConfig
 * adds them on every apply. Secrets do not matter to them, so placeholders stand in for the schema.
 */
export function impliedMappings(source: Source, config: Record<string, unknown>): Record<string, Severity> {
  const connector = connectorFor(source);
  if (!connector.priorityMappingsFromConfig) return {};
  const probe = { ...config };
  for (const key of SECRET_FIELDS[source]) if (probe[key] !== undefined) probe[key] = 'placeholder';
  const parsed = connector.configSchema.safeParse(probe);
  return parsed.success ? connector.priorityMappingsFromConfig(parsed.data) : {};
}

/** The stored connection as a config entry: its own config (secrets as stored) and explicit mappings. */
export async function storedConnectionEntry(db: Db, connection: Connection): Promise<ConnectionEntry> {
  const policy = connection.policyId === null ? null : await getPolicy(db, connection.policyId);
  const implied = impliedMappings(connection.source, connection.config);
  const explicit = (await listPriorityMappings(db, connection.id)).filter((m) => implied[m.rawPriority] !== m.severity);
  return {
    source: connection.source,
    policy: policy?.name ?? '',
    enabled: connection.enabled,
    syncIntervalMinutes: connection.syncIntervalMinutes,
    ...(connection.rateLimit === null ? {} : { rateLimit: connection.rateLimit }),
    config: connection.config,
    priorityMappings: Object.fromEntries(explicit.map((m) => [m.rawPriority, m.severity])),
  };
}

export interface SaveOutcome {
  summary: ApplySummary;
  /** Not errors: a missing env variable, a sync schedule that could not be set. */
  warnings: string[];
}

async function apply(ctx: AdminContext, raw: unknown): Promise<ApplySummary> {
  return applyConfig(ctx.handle, raw, ctx.now, { actor: ctx.actor, ...(ctx.queue ? { queue: ctx.queue } : {}) });
}

async function schedule(ctx: AdminContext, connection: Connection | null, warnings: string[]): Promise<void> {
  if (!ctx.queue || !connection) return;
  try {
    if (connection.enabled) await ctx.queue.scheduleSync(connection.id, connection.syncIntervalMinutes);
    else await ctx.queue.unscheduleSync(connection.id);
  } catch (error) {
    warnings.push(`the sync schedule was not updated: ${(error as Error).message}`);
  }
}

/**
 * Creates (`isNew`) or updates a connection. Its priority mappings are kept; a secret given as
 * REDACTED keeps the stored one (the form's "leave blank").
 */
export async function saveConnection(ctx: AdminContext, name: string, entry: Omit<ConnectionEntry, 'priorityMappings'>, options: { isNew: boolean }): Promise<SaveOutcome> {
  const existing = await getConnectionByName(ctx.handle.db, name);
  if (options.isNew && existing) throw new ConfigError([`connections.${name}: a connection with this name already exists`]);
  if (!options.isNew && !existing) throw new ConfigError([`connections.${name}: no such connection`]);
  const priorityMappings = existing ? (await storedConnectionEntry(ctx.handle.db, existing)).priorityMappings : undefined;
  const summary = await apply(ctx, { connections: { [name]: { ...entry, ...(priorityMappings ? { priorityMappings } : {}) } } });
  const warnings = [...summary.warnings];
  await schedule(ctx, await getConnectionByName(ctx.handle.db, name), warnings);
  return { summary, warnings };
}

/** Pause (false) or resume (true): no sync and no writeback while paused. */
export async function setConnectionEnabled(ctx: AdminContext, id: number, enabled: boolean): Promise<SaveOutcome | null> {
  const connection = await getConnection(ctx.handle.db, id);
  if (!connection) return null;
  const entry = await storedConnectionEntry(ctx.handle.db, connection);
  const summary = await apply(ctx, { connections: { [connection.name]: { ...entry, enabled } } });
  const warnings = [...summary.warnings];
  await schedule(ctx, await getConnection(ctx.handle.db, id), warnings);
  return { summary, warnings };
}

/** The connection's mapping replaced by these raw priority -> severity pairs (with what its config implies). */
async function mappingChange(db: Db, id: number, mappings: Record<string, Severity>): Promise<unknown> {
  const connection = await getConnection(db, id);
  if (!connection) return null;
  const entry = await storedConnectionEntry(db, connection);
  return { connections: { [connection.name]: { ...entry, priorityMappings: mappings } } };
}

export async function saveMappings(ctx: AdminContext, id: number, mappings: Record<string, Severity>): Promise<SaveOutcome | null> {
  const change = await mappingChange(ctx.handle.db, id, mappings);
  if (change === null) return null;
  const summary = await apply(ctx, change);
  return { summary, warnings: summary.warnings };
}

export async function previewMappings(ctx: AdminContext, id: number, mappings: Record<string, Severity>): Promise<ConfigPreview | null> {
  const change = await mappingChange(ctx.handle.db, id, mappings);
  return change === null ? null : previewConfigChange(ctx.handle, change, ctx.now());
}

export async function savePolicy(ctx: AdminContext, name: string, definition: unknown): Promise<SaveOutcome> {
  const summary = await apply(ctx, { policies: { [name]: definition } });
  return { summary, warnings: summary.warnings };
}

export async function previewPolicy(ctx: AdminContext, name: string, definition: unknown): Promise<ConfigPreview> {
  return previewConfigChange(ctx.handle, { policies: { [name]: definition } }, ctx.now());
}

/** Deletes the connection with its cases (the store cascades), audited in the same transaction. */
export async function deleteConnectionAudited(ctx: AdminContext, id: number): Promise<Connection | null> {
  const deleted = await withTransaction(ctx.handle, async (tx) => {
    const connection = await getConnection(tx, id);
    if (!connection) return null;
    const policy = connection.policyId === null ? null : await getPolicy(tx, connection.policyId);
    const mappings = await listPriorityMappings(tx, id);
    await deleteConnection(tx, id);
    await appendAuditEntries(tx, [
      {
        actor: ctx.actor,
        entity: 'connection',
        entityKey: connection.name,
        action: 'delete',
        before: { ...auditedConnection(connection, policy?.name ?? null), priorityMappings: Object.fromEntries(mappings.map((m) => [m.rawPriority, m.severity])) },
        after: null,
        at: new Date(ctx.now()),
      },
    ]);
    return connection;
  });
  if (deleted && ctx.queue) await ctx.queue.unscheduleSync(id).catch(() => undefined);
  return deleted;
}

/** A policy still used by a connection, a rule or a case is not deleted ('in_use'). */
export async function deletePolicyAudited(ctx: AdminContext, id: number): Promise<'deleted' | 'not_found' | 'in_use'> {
  return withTransaction(ctx.handle, async (tx) => {
    const policy = await getPolicy(tx, id);
    if (!policy) return 'not_found';
    let outcome: 'deleted' | 'not_found' | 'in_use';
    try {
      // A savepoint: a refusal by a foreign key (a case or rule on it) leaves the transaction usable.
      outcome = await tx.transaction((inner) => deletePolicy(inner, id));
    } catch (error) {
      if (foreignKeyViolation(error)) return 'in_use';
      throw error;
    }
    if (outcome === 'deleted') {
      await appendAuditEntries(tx, [{ actor: ctx.actor, entity: 'policy', entityKey: policy.name, action: 'delete', before: policy.definition, after: null, at: new Date(ctx.now()) }]);
    }
    return outcome;
  });
}

function foreignKeyViolation(error: unknown): boolean {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === '23503') return true;
  }
  return false;
}

export interface StateTransition {
  metric: MetricName;
  from: MetricStateName | null;
  to: MetricStateName;
  cases: number;
}

export interface ConfigPreview {
  /** Cases with SLA states. */
  cases: number;
  /** Cases whose state (of either metric) this change moves. */
  changedCases: number;
  transitions: StateTransition[];
  /** The state counts once the change is saved, per metric. */
  after: Record<MetricName, Partial<Record<MetricStateName, number>>>;
  /** Some of the moved cases, to recognise them. */
  examples: { caseId: number; externalKey: string; metric: MetricName; from: MetricStateName | null; to: MetricStateName }[];
  /** Cases this change moves to another customer or policy (agreements, issue 7). */
  moves: AgreementMoves;
}

export interface AgreementMove {
  kind: 'customer' | 'policy';
  /** Names; null: no customer. */
  from: string | null;
  to: string | null;
  cases: number;
}

export interface AgreementMoves {
  /** Cases whose customer or policy (or both) changes. */
  cases: number;
  customer: number;
  policy: number;
  transitions: AgreementMove[];
  examples: { caseId: number; externalKey: string; customer: { from: string | null; to: string | null }; policy: { from: string | null; to: string | null } }[];
}

class PreviewRollback extends Error {
  constructor(readonly preview: ConfigPreview) {
    super('preview rolled back');
  }
}

type Snapshot = Map<string, { caseId: number; externalKey: string; metric: MetricName; state: MetricStateName }>;

async function snapshotStates(db: Db): Promise<Snapshot> {
  const rows = await db
    .select({ caseId: metricStates.caseId, metric: metricStates.metric, state: metricStates.state, externalKey: cases.externalKey })
    .from(metricStates)
    .innerJoin(cases, eq(cases.id, metricStates.caseId))
    .orderBy(sql`${metricStates.caseId}`);
  return new Map(rows.map((r) => [`${r.caseId}:${r.metric}`, r]));
}

type AgreementSnapshot = Map<number, { externalKey: string; customer: string | null; policy: string | null }>;

async function snapshotAgreements(db: Db): Promise<AgreementSnapshot> {
  const rows = await db
    .select({ caseId: cases.id, externalKey: cases.externalKey, customer: customers.name, policy: policies.name })
    .from(cases)
    .leftJoin(customers, eq(customers.id, cases.customerId))
    .leftJoin(policies, eq(policies.id, cases.policyId))
    .orderBy(sql`${cases.id}`);
  return new Map(rows.map((r) => [r.caseId, r]));
}

function compareAgreements(before: AgreementSnapshot, after: AgreementSnapshot): AgreementMoves {
  const moves: AgreementMoves = { cases: 0, customer: 0, policy: 0, transitions: [], examples: [] };
  const transitions = new Map<string, AgreementMove>();
  const count = (kind: AgreementMove['kind'], from: string | null, to: string | null) => {
    const key = JSON.stringify([kind, from, to]);
    const t = transitions.get(key) ?? { kind, from, to, cases: 0 };
    t.cases++;
    transitions.set(key, t);
  };
  for (const [caseId, now] of after) {
    const was = before.get(caseId);
    if (!was) continue;
    const customerMoved = was.customer !== now.customer;
    const policyMoved = was.policy !== now.policy;
    if (!customerMoved && !policyMoved) continue;
    moves.cases++;
    if (customerMoved) {
      moves.customer++;
      count('customer', was.customer, now.customer);
    }
    if (policyMoved) {
      moves.policy++;
      count('policy', was.policy, now.policy);
    }
    if (moves.examples.length < 20) moves.examples.push({ caseId, externalKey: now.externalKey, customer: { from: was.customer, to: now.customer }, policy: { from: was.policy, to: now.policy } });
  }
  moves.transitions = [...transitions.values()].sort((a, b) => a.kind.localeCompare(b.kind) || b.cases - a.cases);
  return moves;
}

/**
 * How a change would move SLA states (and cases between customers and policies), as a dry run over
 * the stored cases: in one transaction, the cases are first brought up to `now` under the current
 * configuration (so time passing is not counted as the change's doing), then the change is applied
 * exactly as a save would, and the states and agreements compared; the transaction is rolled back,
 * so nothing is written. Invalid input throws ConfigError.
 */
export async function previewConfigChange(handle: { db: Db }, raw: unknown, nowMs: number): Promise<ConfigPreview> {
  try {
    await withTransaction(handle, async (tx) => {
      await reassignCases(tx, nowMs);
      const before = await snapshotStates(tx);
      const agreementsBefore = await snapshotAgreements(tx);
      await applyConfig({ db: tx }, raw, () => nowMs, { actor: { name: 'preview' } });
      const after = await snapshotStates(tx);
      const moves = compareAgreements(agreementsBefore, await snapshotAgreements(tx));
      const transitions = new Map<string, StateTransition>();
      const changed = new Set<number>();
      const examples: ConfigPreview['examples'] = [];
      const totals: ConfigPreview['after'] = { firstResponse: {}, resolution: {} };
      for (const [key, now] of after) {
        totals[now.metric][now.state] = (totals[now.metric][now.state] ?? 0) + 1;
        const was = before.get(key)?.state ?? null;
        if (was === now.state) continue;
        changed.add(now.caseId);
        const tkey = `${now.metric}:${was}:${now.state}`;
        const t = transitions.get(tkey) ?? { metric: now.metric, from: was, to: now.state, cases: 0 };
        t.cases++;
        transitions.set(tkey, t);
        if (examples.length < 20) examples.push({ caseId: now.caseId, externalKey: now.externalKey, metric: now.metric, from: was, to: now.state });
      }
      const caseCount = new Set([...after.values()].map((s) => s.caseId)).size;
      throw new PreviewRollback({
        cases: caseCount,
        changedCases: changed.size,
        transitions: [...transitions.values()].sort((a, b) => b.cases - a.cases || a.metric.localeCompare(b.metric)),
        after: totals,
        examples,
        moves,
      });
    });
  } catch (error) {
    if (error instanceof PreviewRollback) return error.preview;
    throw error;
  }
  throw new Error('unreachable: the preview transaction always rolls back');
}

/** For forms: a secret left blank on an existing connection keeps the stored value. */
export const KEEP_SECRET = REDACTED;
