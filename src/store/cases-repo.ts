import { and, asc, eq, isNull, lte, or, sql } from 'drizzle-orm';
import type { CaseEvent, CaseTimeline, Severity, Status } from '../core/types.ts';
import type { Db } from './db.ts';
import { toIsoInstant, toStoreInstant } from './instants.ts';
import { caseEvents, cases } from './schema/index.ts';
import { chunk, inIntegers, inTexts } from './sql-helpers.ts';

/** A core event plus what the connector wants to keep about its source event (not given to core). */
export type CaseEventInput = CaseEvent & { data?: Record<string, unknown> };

/** One case as a connector maps it; `events` is its full history in the order core applies it. */
export interface CaseInput {
  externalId: string;
  externalKey: string;
  url: string;
  title: string;
  rawPriority: string | null;
  severity: Severity;
  status: Status;
  /** The source's own timestamps (ISO instants). */
  createdAt: string;
  updatedAt: string;
  /** Vendor facts (repository, labels, project...) for writeback and rules. */
  attributes?: Record<string, unknown>;
  /** The agreement that applies (customer, rule, policy ids), when resolved. */
  agreement?: { customerId: number | null; ruleId: number | null; policyId: number };
  events: readonly CaseEventInput[];
}

export interface StoredCase extends Omit<CaseInput, 'events'> {
  id: number;
  connectionId: number;
  syncedAt: string;
}

// 11 bind parameters a row: a chunk stays far under Postgres' limit of 65,535.
const CASE_CHUNK = 2_000;

/**
 * Inserts or updates the cases of one connection by external id and replaces each one's events,
 * so storing the same page twice changes nothing (event rows are kept where unchanged). Returns
 * the case ids in input order; an external id given twice keeps its last version. All or nothing:
 * its own transaction, or a savepoint inside the caller's (which should also save the cursor), or,
 * with `inCallersTransaction`, the caller's transaction alone (a sync page: it rolls back whole).
 */
export async function upsertCasesWithEvents(
  db: Db,
  connectionId: number,
  input: readonly CaseInput[],
  options: { writebackPending?: boolean; inCallersTransaction?: boolean } = {},
): Promise<number[]> {
  return (await storeCases(db, connectionId, input, options)).ids;
}

/**
 * upsertCasesWithEvents, also telling which cases the statement created: a new case has no events
 * to drop and no stored SLA states, so neither is looked for (on a first sync, every case).
 * `afterCaseRows` is called once every case row is written (and so locked by the transaction),
 * before their events: from then on the transaction takes no row lock of a case it does not hold.
 */
export async function storeCases(
  db: Db,
  connectionId: number,
  input: readonly CaseInput[],
  options: { writebackPending?: boolean; inCallersTransaction?: boolean; afterCaseRows?: () => void } = {},
): Promise<{ ids: number[]; created: ReadonlySet<number> }> {
  const latest = new Map(input.map((c) => [c.externalId, c]));
  if (latest.size === 0) {
    options.afterCaseRows?.();
    return { ids: [], created: new Set() };
  }
  const atomically = <T>(fn: (tx: Db) => Promise<T>): Promise<T> => (options.inCallersTransaction ? fn(db) : db.transaction(fn));
  return atomically(async (tx) => {
    const idByExternalId = new Map<string, number>();
    const created = new Set<number>();
    // In external id order: every writer of cases (sync pages, overlapping ones too, and webhook
    // refreshes) then takes their row locks in one order, as lockCaseVersions's index scan does, so
    // two transactions writing some of the same new cases wait for each other rather than deadlock.
    const ordered = [...latest.values()].sort((a, b) => (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0));
    for (const part of chunk(ordered, CASE_CHUNK)) {
      // One jsonb parameter for the whole page (see replaceEvents); writeback_pending, when asked
      // for, is set in the same statement rather than by another one. `xmax = 0` holds for a row
      // this statement inserted (an updated row carries the updating transaction's id).
      const pending = options.writebackPending;
      const result = await tx.execute(sql`
        insert into cases (connection_id, external_id, external_key, url, title, raw_priority, severity, status,
                           created_at, updated_at, attributes, customer_id, rule_id, policy_id, writeback_pending)
        select ${connectionId}, external_id, external_key, url, title, raw_priority, severity, status,
               created_at, updated_at, attributes, customer_id, rule_id, policy_id, ${pending ?? false}
        from jsonb_to_recordset(${JSON.stringify(part.map(toCaseRecord))}::jsonb) as r(
          external_id text, external_key text, url text, title text, raw_priority text, severity severity, status status,
          created_at timestamptz, updated_at timestamptz, attributes jsonb, customer_id integer, rule_id integer, policy_id integer)
        on conflict (connection_id, external_id) do update
          set external_key = excluded.external_key, url = excluded.url, title = excluded.title,
              raw_priority = excluded.raw_priority, severity = excluded.severity, status = excluded.status,
              created_at = excluded.created_at, updated_at = excluded.updated_at, attributes = excluded.attributes,
              customer_id = excluded.customer_id, rule_id = excluded.rule_id, policy_id = excluded.policy_id,
              ${pending === undefined ? sql`` : sql`writeback_pending = excluded.writeback_pending,`}
              synced_at = now()
        returning id, external_id, (xmax = 0) as created`);
      for (const row of rowsOf<{ id: number; external_id: string; created: boolean }>(result)) {
        idByExternalId.set(row.external_id, Number(row.id));
        if (row.created) created.add(Number(row.id));
      }
    }
    options.afterCaseRows?.();
    const caseIdOf = (c: CaseInput) => idByExternalId.get(c.externalId)!;
    await replaceEvents(tx, [...latest.values()].map((c) => ({ caseId: caseIdOf(c), events: c.events, created: created.has(caseIdOf(c)) })));
    return { ids: input.map(caseIdOf), created };
  });
}

