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
  },
  (t) => [
    primaryKey({ columns: [t.caseId, t.metric] }),
    // Compliance: metrics completed in a period.
    index('metric_states_metric_completed_idx').on(t.metric, t.completedAt),
    // Breach timers and "open and breached / at risk" lists.
    index('metric_states_state_due_idx').on(t.state, t.dueAt),
  ],
);
