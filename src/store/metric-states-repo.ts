import { sql } from 'drizzle-orm';
import type { CaseEvaluation, MetricName, MetricState } from '../core/types.ts';
import { METRICS } from '../core/types.ts';
import type { Db } from './db.ts';
import { toDate, toIsoInstant, toIsoInstantOrNull, toStoreInstant } from './instants.ts';
import { metricStates } from './schema/index.ts';
import { chunk, inIntegers } from './sql-helpers.ts';

export interface StoredMetricStates {
  /** The `now` the evaluation was computed for. */
  evaluatedAt: string;
  metrics: Record<MetricName, MetricState>;
}

/** Stores (replaces) the case's metric states from one core evaluation made at `evaluatedAt`. */
export async function saveMetricStates(
  db: Db,
  caseId: number,
  evaluation: CaseEvaluation,
  evaluatedAt: string,
): Promise<void> {
  await saveMetricStatesMany(db, [{ caseId, evaluation }], evaluatedAt);
}

/** Stores many cases' states in one statement per 2,500 cases (a sync page is one). */
export async function saveMetricStatesMany(
  db: Db,
  items: readonly { caseId: number; evaluation: CaseEvaluation }[],
  evaluatedAt: string,
): Promise<void> {
  const at = toDate(evaluatedAt).toISOString();
  const rows = items.flatMap(({ caseId, evaluation }) => METRICS.map((metric) => toRecord(caseId, metric, evaluation.metrics[metric], at)));
  for (const part of chunk(rows, 5_000)) {
    // One jsonb parameter (see cases-repo.ts replaceEvents): a drizzle insert of a page's rows spent
    // more time building the statement than Postgres spent running it. The case's connection, policy
    // and customer are copied here by a join (the report reads them from this table; see the schema),
    // which spares the per-row copy trigger (left join: a state of no case still fails its foreign key).
    await db.execute(sql`
      insert into metric_states (case_id, metric, state, severity, target_seconds, elapsed_seconds, remaining_seconds,
                                 due_at, at_risk_at, breached_at, completed_at, evaluated_at,
                                 connection_id, policy_id, customer_id)
      select r.case_id, r.metric, r.state, r.severity, r.target_seconds, r.elapsed_seconds, r.remaining_seconds,
             r.due_at, r.at_risk_at, r.breached_at, r.completed_at, r.evaluated_at,
             c.connection_id, c.policy_id, c.customer_id
      from jsonb_to_recordset(${JSON.stringify(part)}::jsonb) as r(
        case_id integer, metric metric, state metric_state, severity severity, target_seconds double precision,
        elapsed_seconds double precision, remaining_seconds double precision, due_at timestamptz, at_risk_at timestamptz,
        breached_at timestamptz, completed_at timestamptz, evaluated_at timestamptz)
      left join cases c on c.id = r.case_id
      on conflict (case_id, metric) do update
        set state = excluded.state, severity = excluded.severity, target_seconds = excluded.target_seconds,
            elapsed_seconds = excluded.elapsed_seconds, remaining_seconds = excluded.remaining_seconds,
            due_at = excluded.due_at, at_risk_at = excluded.at_risk_at, breached_at = excluded.breached_at,
            completed_at = excluded.completed_at, evaluated_at = excluded.evaluated_at,
            connection_id = excluded.connection_id, policy_id = excluded.policy_id, customer_id = excluded.customer_id`);
  }
}

/** The last stored evaluation of the case's metrics, or null if it was never evaluated. */
export async function getMetricStates(db: Db, caseId: number): Promise<StoredMetricStates | null> {
  return (await getMetricStatesOf(db, [caseId])).get(caseId) ?? null;
}

/** Stored states of many cases at once (cases never evaluated are absent). */
export async function getMetricStatesOf(db: Db, caseIds: readonly number[]): Promise<Map<number, StoredMetricStates>> {
  const out = new Map<number, StoredMetricStates>();
  if (caseIds.length === 0) return out;
  const rows = await db.select().from(metricStates).where(inIntegers(metricStates.caseId, caseIds));
  const byCase = new Map<number, Map<MetricName, typeof metricStates.$inferSelect>>();
  for (const row of rows) {
    const m = byCase.get(row.caseId) ?? new Map();
    m.set(row.metric, row);
    byCase.set(row.caseId, m);
  }
  for (const [caseId, m] of byCase) {
    const firstResponse = m.get('firstResponse');
    const resolution = m.get('resolution');
    // saveMetricStates writes both metrics in one statement: one without the other is not a state.
    if (!firstResponse || !resolution) continue;
    out.set(caseId, {
      evaluatedAt: toIsoInstant(firstResponse.evaluatedAt),
      metrics: { firstResponse: toMetricState(firstResponse), resolution: toMetricState(resolution) },
    });
  }
  return out;
}

/** A metric_states row as jsonb_to_recordset reads it (snake_case keys, ISO instants). */
function toRecord(caseId: number, metric: MetricName, m: MetricState, evaluatedAt: string) {
  const instant = (iso: string | null) => (iso === null ? null : toStoreInstant(iso));
  return {
    case_id: caseId,
    metric,
    state: m.state,
    severity: m.severity,
    target_seconds: m.targetSeconds,
    elapsed_seconds: m.elapsedSeconds,
    remaining_seconds: m.remainingSeconds,
    due_at: instant(m.dueAt),
    at_risk_at: instant(m.atRiskAt),
    breached_at: instant(m.breachedAt),
    completed_at: instant(m.completedAt),
    evaluated_at: evaluatedAt,
  };
}

function toMetricState(row: typeof metricStates.$inferSelect): MetricState {
  return {
    state: row.state,
    severity: row.severity,
    targetSeconds: row.targetSeconds,
    elapsedSeconds: row.elapsedSeconds,
    remainingSeconds: row.remainingSeconds,
    dueAt: toIsoInstantOrNull(row.dueAt),
    atRiskAt: toIsoInstantOrNull(row.atRiskAt),
    breachedAt: toIsoInstantOrNull(row.breachedAt),
    completedAt: toIsoInstantOrNull(row.completedAt),
  };
}
