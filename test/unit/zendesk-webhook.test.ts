// Zendesk webhook signatures, signed here the way Zendesk signs (computed without the connector's
// helper): valid deliveries of both body shapes, and every refusal, with nothing parsed.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { zendeskConfigSchema } from '../../src/connectors/zendesk/config.ts';
import { zendeskConnector } from '../../src/connectors/zendesk/index.ts';
import { verifyZendeskWebhookAt } from '../../src/connectors/zendesk/webhook.ts';
import type { RawRequest } from '../../src/connectors/types.ts';

const bodies = JSON.parse(readFileSync(new URL('../fixtures/zendesk/webhook-bodies.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const SECRET = 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==';
const cfg = zendeskConfigSchema.parse({ subdomain: 'acme', email: 'admin@acme.com', apiToken: 't', webhookSecret: SECRET });
const NOW = Date.parse('2025-03-03T13:00:05Z');
const STAMP = '2025-03-03T13:00:01Z';

/** Zendesk: base64(HMAC-SHA256(secret, timestamp + body)). */
const sign = (body: Buffer | string, timestamp = STAMP, secret = SECRET): string => createHmac('sha256', secret).update(timestamp + body.toString()).digest('base64');

function request(body: Buffer, headers: Record<string, string | undefined> = {}): RawRequest {
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-zendesk-webhook-id': '01GT8VAXMFJEKC8ZJ3YE5SQYMN',
      'x-zendesk-webhook-signature': sign(body),
      'x-zendesk-webhook-signature-timestamp': STAMP,
      ...headers,
    },
  };
}
const json = (name: string): Buffer => Buffer.from(JSON.stringify(bodies[name], null, 2));

afterEach(() => vi.restoreAllMocks());

describe('verifyZendeskWebhook accepts signed deliveries', () => {
  it('a trigger webhook {"ticket_id": "{{ticket.id}}"}: one ref, the invocation id as delivery id', async () => {
    const result = await verifyZendeskWebhookAt(cfg, request(json('trigger'), { 'x-zendesk-webhook-invocation-id': '8350205582' }), NOW);
    expect(result).toEqual({ ok: true, value: { deliveryId: '8350205582', name: 'ticket.ticket_updated', refs: [{ externalId: '35436', externalKey: '#35436', attributes: { ticketId: 35436 } }] } });
  });

  it('a trigger body with the ticket nested, and no invocation id: a null delivery id', async () => {
    const result = await verifyZendeskWebhookAt(cfg, request(json('triggerNested')), NOW);
    expect(result.ok && result.value).toEqual({ deliveryId: null, name: 'ticket.trigger', refs: [{ externalId: '35436', externalKey: '#35436', attributes: { ticketId: 35436 } }] });
  });

  it('an event-subscription ticket event: its name, and its event id as delivery id', async () => {
    const result = await verifyZendeskWebhookAt(cfg, request(json('statusChanged')), NOW);
    expect(result.ok && result.value).toEqual({ deliveryId: 'cbe4028c-7239-495d-b020-f22348516046', name: 'ticket.status_changed', refs: [{ externalId: '35436', externalKey: '#35436', attributes: { ticketId: 35436 } }] });
  });

  it('header names in any case, and the connector entry point with the real clock', async () => {
    const stamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const body = json('trigger');
    const result = await zendeskConnector.verifyWebhook(cfg, { body, headers: { 'X-Zendesk-Webhook-Signature': sign(body, stamp), 'X-Zendesk-Webhook-Signature-Timestamp': stamp } });
    expect(result.ok && result.value.refs.map((r) => r.externalId)).toEqual(['35436']);
  });

  it('a timestamp 4 minutes old is still fresh', async () => {
    expect((await verifyZendeskWebhookAt(cfg, request(json('trigger')), Date.parse(STAMP) + 4 * 60_000)).ok).toBe(true);
  });
});

describe('verifyZendeskWebhook refuses, with nothing parsed', () => {
  const body = json('trigger');

  it.each<[string, Record<string, string | undefined>, Buffer | undefined, number]>([
    ['a signature made with another secret', { 'x-zendesk-webhook-signature': sign(body, STAMP, 'not the secret') }, undefined, NOW],
    ['a body changed after signing', {}, Buffer.from(JSON.stringify({ ticket_id: '35437', event: 'ticket_updated' })), NOW],
    ['one byte appended to the body', {}, Buffer.concat([body, Buffer.from(' ')]), NOW],
    ['a stale timestamp (6 minutes old), correctly signed: a replay', {}, undefined, Date.parse(STAMP) + 6 * 60_000],
    ['a timestamp 6 minutes in the future', {}, undefined, Date.parse(STAMP) - 6 * 60_000],
    ['a timestamp changed after signing (to look fresh)', { 'x-zendesk-webhook-signature-timestamp': '2025-03-03T13:00:04Z' }, undefined, NOW],
    ['a missing signature', { 'x-zendesk-webhook-signature': undefined }, undefined, NOW],
    ['a missing timestamp', { 'x-zendesk-webhook-signature-timestamp': undefined }, undefined, NOW],
    ['a hex signature instead of base64', { 'x-zendesk-webhook-signature': createHmac('sha256', SECRET).update(STAMP + body.toString()).digest('hex') }, undefined, NOW],
    ['a truncated signature', { 'x-zendesk-webhook-signature': sign(body).slice(0, 20) }, undefined, NOW],
    ['a signature with junk after its padding', { 'x-zendesk-webhook-signature': `${sign(body)}AAAA` }, undefined, NOW],
  ])('%s: bad_signature', async (_name, headers, tampered, now) => {
    const parse = vi.spyOn(JSON, 'parse');
    const req = request(body, headers);
    const result = await verifyZendeskWebhookAt(cfg, tampered ? { ...req, body: tampered } : req, now);
    expect(result.ok ? null : result.error.code).toBe('bad_signature');
    expect(parse).not.toHaveBeenCalled();
  });

  it('refuses everything when the connection has no webhook secret', async () => {
    const result = await verifyZendeskWebhookAt({ webhookSecret: undefined }, request(body), NOW);
    expect(result.ok ? null : result.error.code).toBe('bad_signature');
  });

  it('checks the signature before parsing: bad JSON with a bad signature is bad_signature', async () => {
    const result = await verifyZendeskWebhookAt(cfg, request(Buffer.from('{nope'), { 'x-zendesk-webhook-signature': sign('{other') }), NOW);
    expect(result.ok ? null : result.error.code).toBe('bad_signature');
  });
});

describe('verifyZendeskWebhook on signed bodies it cannot use', () => {
  it.each([
    ['not JSON', '{"ticket_id": ', 'bad_payload'],
    ['no ticket id', '{"event": "ticket_updated"}', 'bad_payload'],
    ['a ticket id that is no number', '{"ticket_id": "abc"}', 'bad_payload'],
    ['a non-ticket event subscription', JSON.stringify(bodies['userCreated']), 'unsupported_event'],
  ])('%s: %s', async (_name, text, code) => {
    const raw = Buffer.from(text);
    const result = await verifyZendeskWebhookAt(cfg, request(raw, { 'x-zendesk-webhook-signature': sign(raw) }), NOW);
    expect(result.ok ? null : result.error.code).toBe(code);
  });
});
