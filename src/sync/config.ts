// Configuration as data (issue 3): one JSON or YAML file creates or updates policies, connections
// and priority mappings; `config export` prints the current one in the same format, with literal
// secrets redacted. The whole file is validated before anything is written, and then written in one
// transaction: a bad file changes nothing. The admin page (issue 6) edits the same data.
import YAML from 'yaml';
import { z } from 'zod';
import { SECRET_FIELDS, connectorFor, isBuiltSource } from '../connectors/registry.ts';
import { SOURCES } from '../connectors/types.ts';
import type { Policy, Severity } from '../core/types.ts';
import { SEVERITIES } from '../core/types.ts';
import type { CustomerSpec, PolicyRule } from '../core/agreements.ts';
import { CUSTOMER_MATCH_FIELDS, RULE_CONDITIONS } from '../core/agreements.ts';
import { listCustomers, listPolicyRules, replaceCustomers, replacePolicyRules } from '../store/agreements-repo.ts';
import { forgetAgreementContext } from './agreement-cache.ts';
import { reassignCases } from './agreements.ts';
import { formatPath, validatePolicy, validateWith } from '../core/validate.ts';
import type { Db } from '../store/db.ts';
import { withTransaction } from '../store/db.ts';
import {
  getConnectionByName,
  listConnections,
  listPriorityMappings,
  setPriorityMappings,
  upsertConnection,
} from '../store/connections-repo.ts';
import { getPolicyByName, listPolicies, upsertPolicy } from '../store/policies-repo.ts';
import type { AuditActor, AuditEntryInput } from '../store/audit-log-repo.ts';
import { appendAuditEntries } from '../store/audit-log-repo.ts';
import type { JobQueue } from './queue.ts';
import { SYNC_INTERVALS_MINUTES, isSyncInterval } from './sync-interval.ts';
import { REDACTED, isEnvReference, keepRedactedSecrets, redactSecrets, resolveSecrets } from './secrets.ts';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, { error: 'is not a name (letters, digits, . _ -; up to 63)' });

const connectionEntry = z.strictObject({
  source: z.enum(SOURCES, { error: `is not a source (${SOURCES.join(', ')})` }),
  policy: name,
  enabled: z.boolean({ error: 'is not true or false' }).optional(),
  syncIntervalMinutes: z
    .number({ error: 'is not a number of minutes' })
    .refine(isSyncInterval, { error: `is not a schedulable interval (one of ${SYNC_INTERVALS_MINUTES.join(', ')} minutes)` })
    .optional(),
  /** Over the source's published limits only if your vendor plan allows it (or for a fake). */
  rateLimit: z.strictObject({ concurrency: z.number().int().min(1).max(64).optional(), perSecond: z.number().positive().max(10_000).optional() }).nullable().optional(),
  config: z.record(z.string(), z.unknown(), { error: 'is not an object' }),
  /** Raw vendor priority -> severity. */
  priorityMappings: z.record(z.string().min(1), z.enum(SEVERITIES, { error: 'is not a severity (S1..S4)' })).optional(),
});

const values = z.array(z.string().min(1), { error: 'is not a list of values' }).min(1, { error: 'is empty' });

const customerEntry = z.strictObject({
  name,
  match: z
    .array(
      z.strictObject({
        connection: name.optional(),
        field: z.enum(CUSTOMER_MATCH_FIELDS, { error: `is not a field (${CUSTOMER_MATCH_FIELDS.join(', ')})` }),
        fieldId: z.string().min(1).optional(),
        values,
      }),
    )
    .min(1, { error: 'is empty: a customer needs a way to be recognised' }),
});

const ruleEntry = z.strictObject({
  name,
  when: z.strictObject(Object.fromEntries(RULE_CONDITIONS.map((c) => [c, values.optional()])) as Record<(typeof RULE_CONDITIONS)[number], z.ZodOptional<typeof values>>),
  policy: name,
});

