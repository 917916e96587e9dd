// The Jira Cloud connector in REST mode (issue 4): the issues a JQL selects as cases, with status and
// priority history from the changelog and first responses from comments; admin webhooks signed with
// a shared secret; labels, an SLA due field and issue properties written back.
import type { Connector } from '../types.ts';
import { jiraConfigSchema } from './config.ts';
import type { JiraConfig } from './config.ts';
import { fetchJiraCase, fetchJiraChanges } from './changes.ts';
import { verifyJiraWebhook } from './webhook.ts';
import { jiraWriteback } from './writeback.ts';

export const jiraConnector = {
  source: 'jira',
  configSchema: jiraConfigSchema,
  // Raw priorities are the priority names as the site shows them; the admin's mapping makes severities.
  fetchChanges: fetchJiraChanges,
  fetchCase: fetchJiraCase,
  verifyWebhook: verifyJiraWebhook,
  writeback: jiraWriteback,
} satisfies Connector<JiraConfig>;

export { jiraConfigSchema, DEFAULT_STATUS_MAP } from './config.ts';
export type { JiraConfig, JiraConfigInput } from './config.ts';
export { jiraIssueToCase, jiraIssueRef, normalizeJiraStatus, isAgentComment, isInternalComment } from './mapper.ts';
export type { JiraCaseAttributes, JiraIssueBundle, JiraStatusInfo } from './mapper.ts';
export { SLA_LABELS, SNAPSHOT_PROPERTY, statusPropertyKey, slaLozenge, slaDueValue, wantedSlaLabels } from './writeback.ts';
export type { JiraWritebackState, StatusLozenge } from './writeback.ts';
export { parseCursor as parseJiraCursor, DEFAULT_FETCH_OPTIONS } from './changes.ts';
export type { JiraCursor, JiraFetchOptions, ChangelogStrategy, CommentStrategy } from './changes.ts';
export { JIRA_WEBHOOK_EVENTS } from './webhook.ts';
