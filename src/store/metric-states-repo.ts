import { inArray } from 'drizzle-orm';
import type { CaseEvaluation, MetricName, MetricState } from '../core/types.ts';
import { METRICS } from '../core/types.ts';
import type { Db } from './db.ts';
import { toDate, toDateOrNull, toIsoInstant, toIsoInstantOrNull } from './instants.ts';
import { metricStates } from './schema/index.ts';
import { chunk, excluded } from './sql-helpers.ts';

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
  const at = toDate(evaluatedAt);
  const rows = items.flatMap(({ caseId, evaluation }) => METRICS.map((metric) => toRow(caseId, metric, evaluation.metrics[metric], at)));
  for (const part of chunk(rows, 5_000)) {
    await db
      .insert(metricStates)
      .values(part)
      .onConflictDoUpdate({
        target: [metricStates.caseId, metricStates.metric],
        set: {
          state: excluded(metricStates.state),
          severity: excluded(metricStates.severity),
          targetSeconds: excluded(metricStates.targetSeconds),
          elapsedSeconds: excluded(metricStates.elapsedSeconds),
          remainingSeconds: excluded(metricStates.remainingSeconds),
          dueAt: excluded(metricStates.dueAt),
          atRiskAt: excluded(metricStates.atRiskAt),
          breachedAt: excluded(metricStates.breachedAt),
          completedAt: excluded(metricStates.completedAt),
          evaluatedAt: excluded(metricStates.evaluatedAt),
        },
      });
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
  const rows = await db.select().from(metricStates).where(inArray(metricStates.caseId, [...caseIds]));
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

function toRow(caseId: number, metric: MetricName, m: MetricState, evaluatedAt: Date): typeof metricStates.$inferInsert {
  return {
    caseId,
    metric,
    state: m.state,
    severity: m.severity,
    targetSeconds: m.targetSeconds,
    elapsedSeconds: m.elapsedSeconds,
    remainingSeconds: m.remainingSeconds,
    dueAt: toDateOrNull(m.dueAt),
    atRiskAt: toDateOrNull(m.atRiskAt),
    breachedAt: toDateOrNull(m.breachedAt),
    completedAt: toDateOrNull(m.completedAt),
    evaluatedAt,
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