export const configFileSchema = z.strictObject({
  policies: z.record(name, z.unknown()).optional(),
  connections: z.record(name, connectionEntry).optional(),
  /** Ordered: the first customer that recognises a case is its customer. Replaces the stored list. */
  customers: z.array(customerEntry).optional(),
  /** Ordered: the first rule that matches picks the policy. Replaces the stored list. */
  rules: z.array(ruleEntry).optional(),
});

export type ConfigFile = z.output<typeof configFileSchema>;

export interface ApplySummary {
  customers: 'replaced' | 'unchanged' | 'absent';
  rules: 'replaced' | 'unchanged' | 'absent';
  /** Cases re-evaluated because their agreement, policy or mapping changed. */
  reevaluated: { checked: number; reassigned: number; changed: number };
  policies: { name: string; change: 'created' | 'updated' | 'unchanged' }[];
  connections: { name: string; change: 'created' | 'updated' | 'unchanged'; mappings: number }[];
  /** Not errors: e.g. an env: reference whose variable this process does not have. */
  warnings: string[];
}

export class ConfigError extends Error {
  constructor(readonly errors: string[]) {
    super(errors.join('\n'));
    this.name = 'ConfigError';
  }
}

/** Parses JSON or YAML text (YAML is a superset of JSON). */
export function parseConfigText(text: string, origin: string): unknown {
  try {
    return YAML.parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    throw new ConfigError([`${origin}: is not JSON or YAML (${(error as Error).message.split('\n')[0]})`]);
  }
}

interface ValidConnection {
  name: string;
  source: (typeof SOURCES)[number];
  policy: string;
  enabled?: boolean;
  syncIntervalMinutes?: number;
  rateLimit?: { concurrency?: number; perSecond?: number } | null;
  config: Record<string, unknown>;
  mappings: { rawPriority: string; severity: Severity }[];
}

/** Everything checked, nothing written: returns the errors of the whole file at once. */
interface ValidConfig {
  policies: Map<string, Policy>;
  connections: ValidConnection[];
  customers?: CustomerSpec[];
  rules?: PolicyRule[];
  warnings: string[];
}

