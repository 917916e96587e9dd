// Atlassian's published OpenAPI description of the Jira Cloud platform REST API v3 (the file Atlassian
// serves as swagger-v3.v3.json, kept in ../shared/vendor-specs), loaded once for the fake's checks.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OpenApiDescription } from '../openapi.ts';

/** The repository's sibling `shared/vendor-specs` (issue 4), or SLA_SYNC_JIRA_OPENAPI. */
export const JIRA_OPENAPI_FILE =
  process.env['SLA_SYNC_JIRA_OPENAPI'] ?? fileURLToPath(new URL('../../../../shared/vendor-specs/jira-cloud-platform-rest-v3.json', import.meta.url));

let loaded: OpenApiDescription | null = null;

export function jiraOpenApi(): OpenApiDescription {
  if (!loaded) {
    if (!existsSync(JIRA_OPENAPI_FILE)) throw new Error(`the Jira OpenAPI description is missing: ${JIRA_OPENAPI_FILE} (set SLA_SYNC_JIRA_OPENAPI)`);
    loaded = OpenApiDescription.fromFile(JIRA_OPENAPI_FILE);
  }
  return loaded;
}

/** The example the description gives for an operation's response (Atlassian stores them as JSON text). */
export function responseExample(operationId: string, status = 200): unknown {
  const op = jiraOpenApi().operationById(operationId);
  const item = jiraOpenApi().spec.paths[op.template]![op.method.toLowerCase()] as { responses: Record<string, { content?: Record<string, { example?: unknown }> }> };
  const example = item.responses[String(status)]?.content?.['application/json']?.example;
  return typeof example === 'string' ? (JSON.parse(example) as unknown) : example;
}
