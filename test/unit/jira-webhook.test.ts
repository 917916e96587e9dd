// Jira admin webhooks (REST mode): real-shaped payloads of the three events, signed as Jira signs a
// webhook saved with a secret (X-Hub-Signature: sha256=<HMAC-SHA256 of the raw body>), and the refusals.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jiraConfigSchema } from '../../src/connectors/jira/config.ts';
import { jiraSignatureIsValid, verifyJiraWebhook } from '../../src/connectors/jira/webhook.ts';
import type { RawRequest } from '../../src/connectors/types.ts';

const SECRET = 'kX9!jira-admin-webhook-secret';
const cfg = jiraConfigSchema.parse({ siteUrl: 'https://acme-support.atlassian.net', email: 'sla@acme.test', apiToken: 't', jql: 'project = SUP', webhookSecret: SECRET });

const payload = (name: string): Buffer => readFileSync(new URL(`../fixtures/jira/${name}`, import.meta.url));
/** Computed here without the connector's code. */
const sign = (body: Buffer | string, secret = SECRET): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

function request(body: Buffer, headers: Record<string, string | undefined> = {}): RawRequest {
  return {
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'x-atlassian-webhook-identifier': 'b7e0f3c2-1a4d-4e5f-9a8b-7c6d5e4f3a2b',
      'x-atlassian-webhook-retry': '0',
      'x-hub-signature': sign(body),
      ...headers,
    },
  };
}

describe('verifyJiraWebhook accepts signed deliveries', () => {
  it.each([
    ['webhook-issue-created.json', 'jira:issue_created', { projectKey: 'SUP', labels: [] }],
    ['webhook-issue-updated.json', 'jira:issue_updated', { projectKey: 'SUP', labels: ['vip'] }],
    // Comment events carry a partial issue: no labels.
    ['webhook-comment-created.json', 'comment_created', { projectKey: 'SUP' }],
  ])('%s', async (file, name, attributes) => {
    const result = await verifyJiraWebhook(cfg, request(payload(file)));
    if (!result.ok) throw result.error;
    expect(result.value).toEqual({ deliveryId: 'b7e0f3c2-1a4d-4e5f-9a8b-7c6d5e4f3a2b', name, refs: [{ externalId: '10042', externalKey: 'SUP-42', attributes }] });
  });

  it('accepts header names in any case and an upper-case hex digest, and a null delivery id when none is sent', async () => {
    const body = payload('webhook-issue-updated.json');
    const result = await verifyJiraWebhook(cfg, { body, headers: { 'X-Hub-Signature': sign(body).toUpperCase().replace('SHA256=', 'sha256=') } });
    expect(result.ok && result.value).toMatchObject({ deliveryId: null, name: 'jira:issue_updated' });
  });
});

describe('verifyJiraWebhook refusals', () => {
  const body = payload('webhook-issue-updated.json');

  it.each<[string, Record<string, string | undefined>, Buffer?]>([
    ['a missing signature', { 'x-hub-signature': undefined }],
    ['a signature made with another secret', { 'x-hub-signature': sign(body, 'not the secret') }],
    ['a body changed after signing', {}, Buffer.from(body.toString('utf8').replace('"Resolved"', '"Reopened"'))],
    ['a body with one byte more', {}, Buffer.concat([body, Buffer.from('\n')])],
    ['a signature without its prefix', { 'x-hub-signature': sign(body).slice('sha256='.length) }],
    ['a SHA-1 signature', { 'x-hub-signature': `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}` }],
    ['a truncated signature', { 'x-hub-signature': sign(body).slice(0, 40) }],
    ['a signature in the GitHub header only', { 'x-hub-signature': undefined, 'x-hub-signature-256': sign(body) }],
  ])('refuses %s with bad_signature', async (_name, headers, tampered) => {
    const req = request(body, headers);
    const result = await verifyJiraWebhook(cfg, tampered ? { ...req, body: tampered } : req);
    expect(result.ok ? null : result.error.code).toBe('bad_signature');
  });

  it('refuses everything when the connection has no webhook secret', async () => {
    const result = await verifyJiraWebhook({ ...cfg, webhookSecret: undefined }, request(body));
    expect(result.ok ? null : result.error.code).toBe('bad_signature');
  });

  it('checks the signature before parsing: bad JSON with a bad signature is bad_signature, signed it is bad_payload', async () => {
    const junk = Buffer.from('{"webhookEvent": "jira:issue_updated", "issue": ');
    const unsigned = await verifyJiraWebhook(cfg, request(junk, { 'x-hub-signature': sign('{other}') }));
    expect(unsigned.ok ? null : unsigned.error.code).toBe('bad_signature');
    const signed = await verifyJiraWebhook(cfg, request(junk));
    expect(signed.ok ? null : signed.error.code).toBe('bad_payload');
  });

  it('answers bad_payload for signed JSON without webhookEvent or without an issue', async () => {
    for (const json of ['{"timestamp": 1}', '{"webhookEvent": "jira:issue_updated"}', '{"webhookEvent": "comment_created", "issue": {"id": "1"}}']) {
      const result = await verifyJiraWebhook(cfg, request(Buffer.from(json)));
      expect(result.ok ? null : result.error.code).toBe('bad_payload');
    }
  });

  it('answers unsupported_event for other events, signed', async () => {
    for (const event of ['jira:issue_deleted', 'worklog_created', 'sprint_started']) {
      const result = await verifyJiraWebhook(cfg, request(Buffer.from(JSON.stringify({ webhookEvent: event, issue: { id: '1', key: 'SUP-1' } }))));
      expect(result.ok ? null : result.error.code).toBe('unsupported_event');
    }
  });

  it('compares signatures only of the right form', () => {
    const raw = Buffer.from('{}');
    expect(jiraSignatureIsValid(SECRET, raw, sign(raw))).toBe(true);
    expect(jiraSignatureIsValid(SECRET, raw, ` ${sign(raw)} `)).toBe(true);
    expect(jiraSignatureIsValid(SECRET, raw, `${sign(raw)}00`)).toBe(false);
    expect(jiraSignatureIsValid(SECRET, raw, 'sha256=zz')).toBe(false);
  });
});
