// Customers and policy rules (issue 7): two ordered lists, replaced whole by config apply (names
// keep their ids, so cases keep pointing at them), and the agreement stored with each case.
import { asc, eq, inArray, notInArray, sql } from 'drizzle-orm';
import type { CustomerSpec, PolicyRule } from '../core/agreements.ts';
import type { Db } from './db.ts';
import { cases, customers, policies, policyRules } from './schema/index.ts';

export interface StoredCustomer extends CustomerSpec {
  id: number;
}

export interface StoredRule extends PolicyRule {
  id: number;
  policyId: number;
}

export async function listCustomers(db: Db): Promise<StoredCustomer[]> {
  const rows = await db.select().from(customers).orderBy(asc(customers.position));
  return rows.map((r) => ({ id: r.id, name: r.name, match: r.match }));
}

export async function listPolicyRules(db: Db): Promise<StoredRule[]> {
  const rows = await db
    .select({ id: policyRules.id, name: policyRules.name, when: policyRules.when, policyId: policyRules.policyId, policy: policies.name })
    .from(policyRules)
    .innerJoin(policies, eq(policies.id, policyRules.policyId))
    .orderBy(asc(policyRules.position));
  return rows;
}

/** Makes the stored customers exactly this list, in this order. */
export async function replaceCustomers(db: Db, list: readonly CustomerSpec[]): Promise<void> {
  const names = list.map((c) => c.name);
  if (names.length === 0) await db.delete(customers);
  else await db.delete(customers).where(notInArray(customers.name, names));
  for (const [position, c] of list.entries()) {
    await db
      .insert(customers)
      .values({ name: c.name, position, match: [...c.match] })
      .onConflictDoUpdate({ target: customers.name, set: { position, match: [...c.match], updatedAt: sql`now()` } });
  }
}

/** Makes the stored rules exactly this list, in this order; policies by id. */
export async function replacePolicyRules(db: Db, list: readonly (PolicyRule & { policyId: number })[]): Promise<void> {
  const names = list.map((r) => r.name);
  if (names.length === 0) await db.delete(policyRules);
  else await db.delete(policyRules).where(notInArray(policyRules.name, names));
  for (const [position, r] of list.entries()) {
    await db
      .insert(policyRules)
      .values({ name: r.name, position, when: r.when, policyId: r.policyId })
      .onConflictDoUpdate({ target: policyRules.name, set: { position, when: r.when, policyId: r.policyId, updatedAt: sql`now()` } });
  }
}

export interface CaseAgreementIds {
  customerId: number | null;
  ruleId: number | null;
  policyId: number;
}

export async function setCaseAgreement(db: Db, caseId: number, ids: CaseAgreementIds): Promise<void> {
  await db.update(cases).set(ids).where(eq(cases.id, caseId));
}

export async function getCaseAgreements(db: Db, caseIds: readonly number[]): Promise<Map<number, CaseAgreementIds>> {
  if (caseIds.length === 0) return new Map();
  const rows = await db
    .select({ id: cases.id, customerId: cases.customerId, ruleId: cases.ruleId, policyId: cases.policyId })
    .from(cases)
    .where(inArray(cases.id, [...caseIds]));
  return new Map(rows.filter((r) => r.policyId !== null).map((r) => [r.id, { customerId: r.customerId, ruleId: r.ruleId, policyId: r.policyId! }]));
}
