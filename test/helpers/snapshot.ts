// A comparable dump of everything a sync stores for a connection: cases, events, metric states and
// the cursor, without the columns that say when the work happened (synced_at, evaluated_at).
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../src/store/db.ts';
import { caseEvents, cases, metricStates, syncCursors } from '../../src/store/schema/index.ts';

export async function storeSnapshot(db: Db, connectionId: number) {
  const caseRows = await db.select().from(cases).where(eq(cases.connectionId, connectionId)).orderBy(asc(cases.externalId));
  const out = [];
  for (const c of caseRows) {
    const events = await db.select().from(caseEvents).where(eq(caseEvents.caseId, c.id)).orderBy(asc(caseEvents.seq));
    const states = await db.select().from(metricStates).where(eq(metricStates.caseId, c.id)).orderBy(asc(metricStates.metric));
    out.push({
      externalId: c.externalId,
      externalKey: c.externalKey,
      title: c.title,
      rawPriority: c.rawPriority,
      severity: c.severity,
      status: c.status,
      createdAt: c.createdAt.toISOString(),
      updatedAt: c.updatedAt.toISOString(),
      attributes: c.attributes,
      events: events.map((e) => ({ seq: e.seq, at: e.at.toISOString(), type: e.type, status: e.status, severity: e.severity, data: e.data })),
      states: states.map(({ caseId: _c, evaluatedAt: _e, ...rest }) => ({ ...rest, dueAt: rest.dueAt?.toISOString() ?? null, atRiskAt: rest.atRiskAt?.toISOString() ?? null, breachedAt: rest.breachedAt?.toISOString() ?? null, completedAt: rest.completedAt?.toISOString() ?? null })),
    });
  }
  const [cursor] = await db.select().from(syncCursors).where(eq(syncCursors.connectionId, connectionId));
  return { cases: out, cursor: cursor?.cursor ?? null };
}
