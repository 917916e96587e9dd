// The audit log of configuration changes (issue 6): written by the caller inside the transaction of
// the change it records, read by the admin page. Callers redact secrets before they get here.
import { and, desc, eq, lt } from 'drizzle-orm';
import type { Db } from './db.ts';
import { toIsoInstant } from './instants.ts';
import { auditLog } from './schema/index.ts';

export type AuditAction = 'create' | 'update' | 'delete';

/** Who made a change: a signed-in user (id and e-mail) or a named tool (`cli`). */
export interface AuditActor {
  name: string;
  userId?: number | null;
}

export interface AuditEntryInput {
  actor: AuditActor;
  entity: string;
  entityKey: string;
  action: AuditAction;
  before: unknown;
  after: unknown;
  at: Date;
}

export interface AuditEntry {
  id: number;
  at: string;
  userId: number | null;
  actor: string;
  entity: string;
  entityKey: string;
  action: AuditAction;
  before: unknown;
  after: unknown;
}

export async function appendAuditEntries(db: Db, entries: readonly AuditEntryInput[]): Promise<void> {
  if (entries.length === 0) return;
  await db.insert(auditLog).values(
    entries.map((e) => ({
      at: e.at,
      userId: e.actor.userId ?? null,
      actor: e.actor.name,
      entity: e.entity,
      entityKey: e.entityKey,
      action: e.action,
      before: e.before ?? null,
      after: e.after ?? null,
    })),
  );
}

/** Newest first; `beforeId` pages on; `entity` narrows to one kind. */
export async function listAuditEntries(db: Db, options: { limit?: number; beforeId?: number; entity?: string } = {}): Promise<AuditEntry[]> {
  const conditions = [
    ...(options.beforeId === undefined ? [] : [lt(auditLog.id, options.beforeId)]),
    ...(options.entity === undefined ? [] : [eq(auditLog.entity, options.entity)]),
  ];
  const rows = await db
    .select()
    .from(auditLog)
    .where(conditions.length > 0 ? and(...conditions) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(options.limit ?? 100);
  return rows.map((r) => ({ ...r, at: toIsoInstant(r.at) }));
}
