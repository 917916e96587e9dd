import { and, asc, eq, notExists, sql } from 'drizzle-orm';
import type { Policy } from '../core/types.ts';
import type { Db } from './db.ts';
import { toIsoInstant } from './instants.ts';
import { connections, policies } from './schema/index.ts';

export interface StoredPolicy {
  id: number;
  name: string;
  definition: Policy;
  createdAt: string;
  updatedAt: string;
}

/** Creates the policy, or replaces the definition of the one with this name. */
export async function upsertPolicy(db: Db, name: string, definition: Policy): Promise<StoredPolicy> {
  const [row] = await db
    .insert(policies)
    .values({ name, definition })
    .onConflictDoUpdate({ target: policies.name, set: { definition, updatedAt: sql`now()` } })
    .returning();
  return toStoredPolicy(row!);
}

export async function getPolicy(db: Db, id: number): Promise<StoredPolicy | null> {
  const [row] = await db.select().from(policies).where(eq(policies.id, id));
  return row ? toStoredPolicy(row) : null;
}

export async function getPolicyByName(db: Db, name: string): Promise<StoredPolicy | null> {
  const [row] = await db.select().from(policies).where(eq(policies.name, name));
  return row ? toStoredPolicy(row) : null;
}

export async function listPolicies(db: Db): Promise<StoredPolicy[]> {
  const rows = await db.select().from(policies).orderBy(asc(policies.name));
  return rows.map(toStoredPolicy);
}

/** A policy that a connection uses is not deleted: the answer is 'in_use'. */
export async function deletePolicy(db: Db, id: number): Promise<'deleted' | 'not_found' | 'in_use'> {
  const deleted = await db
    .delete(policies)
    .where(
      and(
        eq(policies.id, id),
        notExists(db.select({ id: connections.id }).from(connections).where(eq(connections.policyId, id))),
      ),
    )
    .returning({ id: policies.id });
  if (deleted.length > 0) return 'deleted';
  return (await getPolicy(db, id)) ? 'in_use' : 'not_found';
}

function toStoredPolicy(row: typeof policies.$inferSelect): StoredPolicy {
  return {
    id: row.id,
    name: row.name,
    definition: row.definition,
    createdAt: toIsoInstant(row.createdAt),
    updatedAt: toIsoInstant(row.updatedAt),
  };
}
