// The GitHub Issues connector (issue 3): issues (not pull requests) of the configured repositories
// as cases, `issues` and `issue_comment` webhooks, labels and one status comment written back.
import type { Connector } from '../types.ts';
import { githubConfigSchema } from './config.ts';
import type { GithubConfig } from './config.ts';
import { fetchGithubChanges } from './changes.ts';
import { fetchGithubCase } from './fetch-case.ts';
import { verifyGithubWebhook } from './webhook.ts';
import { githubWriteback } from './writeback.ts';

export const githubConnector = {
  source: 'github',
  configSchema: githubConfigSchema,
  fetchChanges: fetchGithubChanges,
  fetchCase: fetchGithubCase,
  verifyWebhook: verifyGithubWebhook,
  writeback: githubWriteback,
  // The label-to-severity map of the config is this connection's priority mapping.
  priorityMappingsFromConfig: (cfg: GithubConfig) => ({ ...cfg.severityLabels }),
} satisfies Connector<GithubConfig>;

export { githubConfigSchema } from './config.ts';
export type { GithubConfig, GithubConfigInput } from './config.ts';
export { githubIssueToCase, githubIssueRef, SLA_COMMENT_MARKER } from './mapper.ts';
export type { GithubCaseAttributes, GithubIssueBundle } from './mapper.ts';
export { SLA_LABELS, renderSlaComment, wantedSlaLabels } from './writeback.ts';
export type { GithubWritebackState } from './writeback.ts';
export { parseCursor as parseGithubCursor } from './changes.ts';
