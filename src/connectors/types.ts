// The connector framework (issue 3): what every vendor connector implements. A connector knows its
// vendor's API and payloads and nothing of the store or the jobs; src/sync joins them.
import type { z } from 'zod';
import type { CaseEvaluation, Severity, Status } from '../core/types.ts';

export const SOURCES = ['jira', 'zendesk', 'github'] as const;
export type Source = (typeof SOURCES)[number];

/**
 * A case event as the vendor tells it. Priorities stay raw (a Jira priority name, a Zendesk
 * priority, a GitHub priority label): the admin's priority mapping turns them into severities in
 * src/sync, so changing the mapping re-evaluates without re-fetching.
 */
export type SourceEvent =
  | { at: string; type: 'created'; status: Status; rawPriority: string | null; rawStatus?: string }
  | { at: string; type: 'status'; status: Status; rawStatus?: string }
  | { at: string; type: 'priority'; rawPriority: string | null }
  | { at: string; type: 'agent_reply'; author?: string };

/** One vendor ticket, normalized: the strict internal model (STYLE.md, "loose vendor schema"). */
export interface CaseInput {
  /** Stable vendor id, unique within a connection (GitHub: the numeric id). */
  externalId: string;
  /** What people call it: "octo/repo#12", "SUP-42", "#4711". */
  externalKey: string;
  url: string;
  title: string;
  rawPriority: string | null;
  status: Status;
  createdAt: string;
  updatedAt: string;
  /** The full timeline, in time order, `created` first. */
  events: SourceEvent[];
  /** Vendor facts rules may use (repository, labels, project, organization...), JSON-safe. */
  attributes: Record<string, unknown>;
  /**
   * What fetching this case learned that a writeback made right after it may use (GitHub: the id
   * of sla-sync's status comment, or that the issue has none). Opaque to src/sync, handed to
   * `writeback` as it was and never stored: it is only true at the moment it was fetched.
   */
  writebackHint?: WritebackHint;
}

/** Where a case lives at its vendor, enough to fetch it again or write back to it. */
export interface ExternalRef {
  externalId: string;
  externalKey: string;
  attributes: Record<string, unknown>;
}

/** Closed list of expected failures; one table maps them to HTTP statuses and retry decisions. */
export const CONNECTOR_ERROR_CODES = [
  'bad_signature', // webhook signature missing or wrong: 401
  'bad_payload', // webhook body or vendor response not of the expected shape: 400 / logged
  'unsupported_event', // a webhook event we do not handle: 202, ignored
  'unauthorized', // the vendor refused our credentials: not retried
  'not_found', // the ticket is gone: not retried
  'rate_limited', // 429 or a secondary limit: retried after retryAfterMs
  'unavailable', // 5xx, timeout, network: retried with backoff
  'conflict', // a concurrent edit won (Zendesk safe_update): retried after a re-read
  'misconfigured', // the connection's config cannot work (a missing env: secret, no such repository)
] as const;
export type ConnectorErrorCode = (typeof CONNECTOR_ERROR_CODES)[number];

export class ConnectorError extends Error {
  constructor(
    readonly code: ConnectorErrorCode,
    message: string,
    /** When the vendor told us how long to wait (Retry-After, x-ratelimit-reset). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ConnectorError';
  }
}

export type Result<T, E = ConnectorError> = { ok: true; value: T } | { ok: false; error: E };
export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });

/** An HTTP request as received, before any parsing: signatures are checked on these bytes. */
export interface RawRequest {
  headers: Record<string, string | undefined>;
  body: Buffer;
}

/** What a verified webhook asks for: refresh these cases (the work is queued, never done inline). */
export interface WebhookEvent {
  /** The vendor's delivery id, to ignore repeats; null when the vendor sends none. */
  deliveryId: string | null;
  /** e.g. "issues.labeled". */
  name: string;
  refs: ExternalRef[];
}

/** What the SLA engine says about a case, for writing back. */
export interface SlaSnapshot {
  evaluation: CaseEvaluation;
  /** The zone of the calendar each metric is measured in ("UTC" for 24x7), for due times. */
  timezones: Record<'firstResponse' | 'resolution', string>;
  /** When the evaluation was made. */
  evaluatedAt: string;
}

/**
 * What a connector last wrote to a ticket, stored by src/sync and handed back next time so that
 * nothing is sent when nothing changed. Opaque to everyone but the connector that wrote it.
 */
export type WritebackState = Record<string, unknown>;

/** See CaseInput.writebackHint. */
export type WritebackHint = Record<string, unknown>;

export interface WritebackOutcome {
  /** The state to remember; equal to the previous one when nothing was sent. */
  state: WritebackState;
  /** Vendor write calls made (0 when nothing changed). */
  calls: number;
  /** Human summary for the writeback log, e.g. ["label +sla: breached", "comment edited"]. */
  actions: string[];
}

/** Everything a connector may use to talk to its vendor; built per connection by src/sync. */
export interface ConnectorContext {
  /** fetch with the connection's rate limit, retries and timeouts applied. */
  fetch: typeof fetch;
  signal?: AbortSignal;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

export interface ChangePage {
  cases: CaseInput[];
  /** Cursor to store with this page, in the same transaction. */
  nextCursor: string;
}

export interface Connector<C> {
  source: Source;
  /** The connection's config (secrets already resolved from env: references). */
  configSchema: z.ZodType<C>;
  /** Priority mappings the config itself implies (GitHub's label-to-severity map), seeded on apply. */
  priorityMappingsFromConfig?(cfg: C): Record<string, Severity>;
  /** Pages of changed cases since the cursor (null: from the beginning). */
  fetchChanges(cfg: C, cursor: string | null, ctx: ConnectorContext): AsyncIterable<ChangePage>;
  /** One case, fresh from the vendor (after a webhook); null when it is gone or not ours. */
  fetchCase(cfg: C, ref: ExternalRef, ctx: ConnectorContext): Promise<CaseInput | null>;
  /** Checks the signature on the raw bytes first, then parses; never throws for bad input. */
  verifyWebhook(cfg: C, req: RawRequest): Promise<Result<WebhookEvent>>;
  /** `hint`: the writebackHint of a fetch made just before, when there was one (see CaseInput). */
  writeback(cfg: C, ref: ExternalRef, sla: SlaSnapshot, previous: WritebackState | null, ctx: ConnectorContext, hint?: WritebackHint): Promise<Result<WritebackOutcome>>;
}