async function validateConfig(db: Db, raw: unknown): Promise<ValidConfig> {
  const top = validateWith(configFileSchema, raw);
  if (!top.ok) throw new ConfigError(top.errors);
  const errors: string[] = [];
  const warnings: string[] = [];
  const policies = new Map<string, Policy>();
  for (const [policyName, definition] of Object.entries(top.value.policies ?? {})) {
    const result = validatePolicy(definition, formatPath(['policies', policyName]));
    if (result.ok) policies.set(policyName, result.value);
    else errors.push(...result.errors);
  }
  const connections: ValidConnection[] = [];
  for (const [connectionName, entry] of Object.entries(top.value.connections ?? {})) {
    const at = (...path: (string | number)[]) => formatPath(['connections', connectionName, ...path]);
    if (!isBuiltSource(entry.source)) {
      errors.push(`${at('source')}: "${entry.source}" has no connector yet`);
      continue;
    }
    if (!policies.has(entry.policy) && !(await getPolicyByName(db, entry.policy))) {
      errors.push(`${at('policy')}: "${entry.policy}" is neither in this file nor stored`);
    }
    const stored = await getConnectionByName(db, connectionName);
    const { config, missing } = keepRedactedSecrets(entry.source, entry.config, stored?.source === entry.source ? stored.config : null);
    for (const key of missing) errors.push(`${at('config', key)}: is redacted but no value is stored for it`);
    const connector = connectorFor(entry.source);
    // Validate the config as the connector will run it, with env references resolved when this
    // process has them (a worker elsewhere may have variables the admin's shell does not).
    let probe: Record<string, unknown>;
    try {
      probe = resolveSecrets(entry.source, config);
    } catch (error) {
      warnings.push(`${at('config')}: ${(error as Error).message}; the connection will fail until it is set where sla-sync runs`);
      probe = { ...config };
    }
    const checked = validateWith(connector.configSchema, probe, at('config'));
    if (!checked.ok) {
      errors.push(...checked.errors.map((e) => redactSecretValues(e, probe, entry.source)));
      continue;
    }
    const implied = connector.priorityMappingsFromConfig?.(checked.value) ?? {};
    const mappings = Object.entries({ ...implied, ...(entry.priorityMappings ?? {}) }).map(([rawPriority, severity]) => ({ rawPriority, severity }));
    connections.push({
      name: connectionName,
      source: entry.source,
      policy: entry.policy,
      config,
      mappings,
      ...(entry.enabled === undefined ? {} : { enabled: entry.enabled }),
      ...(entry.syncIntervalMinutes === undefined ? {} : { syncIntervalMinutes: entry.syncIntervalMinutes }),
      ...(entry.rateLimit === undefined ? {} : { rateLimit: entry.rateLimit }),
    });
  }
  // Customers and rules name connections, customers and policies: each must exist in the file or the store.
  const storedConnections = new Set((await listConnections(db)).map((c) => c.name));
  const knownConnection = (n: string) => Object.hasOwn(top.value.connections ?? {}, n) || storedConnections.has(n);
  const customers = top.value.customers;
  const customerNames = new Set(customers ? customers.map((c) => c.name) : (await listCustomers(db)).map((c) => c.name));
  const seen = new Set<string>();
  customers?.forEach((c, i) => {
    if (seen.has(c.name)) errors.push(`customers[${i}].name: "${c.name}" is listed twice`);
    seen.add(c.name);
    c.match.forEach((m, j) => {
      if (m.connection !== undefined && !knownConnection(m.connection)) errors.push(`customers[${i}].match[${j}].connection: "${m.connection}" is neither in this file nor stored`);
      if (m.field === 'field' && m.fieldId === undefined) errors.push(`customers[${i}].match[${j}].fieldId: is required for field "field"`);
    });
  });
  const rules = top.value.rules;
  const ruleNames = new Set<string>();
  for (const [i, r] of (rules ?? []).entries()) {
    if (ruleNames.has(r.name)) errors.push(`rules[${i}].name: "${r.name}" is listed twice`);
    ruleNames.add(r.name);
    if (Object.keys(r.when).length === 0) errors.push(`rules[${i}].when: is empty: a rule needs a condition (the connection's policy is the default)`);
    if (!policies.has(r.policy) && !(await getPolicyByName(db, r.policy))) errors.push(`rules[${i}].policy: "${r.policy}" is neither in this file nor stored`);
    r.when.customer?.forEach((c, j) => {
      if (!customerNames.has(c)) errors.push(`rules[${i}].when.customer[${j}]: "${c}" is not a customer`);
    });
    r.when.connection?.forEach((c, j) => {
      if (!knownConnection(c)) errors.push(`rules[${i}].when.connection[${j}]: "${c}" is neither in this file nor stored`);
    });
  }
  if (errors.length > 0) throw new ConfigError(errors);
  return {
    policies,
    connections,
    warnings,
    ...(customers ? { customers: customers.map((c) => ({ name: c.name, match: c.match })) } : {}),
    ...(rules ? { rules } : {}),
  };
}

/** A validation message quoting a value must never quote a resolved secret. */
function redactSecretValues(message: string, config: Record<string, unknown>, source: (typeof SOURCES)[number]): string {
  let out = message;
  for (const key of SECRET_FIELDS[source]) {
    const value = config[key];
    if (typeof value === 'string' && value.length > 0) out = out.split(JSON.stringify(value)).join('"<redacted>"');
  }
  return out;
}

/** JSON with object keys sorted: Postgres jsonb does not keep key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

const sameJson = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

export interface ApplyOptions {
  /** Who applies it, for the audit log: `cli` unless a signed-in admin does (the admin page). */
  actor?: AuditActor;
  /** When given, writebacks of the re-evaluated cases are queued in the same transaction. */
  queue?: JobQueue;
}

