// GitHub webhooks: every `issues` and `issue_comment` payload published in
// @octokit/webhooks-examples (api.github.com), signed like GitHub signs them, and the refusals.
import { createHmac, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { githubConfigSchema } from '../../src/connectors/github/config.ts';
import { verifyGithubWebhook } from '../../src/connectors/github/webhook.ts';
import type { RawRequest } from '../../src/connectors/types.ts';

interface WebhookDefinition {
  name: string;
  examples: Record<string, unknown>[];
}
type Payload = {
  action: string;
  issue: { id: number; number: number; pull_request?: unknown; labels?: { name: string }[]; user: { login: string } };
  repository: { full_name: string };
  changes?: { new_issue?: { id: number; number: number }; new_repository?: { full_name: string } };
};

const require = createRequire(import.meta.url);
const definitions = require('@octokit/webhooks-examples/api.github.com/index.json') as WebhookDefinition[];
const cases = definitions
  .filter((d) => d.name === 'issues' || d.name === 'issue_comment')
  .flatMap((d) => d.examples.map((payload, i) => ({ event: d.name, payload: payload as unknown as Payload, label: `${d.name}.${String(payload['action'])} #${i}` })));

const SECRET = 'It’s a Secret to Everybody';
const cfg = githubConfigSchema.parse({ token: 't', repositories: ['codertocat/hello-world', 'octo-org/octo-repo'], webhookSecret: SECRET });

/** Signs like GitHub: HMAC-SHA256 of the raw body, hex, "sha256=" prefix (computed here without the library). */
const sign = (body: Buffer | string, secret = SECRET): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

function request(event: string, body: Buffer, headers: Record<string, string | undefined> = {}): RawRequest {
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': sign(body),
      ...headers,
    },
  };
}

describe('verifyGithubWebhook on every published issues / issue_comment payload', () => {
  it('has payloads to replay', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(cases.map((c) => c.event))).toEqual(new Set(['issues', 'issue_comment']));
  });

  it.each(cases)('$label', async ({ event, payload }) => {
    const body = Buffer.from(JSON.stringify(payload, null, 2));
    const req = request(event, body);
    const result = await verifyGithubWebhook(cfg, req);
    if (!result.ok) throw result.error;
    expect(result.value.deliveryId).toBe(req.headers['x-github-delivery']);
    expect(result.value.name).toBe(`${event}.${payload.action}`);

    const expected = [];
    const configured = (name: string) => cfg.repositories.find((r) => r.toLowerCase() === name.toLowerCase());
    if (!payload.issue.pull_request) {
      expected.push({
        externalId: String(payload.issue.id),
        externalKey: `${configured(payload.repository.full_name)}#${payload.issue.number}`,
        attributes: expect.objectContaining({ number: payload.issue.number, authorLogin: payload.issue.user.login }),
      });
    }
    const moved = payload.changes?.new_issue;
    if (moved && payload.changes?.new_repository) {
      expected.push({ externalId: String(moved.id), externalKey: `${configured(payload.changes.new_repository.full_name)}#${moved.number}`, attributes: expect.anything() });
    }
    expect(result.value.refs).toEqual(expected);
    if (payload.issue.labels && !payload.issue.pull_request) {
      expect(result.value.refs[0]!.attributes['labels']).toEqual(payload.issue.labels.map((l) => l.name));
    }
  });
});

describe('verifyGithubWebhook refusals', () => {
  const payload = cases.find((c) => c.event === 'issues' && c.payload.action === 'labeled')!.payload;
  const body = Buffer.from(JSON.stringify(payload));

  it.each<[string, Record<string, string | undefined>, Buffer?]>([
    ['a missing signature', { 'x-hub-signature-256': undefined }],
    ['a signature made with another secret', { 'x-hub-signature-256': sign(body, 'not the secret') }],
    ['a body changed after signing', {}, Buffer.from(JSON.stringify({ ...payload, action: 'unlabeled' }))],
    ['only the legacy SHA-1 signature', { 'x-hub-signature-256': undefined, 'x-hub-signature': `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}` }],
    ['a signature without its prefix', { 'x-hub-signature-256': sign(body).slice('sha256='.length) }],
    ['a truncated signature', { 'x-hub-signature-256': sign(body).slice(0, 40) }],
  ])('refuses %s with bad_signature', async (_name, headers, tampered) => {
    const req = request('issues', body, headers);
    const result = await verifyGithubWebhook(cfg, tampered ? { ...req, body: tampered } : req);
    expect(result.ok ? null : result.error.code).toBe('bad_signature');
  });

  it('refuses everything when the connection has no webhook secret', async () => {
    const result = await verifyGithubWebhook({ ...cfg, webhookSecret: undefined }, request('issues', body));
    expect(result.ok ? null : result.error.code).toBe('bad_signature');
  });

  it('answers bad_payload for signed bytes that are not JSON, or not an issues payload', async () => {
    for (const bad of ['{"action": "opened", "issue": ', '', '\u0000\u0001', '{"action":"opened"}']) {
      const raw = Buffer.from(bad);
      const result = await verifyGithubWebhook(cfg, request('issues', raw, { 'x-hub-signature-256': sign(raw) }));
      // An empty body carries nothing to sign: the library refuses it as unsigned.
      expect(result.ok ? null : result.error.code).toBe(bad === '' ? 'bad_signature' : 'bad_payload');
    }
  });

  it('checks the signature before parsing: bad JSON with a bad signature is bad_signature', async () => {
    const result = await verifyGithubWebhook(cfg, request('issues', Buffer.from('{nope'), { 'x-hub-signature-256': sign('{other') }));
    expect(result.ok ? null : result.error.code).toBe('bad_signature');
  });

  it('answers unsupported_event for other events, signed', async () => {
    for (const event of ['ping', 'pull_request', 'push']) {
      const result = await verifyGithubWebhook(cfg, request(event, body));
      expect(result.ok ? null : result.error.code).toBe('unsupported_event');
    }
    const missing = await verifyGithubWebhook(cfg, request('issues', body, { 'x-github-event': undefined }));
    expect(missing.ok ? null : missing.error.code).toBe('bad_payload');
  });

  it('accepts form-encoded deliveries and header names in any case', async () => {
    const form = Buffer.from(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    const result = await verifyGithubWebhook(cfg, {
      body: form,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-GitHub-Event': 'issues', 'X-GitHub-Delivery': 'abc', 'X-Hub-Signature-256': sign(form) },
    });
    expect(result.ok && result.value).toMatchObject({ deliveryId: 'abc', name: 'issues.labeled', refs: [{ externalId: String(payload.issue.id) }] });
  });

  it('gives no refs for repositories the connection does not sync, and a null delivery id when none is sent', async () => {
    const other = { ...cfg, repositories: ['someone/else'] };
    const result = await verifyGithubWebhook(other, request('issues', body, { 'x-github-delivery': undefined }));
    expect(result.ok && result.value).toEqual({ deliveryId: null, name: 'issues.labeled', refs: [] });
  });

  it('gives no refs for a comment on a pull request', async () => {
    const onPr = { ...cases.find((c) => c.event === 'issue_comment')!.payload };
    onPr.issue = { ...onPr.issue, pull_request: { url: 'https://api.github.com/repos/Codertocat/Hello-World/pulls/1' } };
    const raw = Buffer.from(JSON.stringify(onPr));
    const result = await verifyGithubWebhook(cfg, request('issue_comment', raw));
    expect(result.ok && result.value.refs).toEqual([]);
  });
});
