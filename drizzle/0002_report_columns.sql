ALTER TABLE "metric_states" ADD COLUMN "connection_id" integer;--> statement-breakpoint
ALTER TABLE "metric_states" ADD COLUMN "policy_id" integer;--> statement-breakpoint
ALTER TABLE "metric_states" ADD COLUMN "customer_id" integer;--> statement-breakpoint
CREATE INDEX "metric_states_report_idx" ON "metric_states" USING btree ("metric","completed_at","severity","state","connection_id","policy_id","customer_id");--> statement-breakpoint
-- Hand-written below the generated lines (drizzle-kit does not model triggers): the copies of the
-- case's agreement columns on metric_states are filled for existing rows, then kept by triggers,
-- so no writer has to know about them.
UPDATE "metric_states" AS ms SET "connection_id" = c."connection_id", "policy_id" = c."policy_id", "customer_id" = c."customer_id" FROM "cases" AS c WHERE c."id" = ms."case_id";--> statement-breakpoint
CREATE FUNCTION "metric_states_copy_case_columns"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT c."connection_id", c."policy_id", c."customer_id" INTO NEW."connection_id", NEW."policy_id", NEW."customer_id" FROM "cases" AS c WHERE c."id" = NEW."case_id";
  RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER "metric_states_copy_case_columns" BEFORE INSERT OR UPDATE OF "case_id" ON "metric_states" FOR EACH ROW EXECUTE FUNCTION "metric_states_copy_case_columns"();--> statement-breakpoint
CREATE FUNCTION "cases_copy_columns_to_metric_states"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "metric_states" SET "connection_id" = NEW."connection_id", "policy_id" = NEW."policy_id", "customer_id" = NEW."customer_id" WHERE "case_id" = NEW."id";
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "cases_copy_columns_to_metric_states" AFTER UPDATE OF "connection_id", "policy_id", "customer_id" ON "cases" FOR EACH ROW
  WHEN (OLD."connection_id" IS DISTINCT FROM NEW."connection_id" OR OLD."policy_id" IS DISTINCT FROM NEW."policy_id" OR OLD."customer_id" IS DISTINCT FROM NEW."customer_id")
  EXECUTE FUNCTION "cases_copy_columns_to_metric_states"();
