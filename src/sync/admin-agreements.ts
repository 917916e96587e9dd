// Customers and policy rules on the admin page (issue 7 items 1-3). Both are ordered lists that
// applyConfig replaces whole, so an edit here is the stored list with one entry put, moved or removed,
// applied by applyConfig: its validation, its transaction and audit rows, and its re-evaluation of
// exactly the cases the change affects with their writebacks queued. The preview is that same change
// through previewConfigChange (a save in a transaction that is rolled back).
import { isNotNull, isNull, sql } from 'drizzle-orm';
import type { PolicyRule } from '../core/agreements.ts';
import { listCustomers, listPolicyRules } from '../store/agreements-repo.ts';
import type { Db } from '../store/db.ts';
import { cases } from '../store/schema/index.ts';
import type { AdminContext, ConfigPreview, SaveOutcome } from './admin-config.ts';
import { previewConfigChange } from './admin-config.ts';
import { applyConfig } from './config.ts';

/** A customer or rule entry as the form gives it; applyConfig checks it, not this module. */
export type RawEntry = { name: string } & Record<string, unknown>;

export type ListEdit =
  /** Adds (id null) or replaces an entry; position is its 0-based place in the new list (null: where it was, or last). */
  | { kind: 'put'; id: number | null; entry: RawEntry; position: number | null }
  | { kind: 'move'; id: number; by: -1 | 1 }
  | { kind: 'delete'; id: number };

export interface AgreementChange {
  /** The config file fragment applyConfig gets. */
  raw: { customers?: unknown[]; rules?: unknown[] };
  /** Where the edited entry stands in the new list, for errors about it; null after a delete. */
  index: number | null;
  /** The names of the new list, in order (to name the other entries in errors). */
  names: string[];
}

/** The stored list after one edit; null when the edit names an id that is not stored. */
function editList(stored: readonly { id: number; entry: RawEntry }[], edit: ListEdit): { list: RawEntry[]; index: number | null } | null {
  const at = edit.kind === 'put' && edit.id === null ? -1 : stored.findIndex((s) => s.id === edit.id);
  if (at < 0 && !(edit.kind === 'put' && edit.id === null)) return null;
  const list = stored.map((s) => s.entry);
  switch (edit.kind) {
    case 'delete':
      list.splice(at, 1);
      return { list, index: null };
    case 'move': {
      const to = Math.min(Math.max(at + edit.by, 0), list.length - 1);
      const [moved] = list.splice(at, 1);
      list.splice(to, 0, moved!);
      return { list, index: to };
    }
    case 'put': {
      if (at >= 0) list.splice(at, 1);
      const position = Math.min(Math.max(edit.position ?? (at >= 0 ? at : list.length), 0), list.length);
      list.splice(position, 0, edit.entry);
      return { list, index: position };
    }
  }
}

const ruleEntry = (r: PolicyRule): RawEntry => ({ name: r.name, when: r.when, policy: r.policy });

/**
 * The customers after the edit, with the stored rules alongside: validation then refuses deleting a
 * customer a rule still names, and a renamed customer takes the rules that name it along.
 */
export async function customersChange(db: Db, edit: ListEdit): Promise<AgreementChange | null> {
  const stored = await listCustomers(db);
  const edited = editList(stored.map((c) => ({ id: c.id, entry: { name: c.name, match: c.match } })), edit);
  if (!edited) return null;
  const renamedFrom = edit.kind === 'put' && edit.id !== null ? stored.find((c) => c.id === edit.id)!.name : null;
  const renamedTo = edit.kind === 'put' ? edit.entry.name : null;
  const rules = (await listPolicyRules(db)).map((r) =>
    renamedFrom !== null && renamedFrom !== renamedTo && r.when.customer?.includes(renamedFrom)
      ? ruleEntry({ ...r, when: { ...r.when, customer: r.when.customer.map((c) => (c === renamedFrom ? renamedTo! : c)) } })
      : ruleEntry(r),
  );
  return { raw: { customers: edited.list, rules }, index: edited.index, names: edited.list.map((e) => e.name) };
}

export async function rulesChange(db: Db, edit: ListEdit): Promise<AgreementChange | null> {
  const edited = editList((await listPolicyRules(db)).map((r) => ({ id: r.id, entry: ruleEntry(r) })), edit);
  return edited && { raw: { rules: edited.list }, index: edited.index, names: edited.list.map((e) => e.name) };
}

export async function previewAgreementChange(ctx: AdminContext, change: AgreementChange): Promise<ConfigPreview> {
  return previewConfigChange(ctx.handle, change.raw, ctx.now());
}

export async function saveAgreementChange(ctx: AdminContext, change: AgreementChange): Promise<SaveOutcome> {
  const summary = await applyConfig(ctx.handle, change.raw, ctx.now, { actor: ctx.actor, ...(ctx.queue ? { queue: ctx.queue } : {}) });
  return { summary, warnings: summary.warnings };
}

export interface AgreementCaseCounts {
  byCustomer: Map<number, number>;
  /** Cases no customer recognises. */
  noCustomer: number;
  byRule: Map<number, number>;
  /** Cases no rule matched (their connection's default policy), by connection id. */
  defaultByConnection: Map<number, number>;
}

/** How many cases each customer and rule holds now, as stored with the cases. */
export async function agreementCaseCounts(db: Db): Promise<AgreementCaseCounts> {
  const n = sql<number>`count(*)::int`;
  const [byCustomer, byRule, defaults] = [
    await db.select({ id: cases.customerId, cases: n }).from(cases).groupBy(cases.customerId),
    await db.select({ id: cases.ruleId, cases: n }).from(cases).where(isNotNull(cases.ruleId)).groupBy(cases.ruleId),
    await db.select({ id: cases.connectionId, cases: n }).from(cases).where(isNull(cases.ruleId)).groupBy(cases.connectionId),
  ];
  return {
    byCustomer: new Map(byCustomer.flatMap((r) => (r.id === null ? [] : [[r.id, r.cases]]))),
    noCustomer: byCustomer.find((r) => r.id === null)?.cases ?? 0,
    byRule: new Map(byRule.map((r) => [r.id!, r.cases])),
    defaultByConnection: new Map(defaults.map((r) => [r.id, r.cases])),
  };
}
