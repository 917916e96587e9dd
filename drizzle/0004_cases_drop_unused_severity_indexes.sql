DROP INDEX "cases_connection_severity_idx";--> statement-breakpoint
DROP INDEX "cases_severity_idx";