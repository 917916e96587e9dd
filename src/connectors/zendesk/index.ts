// The Zendesk Support connector (issue 5): tickets as cases from the incremental exports, signed
// webhooks (triggers or event subscriptions), SLA tags and an "SLA due" field written back.
import type { Connector } from '../types.ts';
import { DEFAULT_PRIORITY_SEVERITIES, zendeskConfigSchema } from './config.ts';
import type { ZendeskConfig } from './config.ts';
import { fetchZendeskCase, fetchZendeskChanges } from './changes.ts';
import { verifyZendeskWebhook } from './webhook.ts';
import { zendeskWriteback } from './writeback.ts';

export const zendeskConnector = {
  source: 'zendesk',
  configSchema: zendeskConfigSchema,
  fetchChanges: fetchZendeskChanges,
  fetchCase: fetchZendeskCase,
  verifyWebhook: verifyZendeskWebhook,
  writeback: zendeskWriteback,
  // urgent/high/normal/low -> S1..S4 unless the config says otherwise; the admin's own
  // priorityMappings in the config file override these.
  priorityMappingsFromConfig: (cfg: ZendeskConfig) => ({ ...DEFAULT_PRIORITY_SEVERITIES, ...cfg.prioritySeverities }),
} satisfies Connector<ZendeskConfig>;

export { zendeskConfigSchema, DEFAULT_STATUS_MAP, DEFAULT_PRIORITY_SEVERITIES } from './config.ts';
export type { ZendeskConfig, ZendeskConfigInput } from './config.ts';
export { zendeskTicketToCase, zendeskTicketRef, historyFromAudit, historyFromTicketEvent } from './mapper.ts';
export type { ZendeskCaseAttributes, ZendeskHistoryEntry, ZendeskTicketBundle } from './mapper.ts';
export { SLA_TAGS, wantedSlaTags, nextSlaDue } from './writeback.ts';
export type { ZendeskWritebackState } from './writeback.ts';
export { parseCursor as parseZendeskCursor, planBackfill } from './changes.ts';
export { signZendeskWebhook, verifyZendeskWebhookAt } from './webhook.ts';
