// POST /webhooks/zendesk/:connection on a real express app on a free port (issue 5 acceptance,
// "signature tests ... refused and nothing stored"): a delivery signed as Zendesk signs is accepted
// and its ticket queued for a refresh, once; a wrong secret, a stale timestamp and an altered body
// are refused with 401 before anything is parsed, and nothing is stored or queued.
import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExternalRef } from '../../src/connectors/types.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { cases, webhookDeliveries } from '../../src/store/schema/index.ts';
import { applyConfig } from '../../src/sync/config.ts';
import { createApp } from '../../src/web/app.ts';
import { storeBackends } from '../helpers/db.ts';
import { VIEW_POLICY } from '../helpers/seed-case.ts';
import { listenOnLoopback } from '../helpers/listen.ts';

const SECRET = 'zendesk-webhook-secret-for-tests';
/** Zendesk: base64(HMAC-SHA256(secret, timestamp + raw body)), computed here, not by the connector. */
const sign = (body: string, timestamp: string, secret = SECRET) => createHmac('sha256', secret).update(timestamp + body).digest('base64');
const stamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe.each(storeBackends())('Zendesk webhooks on $name', (backend) => {
  let handle: DatabaseHandle;
  let server: Server;
  let base = '';
  const queued: { connectionId: number; refs: ExternalRef[] }[] = [];

  beforeAll(async () => {
    handle = await backend.open();
    await applyConfig(handle, {
      policies: { 'view-policy': VIEW_POLICY },
      connections: { 'zendesk-main': { source: 'zendesk', policy: 'view-policy', config: { baseUrl: 'http://127.0.0.1:9', email: 'bot@example.com', apiToken: 'unused', webhookSecret: SECRET } } },
    });
    const app = createApp({ handle, enqueueRefreshes: async (requests) => void queued.push(...requests) });
    ({ server, base } = await listenOnLoopback(app));
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await handle?.close();
  });

  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${base}/webhooks/zendesk/zendesk-main`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const stored = async () => ({
    deliveries: (await handle.db.select({ n: count() }).from(webhookDeliveries))[0]!.n,
    cases: (await handle.db.select({ n: count() }).from(cases))[0]!.n,
    queued: queued.length,
  });

  it('refuses a wrong secret, a stale timestamp and an altered body with 401, storing and queueing nothing', async () => {
    const body = JSON.stringify({ ticket_id: '35436', event: 'ticket_updated' });
    const now = stamp(Date.now());
    const stale = stamp(Date.now() - 6 * 60_000);
    const attempts: [string, string, Record<string, string>][] = [
      ['wrong secret', body, { 'x-zendesk-webhook-signature': sign(body, now, 'not-the-secret'), 'x-zendesk-webhook-signature-timestamp': now }],
      ['stale timestamp (a replay)', body, { 'x-zendesk-webhook-signature': sign(body, stale), 'x-zendesk-webhook-signature-timestamp': stale }],
      ['altered body', body.replace('35436', '35437'), { 'x-zendesk-webhook-signature': sign(body, now), 'x-zendesk-webhook-signature-timestamp': now }],
      ['no signature', body, { 'x-zendesk-webhook-signature-timestamp': now }],
    ];
    for (const [what, sent, headers] of attempts) {
      const response = await post(sent, { ...headers, 'x-zendesk-webhook-invocation-id': `refused-${what}` });
      expect(response.status, what).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'bad_signature' });
    }
    expect(await stored()).toEqual({ deliveries: 0, cases: 0, queued: 0 });
  });

  it('accepts a correctly signed delivery, queues its ticket once, and acknowledges a redelivery', async () => {
    const body = JSON.stringify({ ticket_id: '35436', event: 'ticket_updated' });
    const now = stamp(Date.now());
    const headers = { 'x-zendesk-webhook-signature': sign(body, now), 'x-zendesk-webhook-signature-timestamp': now, 'x-zendesk-webhook-invocation-id': '8350205582' };
    const first = await post(body, headers);
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ accepted: true, event: 'ticket.ticket_updated', refs: 1, paused: false });
    expect(queued).toEqual([{ connectionId: expect.any(Number), refs: [{ externalId: '35436', externalKey: '#35436', attributes: { ticketId: 35436 } }] }]);
    const again = await post(body, headers);
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ accepted: false, duplicate: true, deliveryId: '8350205582' });
    expect(await stored()).toEqual({ deliveries: 1, cases: 0, queued: 1 });
  });
});