/** The rows of a raw statement's result, from either driver ({ rows } on PGlite, an array on postgres.js). */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

async function replaceEvents(
  tx: Db,
  timelines: readonly { caseId: number; events: readonly CaseEventInput[]; created: boolean }[],
): Promise<void> {
  const rows = timelines.flatMap(({ caseId, events }) => events.map((e, seq) => toEventRow(caseId, seq, e)));
  if (rows.length > 0) {
    // All rows travel as one jsonb parameter: a drizzle multi-row insert of a page's thousands of
    // events spends more time building the statement than Postgres spends running it, and would
    // need chunking below the 65,535-parameter limit. An unchanged event is left alone, so a
    // re-sync writes no event rows.
    await tx.execute(sql`
      insert into case_events (case_id, seq, at, type, status, severity, data)
      select case_id, seq, at, type, status, severity, data
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(
        case_id integer, seq integer, at timestamptz, type event_type, status status, severity severity, data jsonb)
      on conflict (case_id, seq) do update
        set at = excluded.at, type = excluded.type, status = excluded.status,
            severity = excluded.severity, data = excluded.data
        where (case_events.at, case_events.type, case_events.status, case_events.severity, case_events.data)
          is distinct from (excluded.at, excluded.type, excluded.status, excluded.severity, excluded.data)`);
  }
  // Drop what lies beyond each new history's end (a case created just now has nothing stored).
  const lengths = timelines.filter((t) => !t.created).map(({ caseId, events }) => ({ case_id: caseId, length: events.length }));
  if (lengths.length === 0) return;
  await tx.execute(sql`
    delete from case_events e
    using jsonb_to_recordset(${JSON.stringify(lengths)}::jsonb) as r(case_id integer, length integer)
    where e.case_id = r.case_id and e.seq >= r.length`);
}

export async function getCase(db: Db, id: number): Promise<StoredCase | null> {
  const [row] = await db.select().from(cases).where(eq(cases.id, id));
  return row ? toStoredCase(row) : null;
}

/** The case's events in stored order, shaped as core reads them (no connector data). */
export async function getCaseTimeline(db: Db, caseId: number): Promise<CaseTimeline> {
  const rows = await db
    .select()
    .from(caseEvents)
    .where(eq(caseEvents.caseId, caseId))
    .orderBy(asc(caseEvents.seq));
  return { events: rows.map(toCaseEvent) };
}

/** A case with what its writeback reads besides: the last written state and the stored agreement. */
export interface CaseForWriteback {
  stored: StoredCase;
  writebackState: Record<string, unknown> | null;
  agreement: { customerId: number | null; ruleId: number | null; policyId: number | null };
}

function toCaseForWriteback(row: typeof cases.$inferSelect): CaseForWriteback {
  return { stored: toStoredCase(row), writebackState: row.writebackState ?? null, agreement: { customerId: row.customerId, ruleId: row.ruleId, policyId: row.policyId } };
}

export async function getCaseForWriteback(db: Db, id: number): Promise<CaseForWriteback | null> {
  const [row] = await db.select().from(cases).where(eq(cases.id, id));
  return row ? toCaseForWriteback(row) : null;
}

/** getCaseForWriteback for many cases in one statement (those that exist). */
export async function getCasesForWriteback(db: Db, ids: readonly number[]): Promise<Map<number, CaseForWriteback>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select().from(cases).where(inIntegers(cases.id, ids));
  return new Map(rows.map((row) => [row.id, toCaseForWriteback(row)]));
}

