// Zendesk webhooks (issue 5, "Webhooks"): the signature is checked on the raw bytes, constant-time,
// and the timestamp's age, before anything is parsed; then the body names the ticket to refresh.
// https://developer.zendesk.com/documentation/webhooks/verifying/
//   X-Zendesk-Webhook-Signature           base64(HMAC-SHA256(secret, timestamp + raw body))
//   X-Zendesk-Webhook-Signature-Timestamp e.g. "2025-03-03T09:00:00Z"
//
// Bodies accepted (the work is a refresh of the ticket, so only its id matters):
// - A trigger or automation webhook, whose JSON body the admin writes. Recommended:
//     {"ticket_id": "{{ticket.id}}", "event": "ticket_updated"}
//   `{"ticket": {"id": "{{ticket.id}}"}}` works too; `event` (optional) names the delivery.
// - Zendesk's event-subscription webhooks (zen:event-type:ticket.*), ticket id in `detail.id` or the
//   `subject` "zen:ticket:<id>". Other event types (users, organizations) are unsupported_event.
// Deliveries are identified by X-Zendesk-Webhook-Invocation-Id when Zendesk sends it, else by an
// event-subscription's event `id`; a trigger webhook without the header has none (null).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ConnectorError, err, ok } from '../types.ts';
import type { RawRequest, Result, WebhookEvent } from '../types.ts';
import type { ZendeskConfig } from './config.ts';
import { eventWebhookBodySchema, triggerWebhookBodySchema } from './api-types.ts';
import { zendeskTicketRef } from './mapper.ts';

/** Deliveries older (or further in the future, clock skew) than this are refused as replays. */
export const MAX_WEBHOOK_AGE_MS = 5 * 60_000;

function headerOf(req: RawRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(req.headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** ISO 8601 as Zendesk sends it; plain unix seconds accepted too. */
function parseTimestamp(value: string): number | null {
  if (/^\d{9,11}$/.test(value)) return Number(value) * 1000;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

export function signZendeskWebhook(secret: string, timestamp: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(timestamp).update(body).digest('base64');
}

function signatureMatches(secret: string, timestamp: string, body: Buffer, signature: string): boolean {
  const expected = Buffer.from(signZendeskWebhook(secret, timestamp, body), 'base64');
  const given = Buffer.from(signature.trim(), 'base64');
  // Node decodes base64 leniently: accept only the canonical spelling. Equal lengths before
  // timingSafeEqual (it requires them); the length of an HMAC is no secret.
  if (given.toString('base64') !== signature.trim()) return false;
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const refused = (message: string) => err(new ConnectorError('bad_signature', `zendesk: ${message}`));

/** verifyWebhook with the clock given (tests); the connector passes Date.now(). */
export async function verifyZendeskWebhookAt(cfg: Pick<ZendeskConfig, 'webhookSecret'>, req: RawRequest, nowMs: number): Promise<Result<WebhookEvent>> {
  if (!cfg.webhookSecret) return refused('no webhookSecret is configured for this connection');
  const signature = headerOf(req, 'x-zendesk-webhook-signature');
  const timestamp = headerOf(req, 'x-zendesk-webhook-signature-timestamp');
  if (!signature) return refused('X-Zendesk-Webhook-Signature is missing');
  if (!timestamp) return refused('X-Zendesk-Webhook-Signature-Timestamp is missing');
  if (!signatureMatches(cfg.webhookSecret, timestamp, req.body, signature)) return refused('X-Zendesk-Webhook-Signature does not match the body');
  // Only now is the timestamp known to be Zendesk's own.
  const at = parseTimestamp(timestamp);
  if (at === null) return refused(`the signature timestamp "${timestamp}" is not a time`);
  if (Math.abs(nowMs - at) > MAX_WEBHOOK_AGE_MS) return refused(`the signature timestamp ${timestamp} is more than 5 minutes away from now: a replay, or a clock far off`);

  let json: unknown;
  try {
    json = JSON.parse(req.body.toString('utf8'));
  } catch {
    return err(new ConnectorError('bad_payload', 'zendesk: the webhook body is not JSON'));
  }
  const invocationId = headerOf(req, 'x-zendesk-webhook-invocation-id') ?? null;

  const event = eventWebhookBodySchema.safeParse(json);
  if (event.success) {
    const name = event.data.type.slice('zen:event-type:'.length);
    if (!name.startsWith('ticket.')) return err(new ConnectorError('unsupported_event', `zendesk: "${name}" events are not handled`));
    const fromSubject = /^zen:ticket:(\d+)$/.exec(event.data.subject ?? '')?.[1];
    const ticketId = event.data.detail?.id ?? (fromSubject === undefined ? undefined : Number(fromSubject));
    if (ticketId === undefined) return err(new ConnectorError('bad_payload', `zendesk: a ${name} event without a ticket id`));
    return ok({ deliveryId: invocationId ?? event.data.id ?? null, name, refs: [zendeskTicketRef(ticketId)] });
  }
  const trigger = triggerWebhookBodySchema.safeParse(json);
  const ticketId = trigger.success ? (trigger.data.ticket_id ?? trigger.data.ticket?.id) : undefined;
  if (!trigger.success || ticketId === undefined) {
    return err(new ConnectorError('bad_payload', 'zendesk: expected {"ticket_id": "{{ticket.id}}"} or an event-subscription ticket event'));
  }
  return ok({ deliveryId: invocationId, name: `ticket.${trigger.data.event ?? 'trigger'}`, refs: [zendeskTicketRef(ticketId)] });
}

export function verifyZendeskWebhook(cfg: ZendeskConfig, req: RawRequest): Promise<Result<WebhookEvent>> {
  return verifyZendeskWebhookAt(cfg, req, Date.now());
}
