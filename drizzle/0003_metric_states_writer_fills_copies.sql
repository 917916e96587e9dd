DROP INDEX "metric_states_metric_completed_idx";--> statement-breakpoint
-- Hand-written below the generated line (drizzle-kit does not model triggers). The index dropped
-- above was a prefix of metric_states_report_idx, so every query it served is served by that one,
-- and each metric state written kept two indexes up to date for one use.
-- The copy trigger of migration 0002 now runs only for a row that arrives without the case's
-- columns: saveMetricStatesMany fills them by joining cases in its own statement, one set-based
-- join instead of one plpgsql lookup per row (a quarter of the cost of storing a sync page's
-- states). Any other writer still gets them from the trigger.
DROP TRIGGER "metric_states_copy_case_columns" ON "metric_states";--> statement-breakpoint
CREATE TRIGGER "metric_states_copy_case_columns" BEFORE INSERT OR UPDATE OF "case_id" ON "metric_states" FOR EACH ROW
  WHEN (NEW."connection_id" IS NULL)
  EXECUTE FUNCTION "metric_states_copy_case_columns"();