/** What leaseCasesForWriteback took and what it found held. */
export interface WritebackLeases {
  /**
   * When the leases taken run out: one instant for the whole statement (the database's clock,
   * whole milliseconds so that it round-trips through a JS Date). Releasing compares with it, so a
   * release never frees a lease taken since by someone else. Null when nothing was leased.
   */
  until: Date | null;
  /** The leased cases as the leasing statement read them: read after the lease, never before. */
  leased: Map<number, CaseForWriteback>;
  /** Cases whose lease another writeback holds: how much longer it runs, ms. Ids in neither map are gone. */
  held: Map<number, number>;
}

/**
 * Takes the writeback lease of these cases for leaseMs, in ONE statement, for those whose lease is
 * free (none, or run out: its holder died), and reads them in it. A case is leased by one caller
 * only: Postgres re-checks the condition on a row another statement has just leased. A second
 * statement runs only when some could not be leased, to tell those held from those gone.
 */
export async function leaseCasesForWriteback(db: Db, ids: readonly number[], leaseMs: number): Promise<WritebackLeases> {
  if (ids.length === 0) return { until: null, leased: new Map(), held: new Map() };
  const rows = await db
    .update(cases)
    .set({ writebackLeaseUntil: sql`date_trunc('milliseconds', now() + ${Math.ceil(leaseMs)}::integer * interval '1 millisecond')` })
    .where(and(inIntegers(cases.id, ids), or(isNull(cases.writebackLeaseUntil), lte(cases.writebackLeaseUntil, sql`now()`))))
    .returning();
  const leased = new Map(rows.map((row) => [row.id, toCaseForWriteback(row)]));
  const held = new Map<number, number>();
  const missing = ids.filter((id) => !leased.has(id));
  if (missing.length > 0) {
    const others = await db
      .select({ id: cases.id, remainingMs: sql<number | string | null>`extract(epoch from ${cases.writebackLeaseUntil} - now()) * 1000` })
      .from(cases)
      .where(inIntegers(cases.id, missing));
    // A lease freed between the two statements counts as held for a moment: the caller retries soon.
    for (const row of others) held.set(row.id, Math.max(0, Math.ceil(Number(row.remainingMs ?? 0))));
  }
  return { until: rows[0]?.writebackLeaseUntil ?? null, leased, held };
}

/** Frees the leases leaseCasesForWriteback took (`until`) on these cases, if still theirs. */
export async function releaseWritebackLeases(db: Db, ids: readonly number[], until: Date): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(cases)
    .set({ writebackLeaseUntil: null })
    .where(and(inIntegers(cases.id, ids), eq(cases.writebackLeaseUntil, until)));
}

/** What the connector last wrote back to the case's ticket, or null before the first writeback. */
export async function getWritebackState(db: Db, caseId: number): Promise<Record<string, unknown> | null> {
  const [row] = await db.select({ state: cases.writebackState }).from(cases).where(eq(cases.id, caseId));
  return row?.state ?? null;
}

export async function saveWritebackState(db: Db, caseId: number, state: Record<string, unknown>): Promise<void> {
  await db.update(cases).set({ writebackState: state }).where(eq(cases.id, caseId));
}

export async function markWritebackPending(db: Db, caseIds: readonly number[], pending: boolean): Promise<void> {
  for (const part of chunk([...caseIds], 5_000)) {
    await db.update(cases).set({ writebackPending: pending }).where(inIntegers(cases.id, part));
  }
}

/** Cases whose ticket still has to be brought in line (ids ascending, at most limit). */
export async function listWritebackPending(db: Db, limit = 10_000): Promise<number[]> {
  const rows = await db.select({ id: cases.id }).from(cases).where(eq(cases.writebackPending, true)).orderBy(asc(cases.id)).limit(limit);
  return rows.map((r) => r.id);
}

/**
 * The source's updated_at of these cases as stored, locked for the caller's transaction, so that a
 * sync page and a webhook refresh of the same case cannot both win.
 */
export async function lockCaseVersions(db: Db, connectionId: number, externalIds: readonly string[]): Promise<Map<string, string>> {
  if (externalIds.length === 0) return new Map();
  const rows = await db
    .select({ externalId: cases.externalId, updatedAt: cases.updatedAt })
    .from(cases)
    .where(and(eq(cases.connectionId, connectionId), inTexts(cases.externalId, externalIds)))
    .for('update');
  return new Map(rows.map((r) => [r.externalId, toIsoInstant(r.updatedAt)]));
}

/** A connection's case by its external key ("SUP-42", "owner/repo#12") or external id. */
export async function findCase(db: Db, connectionId: number, keyOrId: string): Promise<StoredCase | null> {
  const [row] = await db
    .select()
    .from(cases)
    .where(and(eq(cases.connectionId, connectionId), or(eq(cases.externalKey, keyOrId), eq(cases.externalId, keyOrId))))
    .limit(1);
  return row ? toStoredCase(row) : null;
}

