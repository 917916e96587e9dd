import { doublePrecision, index, integer, pgTable, primaryKey } from 'drizzle-orm/pg-core';
import { metricEnum, metricStateEnum, severityEnum, timestamptz } from './columns.ts';
import { cases } from './cases.ts';

/** The last evaluation of each metric of a case (core MetricState) and when it was made. */
export const metricStates = pgTable(
  'metric_states',
  {
    caseId: integer('case_id')
      .notNull()
      .references(() => cases.id, { onDelete: 'cascade' }),
    metric: metricEnum('metric').notNull(),
    state: metricStateEnum('state').notNull(),
    severity: severityEnum('severity').notNull(),
    // Seconds may be fractional (events carry milliseconds; targets are minutes * 60, and minutes
    // need not be whole): double precision, which round-trips a JS number exactly.
    targetSeconds: doublePrecision('target_seconds').notNull(),
    elapsedSeconds: doublePrecision('elapsed_seconds').notNull(),
    remainingSeconds: doublePrecision('remaining_seconds').notNull(),
    dueAt: timestamptz('due_at'),
    atRiskAt: timestamptz('at_risk_at'),
    breachedAt: timestamptz('breached_at'),
    completedAt: timestamptz('completed_at'),
    evaluatedAt: timestamptz('evaluated_at').notNull(),
    /**
     * Copies of the case's connection_id, policy_id and customer_id, kept by triggers (migration
     * 0002: on insert here, and on a case's change of agreement), so that the compliance report
     * counts a quarter from one index without joining a million cases (issue 6's bench). The one
     * writer (saveMetricStatesMany) fills them from the case in its statement, which spares the
     * per-row trigger (migration 0003: it runs only when they are left null). No foreign keys: the
     * case's own keep them honest, and the case cascades.
     */
    connectionId: integer('connection_id'),
    policyId: integer('policy_id'),
    customerId: integer('customer_id'),
  },
  (t) => [
    primaryKey({ columns: [t.caseId, t.metric] }),
    // The compliance report and its trend: an index-only scan of the metrics completed in a period
    // (or still open: completed_at null), with everything they are counted and grouped by.
    index('metric_states_report_idx').on(t.metric, t.completedAt, t.severity, t.state, t.connectionId, t.policyId, t.customerId),
    // Breach timers and "open and breached / at risk" lists.
    index('metric_states_state_due_idx').on(t.state, t.dueAt),
  ],
);