/** What the audit log keeps of a connection: secrets redacted (a changed literal says so). */
export function auditedConnection(
  c: { source: (typeof SOURCES)[number]; config: Record<string, unknown>; enabled: boolean; syncIntervalMinutes: number; rateLimit: unknown },
  policy: string | null,
  previousConfig?: Record<string, unknown>,
) {
  const config = redactSecrets(c.source, c.config);
  if (previousConfig) {
    for (const key of SECRET_FIELDS[c.source]) {
      const value = c.config[key];
      if (value !== undefined && !isEnvReference(value) && value !== previousConfig[key]) config[key] = `${REDACTED} (changed)`;
    }
  }
  return { source: c.source, policy, enabled: c.enabled, syncIntervalMinutes: c.syncIntervalMinutes, rateLimit: c.rateLimit ?? null, config };
}

/**
 * Validates the whole file, then creates or updates everything in it in one transaction, with an
 * audit row per change in that same transaction.
 */
export async function applyConfig(handle: { db: Db }, raw: unknown, now: () => number = Date.now, options: ApplyOptions = {}): Promise<ApplySummary> {
  const valid = await validateConfig(handle.db, raw);
  const actor = options.actor ?? { name: 'cli' };
  // Once it has run, this process's case views load the agreements afresh (agreement-cache.ts);
  // after a failure too: that changed nothing, and forgetting costs one reload.
  return withTransaction(handle, async (tx) => {
    const summary: ApplySummary = { policies: [], connections: [], warnings: valid.warnings, customers: 'absent', rules: 'absent', reevaluated: { checked: 0, reassigned: 0, changed: 0 } };
    const audit: AuditEntryInput[] = [];
    const at = new Date(now());
    const record = (entity: string, entityKey: string, action: AuditEntryInput['action'], before: unknown, after: unknown) =>
      audit.push({ actor, entity, entityKey, action, before, after, at });
    const policyIds = new Map<string, number>();
    for (const [policyName, definition] of valid.policies) {
      const before = await getPolicyByName(tx, policyName);
      const saved = before && sameJson(before.definition, definition) ? before : await upsertPolicy(tx, policyName, definition);
      policyIds.set(policyName, saved.id);
      summary.policies.push({ name: policyName, change: !before ? 'created' : saved === before ? 'unchanged' : 'updated' });
      if (saved !== before) record('policy', policyName, before ? 'update' : 'create', before?.definition ?? null, definition);
    }
    const policyNames = new Map((await listPolicies(tx)).map((p) => [p.id, p.name]));
    for (const c of valid.connections) {
      const policyId = policyIds.get(c.policy) ?? (await getPolicyByName(tx, c.policy))!.id;
      const before = await getConnectionByName(tx, c.name);
      const beforeMappings = before ? await listPriorityMappings(tx, before.id) : [];
      const saved = await upsertConnection(tx, {
        name: c.name,
        source: c.source,
        config: c.config,
        policyId,
        ...(c.enabled === undefined ? {} : { enabled: c.enabled }),
        ...(c.syncIntervalMinutes === undefined ? {} : { syncIntervalMinutes: c.syncIntervalMinutes }),
        ...(c.rateLimit === undefined ? {} : { rateLimit: c.rateLimit }),
      });
      await setPriorityMappings(tx, saved.id, c.mappings);
      const unchanged =
        before !== null &&
        before.source === saved.source &&
        sameJson(before.config, saved.config) &&
        before.policyId === saved.policyId &&
        before.enabled === saved.enabled &&
        before.syncIntervalMinutes === saved.syncIntervalMinutes &&
        sameJson(before.rateLimit, saved.rateLimit) &&
        sameJson(sortMappings(beforeMappings), sortMappings(c.mappings));
      summary.connections.push({ name: c.name, change: !before ? 'created' : unchanged ? 'unchanged' : 'updated', mappings: c.mappings.length });
      const shownBefore = before ? auditedConnection(before, before.policyId === null ? null : (policyNames.get(before.policyId) ?? null)) : null;
      const shownAfter = auditedConnection(saved, c.policy, before?.config);
      if (!sameJson(shownBefore, shownAfter) || (before && !sameJson(before.config, saved.config))) record('connection', c.name, before ? 'update' : 'create', shownBefore, shownAfter);
      const mappingsBefore = Object.fromEntries(sortMappings(beforeMappings));
      const mappingsAfter = Object.fromEntries(sortMappings(c.mappings));
      if (!sameJson(mappingsBefore, mappingsAfter)) record('mapping', c.name, before && beforeMappings.length > 0 ? 'update' : 'create', before ? mappingsBefore : null, mappingsAfter);
    }
    if (valid.customers) {
      const before = (await listCustomers(tx)).map(({ name, match }) => ({ name, match }));
      summary.customers = sameJson(before, valid.customers) ? 'unchanged' : 'replaced';
      if (summary.customers === 'replaced') {
        await replaceCustomers(tx, valid.customers);
        record('customers', '*', 'update', before, valid.customers);
      }
    }
    if (valid.rules) {
      const before = (await listPolicyRules(tx)).map(({ name, when, policy }) => ({ name, when, policy }));
      summary.rules = sameJson(before, valid.rules) ? 'unchanged' : 'replaced';
      if (summary.rules === 'replaced') {
        const idOf = async (n: string) => policyIds.get(n) ?? (await getPolicyByName(tx, n))!.id;
        await replacePolicyRules(tx, await Promise.all(valid.rules.map(async (r) => ({ ...r, policyId: await idOf(r.policy) }))));
        record('rules', '*', 'update', before, valid.rules);
      }
    }
    // Anything that decides a case's SLA changed: re-evaluate, writing exactly the cases affected.
    const anythingChanged =
      summary.customers === 'replaced' ||
      summary.rules === 'replaced' ||
      summary.policies.some((p) => p.change === 'updated') ||
      summary.connections.some((c) => c.change === 'updated');
    if (anythingChanged) {
      const { checked, reassigned, changed, caseIds } = await reassignCases(tx, now());
      summary.reevaluated = { checked, reassigned, changed };
      // Queued if and only if this transaction commits (the pending flag is the durable truth).
      if (options.queue) await options.queue.sendMany('writeback', caseIds.map((caseId) => ({ caseId })), { tx });
    }
    await appendAuditEntries(tx, audit);
    return summary;
  }).finally(() => forgetAgreementContext(handle.db));
}