/** Every case of a connection with its vendor attributes, by id. */
export async function listCaseRefs(db: Db, connectionId: number): Promise<{ id: number; externalId: string; attributes: Record<string, unknown> }[]> {
  return db
    .select({ id: cases.id, externalId: cases.externalId, attributes: cases.attributes })
    .from(cases)
    .where(eq(cases.connectionId, connectionId))
    .orderBy(asc(cases.id));
}

/** Ids of a connection's cases by external id (those that exist). */
export async function caseIdsByExternalId(db: Db, connectionId: number, externalIds: readonly string[]): Promise<Map<string, number>> {
  if (externalIds.length === 0) return new Map();
  const rows = await db
    .select({ id: cases.id, externalId: cases.externalId })
    .from(cases)
    .where(and(eq(cases.connectionId, connectionId), inTexts(cases.externalId, externalIds)));
  return new Map(rows.map((r) => [r.externalId, r.id]));
}

/** getCaseEvents for many cases in one statement (a case without events maps to []). */
export async function getCaseEventsOf(db: Db, caseIds: readonly number[]): Promise<Map<number, CaseEventInput[]>> {
  const out = new Map<number, CaseEventInput[]>(caseIds.map((id) => [id, []]));
  if (caseIds.length === 0) return out;
  const rows = await db
    .select()
    .from(caseEvents)
    .where(inIntegers(caseEvents.caseId, caseIds))
    .orderBy(asc(caseEvents.caseId), asc(caseEvents.seq));
  for (const row of rows) out.get(row.caseId)!.push({ ...toCaseEvent(row), ...(row.data ? { data: row.data } : {}) });
  return out;
}

/** The case's events with the connector data kept beside each (raw priorities, authors). */
export async function getCaseEvents(db: Db, caseId: number): Promise<CaseEventInput[]> {
  const rows = await db
    .select()
    .from(caseEvents)
    .where(eq(caseEvents.caseId, caseId))
    .orderBy(asc(caseEvents.seq));
  return rows.map((row) => ({ ...toCaseEvent(row), ...(row.data ? { data: row.data } : {}) }));
}

/** A cases row as jsonb_to_recordset reads it (snake_case keys, ISO instants). */
function toCaseRecord(c: CaseInput) {
  return {
    external_id: c.externalId,
    external_key: c.externalKey,
    url: c.url,
    title: c.title,
    raw_priority: c.rawPriority,
    severity: c.severity,
    status: c.status,
    created_at: toStoreInstant(c.createdAt),
    updated_at: toStoreInstant(c.updatedAt),
    attributes: c.attributes ?? {},
    customer_id: c.agreement?.customerId ?? null,
    rule_id: c.agreement?.ruleId ?? null,
    policy_id: c.agreement?.policyId ?? null,
  };
}

/** A case_events row as jsonb_to_recordset reads it (snake_case keys, ISO instants). */
function toEventRow(caseId: number, seq: number, e: CaseEventInput) {
  return {
    case_id: caseId,
    seq,
    at: toStoreInstant(e.at),
    type: e.type,
    status: 'status' in e ? (e.status ?? null) : null,
    severity: 'severity' in e ? (e.severity ?? null) : null,
    data: e.data ?? null,
  };
}

function toCaseEvent(row: typeof caseEvents.$inferSelect): CaseEvent {
  const at = toIsoInstant(row.at);
  switch (row.type) {
    case 'created':
      return {
        at,
        type: 'created',
        ...(row.status === null ? {} : { status: row.status }),
        ...(row.severity === null ? {} : { severity: row.severity }),
      };
    case 'status':
      return { at, type: 'status', status: required(row.status, row) };
    case 'severity':
      return { at, type: 'severity', severity: required(row.severity, row) };
    case 'agent_reply':
      return { at, type: 'agent_reply' };
  }
}

/** A status or severity event without its value can only be written by a bug; say which row. */
function required<T>(value: T | null, row: typeof caseEvents.$inferSelect): T {
  if (value === null) throw new Error(`case_events row ${row.id} (${row.type}) has no ${row.type}`);
  return value;
}

function toStoredCase(row: typeof cases.$inferSelect): StoredCase {
  return {
    id: row.id,
    connectionId: row.connectionId,
    externalId: row.externalId,
    externalKey: row.externalKey,
    url: row.url,
    title: row.title,
    rawPriority: row.rawPriority,
    severity: row.severity,
    status: row.status,
    createdAt: toIsoInstant(row.createdAt),
    updatedAt: toIsoInstant(row.updatedAt),
    attributes: row.attributes,
    syncedAt: toIsoInstant(row.syncedAt),
  };
}
