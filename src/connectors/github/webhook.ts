// GitHub webhooks: the signature is checked on the raw bytes (X-Hub-Signature-256, constant-time, by
// @octokit/webhooks) before anything is parsed; then `issues` and `issue_comment` deliveries become
// "refresh these cases". https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
import { Webhooks } from '@octokit/webhooks';
import { ConnectorError, err, ok } from '../types.ts';
import type { ExternalRef, RawRequest, Result, WebhookEvent } from '../types.ts';
import type { GithubConfig } from './config.ts';
import { issueCommentWebhookPayloadSchema, issuesWebhookPayloadSchema } from './api-types.ts';
import { githubIssueRef, isPullRequest } from './mapper.ts';

export const GITHUB_WEBHOOK_EVENTS = ['issues', 'issue_comment'] as const;

const isHandledEvent = (name: string): name is (typeof GITHUB_WEBHOOK_EVENTS)[number] =>
  (GITHUB_WEBHOOK_EVENTS as readonly string[]).includes(name);

function headerOf(req: RawRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(req.headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** One verifier per secret: the Webhooks class holds the secret and nothing else we use. */
const verifiers = new Map<string, Webhooks>();
function verifierFor(secret: string): Webhooks {
  let verifier = verifiers.get(secret);
  if (!verifier) {
    verifier = new Webhooks({ secret });
    if (verifiers.size > 100) verifiers.clear();
    verifiers.set(secret, verifier);
  }
  return verifier;
}

async function signatureIsValid(secret: string, body: string, signature: string): Promise<boolean> {
  try {
    return await verifierFor(secret).verify(body, signature);
  } catch {
    return false; // an empty body or a malformed header: not a signature we issued
  }
}

/** GitHub sends JSON, or `payload=<json>` when the webhook's content type is form-encoded. */
function payloadText(req: RawRequest, body: string): string {
  const contentType = headerOf(req, 'content-type') ?? '';
  if (contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return new URLSearchParams(body).get('payload') ?? '';
  }
  return body;
}

function parsePayload(eventType: (typeof GITHUB_WEBHOOK_EVENTS)[number], json: unknown) {
  if (eventType === 'issue_comment') {
    return issueCommentWebhookPayloadSchema.transform((payload) => ({ payload, transfer: undefined })).safeParse(json);
  }
  return issuesWebhookPayloadSchema.transform((payload) => ({ payload, transfer: payload.changes })).safeParse(json);
}

export async function verifyGithubWebhook(cfg: GithubConfig, req: RawRequest): Promise<Result<WebhookEvent>> {
  const signature = headerOf(req, 'x-hub-signature-256');
  if (!cfg.webhookSecret) return err(new ConnectorError('bad_signature', 'github: no webhookSecret is configured for this connection'));
  if (!signature) return err(new ConnectorError('bad_signature', 'github: X-Hub-Signature-256 is missing'));
  const body = req.body.toString('utf8');
  if (!(await signatureIsValid(cfg.webhookSecret, body, signature))) {
    return err(new ConnectorError('bad_signature', 'github: X-Hub-Signature-256 does not match the body'));
  }

  const eventType = headerOf(req, 'x-github-event');
  const deliveryId = headerOf(req, 'x-github-delivery') ?? null;
  let json: unknown;
  try {
    json = JSON.parse(payloadText(req, body));
  } catch {
    return err(new ConnectorError('bad_payload', 'github: the webhook body is not JSON'));
  }
  if (!eventType) return err(new ConnectorError('bad_payload', 'github: X-GitHub-Event is missing'));
  if (!isHandledEvent(eventType)) return err(new ConnectorError('unsupported_event', `github: "${eventType}" events are not handled`));

  const parsed = parsePayload(eventType, json);
  if (!parsed.success) return err(new ConnectorError('bad_payload', `github: not an ${eventType} payload: ${parsed.error.issues[0]?.message ?? ''}`));
  const { payload, transfer } = parsed.data;

  const refs: ExternalRef[] = [];
  const ours = (fullName: string): string | undefined => cfg.repositories.find((r) => r.toLowerCase() === fullName.toLowerCase());
  const repository = ours(payload.repository.full_name);
  // Pull requests share the issues API but are not cases; neither are repositories we do not sync.
  if (repository && !isPullRequest(payload.issue)) refs.push(githubIssueRef(repository, payload.issue));
  // A transfer: the old issue is gone here; the new one is ours too when it lands in a synced repository.
  if (transfer?.new_issue && transfer.new_repository) {
    const target = ours(transfer.new_repository.full_name);
    if (target && !isPullRequest(transfer.new_issue)) refs.push(githubIssueRef(target, transfer.new_issue));
  }
  return ok({ deliveryId, name: `${eventType}.${payload.action}`, refs });
}
