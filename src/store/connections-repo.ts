import { asc, eq, sql } from 'drizzle-orm';
import type { Severity } from '../core/types.ts';
import type { Db } from './db.ts';
import { toIsoInstant } from './instants.ts';
import type { Source } from './schema/index.ts';
import { connections, priorityMappings } from './schema/index.ts';

export interface Connection {
  id: number;
  name: string;
  source: Source;
  config: Record<string, unknown>;
  policyId: number | null;
  /** false = paused. */
  enabled: boolean;
  syncIntervalMinutes: number;
  rateLimit: { concurrency?: number; perSecond?: number } | null;
  createdAt: string;
  updatedAt: string;
}

export interface ConnectionInput {
  name: string;
  source: Source;
  config: Record<string, unknown>;
  /** Omitted: null for a new connection, unchanged for an existing one. */
  policyId?: number | null;
  /** Omitted: true for a new connection, unchanged for an existing one (a pause survives re-applying config). */
  enabled?: boolean;
  /** Omitted: 5 for a new connection, unchanged for an existing one. */
  syncIntervalMinutes?: number;
  /** Omitted: unchanged; null: the source's defaults. */
  rateLimit?: { concurrency?: number; perSecond?: number } | null;
}

export interface PriorityMapping {
  rawPriority: string;
  severity: Severity;
}

/** Creates the connection, or updates the one with this name. */
export async function upsertConnection(db: Db, input: ConnectionInput): Promise<Connection> {
  const [row] = await db
    .insert(connections)
    .values(input)
    .onConflictDoUpdate({
      target: connections.name,
      set: {
        source: input.source,
        config: input.config,
        ...(input.policyId === undefined ? {} : { policyId: input.policyId }),
        ...(input.enabled === undefined ? {} : { enabled: input.enabled }),
        ...(input.syncIntervalMinutes === undefined ? {} : { syncIntervalMinutes: input.syncIntervalMinutes }),
        ...(input.rateLimit === undefined ? {} : { rateLimit: input.rateLimit }),
        updatedAt: sql`now()`,
      },
    })
    .returning();
  return toConnection(row!);
}

export async function getConnection(db: Db, id: number): Promise<Connection | null> {
  const [row] = await db.select().from(connections).where(eq(connections.id, id));
  return row ? toConnection(row) : null;
}

export async function getConnectionByName(db: Db, name: string): Promise<Connection | null> {
  const [row] = await db.select().from(connections).where(eq(connections.name, name));
  return row ? toConnection(row) : null;
}

export async function listConnections(db: Db): Promise<Connection[]> {
  const rows = await db.select().from(connections).orderBy(asc(connections.name));
  return rows.map(toConnection);
}

/** Deletes the connection with its cases, events, states, cursor, mappings and writeback log. */
export async function deleteConnection(db: Db, id: number): Promise<boolean> {
  const deleted = await db.delete(connections).where(eq(connections.id, id)).returning({ id: connections.id });
  return deleted.length > 0;
}

/** Replaces the connection's whole mapping table; a raw priority listed twice keeps its last severity. */
export async function setPriorityMappings(
  db: Db,
  connectionId: number,
  mappings: readonly PriorityMapping[],
): Promise<void> {
  const latest = new Map(mappings.map((m) => [m.rawPriority, m.severity]));
  await db.transaction(async (tx) => {
    await tx.delete(priorityMappings).where(eq(priorityMappings.connectionId, connectionId));
    if (latest.size === 0) return;
    await tx
      .insert(priorityMappings)
      .values([...latest].map(([rawPriority, severity]) => ({ connectionId, rawPriority, severity })));
  });
}

/** Ordered by raw priority. */
export async function listPriorityMappings(db: Db, connectionId: number): Promise<PriorityMapping[]> {
  return db
    .select({ rawPriority: priorityMappings.rawPriority, severity: priorityMappings.severity })
    .from(priorityMappings)
    .where(eq(priorityMappings.connectionId, connectionId))
    .orderBy(asc(priorityMappings.rawPriority));
}

function toConnection(row: typeof connections.$inferSelect): Connection {
  return {
    id: row.id,
    name: row.name,
    source: row.source,
    config: row.config,
    policyId: row.policyId,
    enabled: row.enabled,
    syncIntervalMinutes: row.syncIntervalMinutes,
    rateLimit: row.rateLimit,
    createdAt: toIsoInstant(row.createdAt),
    updatedAt: toIsoInstant(row.updatedAt),
  };
}
