// Jira admin webhooks in REST mode (issue 4, "Webhooks"), posted to /webhooks/jira/:connection.
//
// Verification: an admin webhook saved with a secret (Jira administration > System > WebHooks, or
// POST /rest/webhooks/1.0/webhook with `secret`) carries `X-Hub-Signature: sha256=<hex>`, the
// HMAC-SHA256 of the raw body keyed with that secret (WebSub's method=signature form; "Secure admin
// webhooks", https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks).
// It is checked on the raw bytes, constant-time, before anything is parsed. Jira has no other way
// to authenticate an admin webhook, so a connection without a webhookSecret refuses them all.
// Webhooks registered by Connect apps are signed with a JWT instead: that is the Connect mode's.
//
// The event is named in the body (`webhookEvent`), the delivery by X-Atlassian-Webhook-Identifier
// (the same across Jira's retries of one delivery).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ConnectorError, err, ok } from '../types.ts';
import type { RawRequest, Result, WebhookEvent } from '../types.ts';
import type { JiraConfig } from './config.ts';
import { jiraWebhookPayloadSchema } from './api-types.ts';
import { jiraIssueRef } from './mapper.ts';

/**
 * The events that can change a case's timeline. Beyond the three of the issue, comment edits and
 * deletions: a comment made internal, public or removed moves the first response.
 */
export const JIRA_WEBHOOK_EVENTS = ['jira:issue_created', 'jira:issue_updated', 'comment_created', 'comment_updated', 'comment_deleted'] as const;

function headerOf(req: RawRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(req.headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** `sha256=<64 hex>` compared with the HMAC of the body in constant time; anything else is refused. */
export function jiraSignatureIsValid(secret: string, body: Buffer, header: string): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(match[1]!, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function verifyJiraWebhook(cfg: JiraConfig, req: RawRequest): Promise<Result<WebhookEvent>> {
  if (!cfg.webhookSecret) return err(new ConnectorError('bad_signature', 'jira: no webhookSecret is configured for this connection'));
  const signature = headerOf(req, 'x-hub-signature');
  if (!signature) return err(new ConnectorError('bad_signature', 'jira: X-Hub-Signature is missing'));
  if (!jiraSignatureIsValid(cfg.webhookSecret, req.body, signature)) {
    return err(new ConnectorError('bad_signature', 'jira: X-Hub-Signature does not match the body'));
  }

  let json: unknown;
  try {
    json = JSON.parse(req.body.toString('utf8'));
  } catch {
    return err(new ConnectorError('bad_payload', 'jira: the webhook body is not JSON'));
  }
  return parseJiraWebhookEvent(json, headerOf(req, 'x-atlassian-webhook-identifier') ?? null);
}

/**
 * The event a verified webhook body names, for admin webhooks (above) and the Connect app's
 * (src/web/jira-connect), which are authenticated by a JWT instead.
 */
export function parseJiraWebhookEvent(json: unknown, deliveryId: string | null): Result<WebhookEvent> {
  const name = typeof json === 'object' && json !== null && 'webhookEvent' in json ? json.webhookEvent : undefined;
  if (typeof name !== 'string') return err(new ConnectorError('bad_payload', 'jira: the webhook body has no webhookEvent'));
  if (!(JIRA_WEBHOOK_EVENTS as readonly string[]).includes(name)) return err(new ConnectorError('unsupported_event', `jira: "${name}" events are not handled`));
  const parsed = jiraWebhookPayloadSchema.safeParse(json);
  if (!parsed.success) return err(new ConnectorError('bad_payload', `jira: not a ${name} payload: ${parsed.error.issues[0]?.message ?? ''}`));

  // Which issues are this connection's is decided by its JQL when the case is fetched (fetchCase).
  return ok({ deliveryId, name, refs: [jiraIssueRef(parsed.data.issue)] });
}