function sortMappings(mappings: readonly { rawPriority: string; severity: Severity }[]) {
  return [...mappings].sort((a, b) => a.rawPriority.localeCompare(b.rawPriority)).map((m) => [m.rawPriority, m.severity]);
}

/** The stored configuration in the file format, literal secrets redacted. */
export async function exportConfig(db: Db): Promise<ConfigFile> {
  const policies = await listPolicies(db);
  const nameOfPolicy = new Map(policies.map((p) => [p.id, p.name]));
  const connections: NonNullable<ConfigFile['connections']> = {};
  for (const c of await listConnections(db)) {
    const mappings = await listPriorityMappings(db, c.id);
    connections[c.name] = {
      source: c.source,
      policy: c.policyId === null ? '' : nameOfPolicy.get(c.policyId)!,
      enabled: c.enabled,
      syncIntervalMinutes: c.syncIntervalMinutes,
      ...(c.rateLimit === null ? {} : { rateLimit: c.rateLimit }),
      config: redactSecrets(c.source, c.config),
      priorityMappings: Object.fromEntries(mappings.map((m) => [m.rawPriority, m.severity])),
    };
  }
  const customers = (await listCustomers(db)).map(({ name, match }) => ({ name, match: match.map((m) => ({ ...m, values: [...m.values] })) }));
  const rules = (await listPolicyRules(db)).map(({ name, when, policy }) => ({
    name,
    when: Object.fromEntries(Object.entries(when).map(([k, v]) => [k, [...(v ?? [])]])),
    policy,
  }));
  return {
    policies: Object.fromEntries(policies.map((p) => [p.name, p.definition])),
    connections,
    ...(customers.length > 0 ? { customers } : {}),
    ...(rules.length > 0 ? { rules } : {}),
  };
}

export function formatConfig(config: ConfigFile, format: 'yaml' | 'json'): string {
  return format === 'json' ? `${JSON.stringify(config, null, 2)}\n` : YAML.stringify(config);
}
