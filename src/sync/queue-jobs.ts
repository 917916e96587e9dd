// The job kinds of sla-sync: each one's payload schema (zod, checked on send and again on receive),
// its pg-boss queue policy, its dedup key and its retry defaults. The runtime is in queue.ts.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { METRICS } from '../core/types.ts';

/** A Date, or the ISO string JSON turns it into on its way through the job table. */
const instant = z
  .union([z.date(), z.iso.datetime({ offset: true })])
  .transform((value) => new Date(value))
  .refine((date) => !Number.isNaN(date.getTime()), 'invalid date');

const id = z.number().int().positive();

export const jobPayloadSchemas = {
  /** Pull a connection's changes from its cursor (or everything, with full). */
  sync: z.object({ connectionId: id, full: z.boolean().optional() }),
  /** A verified webhook named these cases: fetch them again and re-evaluate. */
  refresh: z.object({
    connectionId: id,
    // Refs, not bare ids: a case new to the store is fetched by what the webhook said of it
    // (GitHub: repository and number).
    refs: z
      .array(z.object({ externalId: z.string().min(1), externalKey: z.string(), attributes: z.record(z.string(), z.unknown()) }))
      .min(1),
  }),
  /** Bring a case's labels and comment at its vendor in line with its stored SLA state. */
  writeback: z.object({ caseId: id }),
  /** A metric of a case reaches its dueAt or at-risk instant: re-evaluate it at that minute. */
  'breach-timer': z.object({ caseId: id, metric: z.enum(METRICS), at: instant }),
} as const;

export type JobName = keyof typeof jobPayloadSchemas;
export const JOB_NAMES = Object.keys(jobPayloadSchemas) as JobName[];
/** What a handler receives (dates as Date). */
export type JobPayload<N extends JobName> = z.output<(typeof jobPayloadSchemas)[N]>;
/** What send() accepts (dates as Date or ISO string). */
export type JobPayloadInput<N extends JobName> = z.input<(typeof jobPayloadSchemas)[N]>;

/** Where every job that ran out of retries (or failed permanently) goes; nobody works it. */
export const DEAD_LETTER_QUEUE = 'dead-letter';
/** How long a dead letter stays listable before pg-boss deletes it. */
export const DEAD_LETTER_RETENTION_SECONDS = 30 * 24 * 3600;

export interface RetryPolicy {
  /** Retries after the first attempt; then the job is dead-lettered. */
  retryLimit: number;
  /** Seconds before the first retry (at least 1); with retryBackoff roughly doubling each time, with jitter. */
  retryDelay: number;
  retryBackoff: boolean;
  /** Cap on a backoff delay, seconds. */
  retryDelayMax: number;
}

interface JobSpec<N extends JobName> {
  /**
   * pg-boss policy, enforced by a unique index on the dedup key:
   * - short: at most one *queued* job per key; one may run while the next waits.
   * - exclusive: at most one job per key queued or running; a send meanwhile is dropped.
   * (stately would also fit writeback, but a job it fails while a sibling waits in retry state is
   * failed terminally and dead-lettered by pg-boss: a false alarm on the admin page.)
   */
  policy: 'short' | 'exclusive';
  singletonKey(payload: JobPayload<N>): string;
  retry: RetryPolicy;
  /** A job running longer than this is taken for dead and retried elsewhere. */
  expireInSeconds: number;
}

/** Long keys (many external ids) are hashed: a btree entry has a size limit. */
function boundedKey(key: string): string {
  return key.length <= 200 ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

export const jobSpecs: { [N in JobName]: JobSpec<N> } = {
  // One sync per connection at a time, nothing queued behind it: the running one ends at the
  // newest cursor anyway, and the schedule's next tick comes soon.
  sync: {
    policy: 'exclusive',
    singletonKey: (p) => String(p.connectionId),
    retry: { retryLimit: 5, retryDelay: 30, retryBackoff: true, retryDelayMax: 900 },
    // A sync saves its cursor per page, so one cut off here resumes where it stopped.
    expireInSeconds: 3600,
  },
  // A burst of webhooks for one issue coalesces into one queued refresh.
  refresh: {
    policy: 'short',
    singletonKey: (p) => boundedKey(`${p.connectionId}:${p.refs.map((r) => r.externalId).sort().join(',')}`),
    retry: { retryLimit: 5, retryDelay: 5, retryBackoff: true, retryDelayMax: 300 },
    expireInSeconds: 600,
  },
  // One pending writeback per case: it reads the case's state when it runs, so a second adds nothing.
  writeback: {
    policy: 'short',
    singletonKey: (p) => String(p.caseId),
    retry: { retryLimit: 8, retryDelay: 5, retryBackoff: true, retryDelayMax: 900 },
    expireInSeconds: 300,
  },
  // One timer per case, metric and instant; a moved dueAt queues a new one and the stale one
  // only re-evaluates (harmless).
  'breach-timer': {
    policy: 'short',
    singletonKey: (p) => `${p.caseId}:${p.metric}:${p.at.toISOString()}`,
    retry: { retryLimit: 5, retryDelay: 5, retryBackoff: true, retryDelayMax: 300 },
    expireInSeconds: 300,
  },
};

/**
 * Thrown by a handler to have its job retried no sooner than retryAfterMs from now (a vendor's
 * Retry-After or x-ratelimit-reset). It counts as an attempt: a job rate-limited retryLimit times
 * is dead-lettered, visibly. Any error with a numeric `retryAfterMs` (ConnectorError) is treated
 * the same way.
 *
 * With `countsAsAttempt: false` (a job that could not start because another worker holds what it
 * needs: nothing failed) the job is not failed but done, and a fresh copy of it queued to start then,
 * so waiting never uses up its retries nor ends in the dead letters (pg-boss cannot give an attempt
 * back: a failed last attempt is dead-lettered at once). Only for kinds of the `short` policy, where
 * the copy may be queued while this one runs; on others it counts as an attempt after all.
 */
export class RetryJobLaterError extends Error {
  override readonly name = 'RetryJobLaterError';
  readonly code = 'retry_later';
  readonly countsAsAttempt: boolean;
  constructor(
    readonly retryAfterMs: number,
    message = `retry after ${retryAfterMs} ms`,
    options?: { cause?: unknown; countsAsAttempt?: boolean },
  ) {
    super(message, options);
    this.countsAsAttempt = options?.countsAsAttempt ?? true;
  }
}

/** Thrown by a handler when retrying cannot help (unauthorized, gone): dead-lettered at once. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
  constructor(
    message: string,
    readonly code = 'permanent',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The wait an error asks for, when it asks for one. */
export function retryAfterOf(error: unknown): number | undefined {
  if (!(error instanceof Error) || !('retryAfterMs' in error)) return undefined;
  const ms = error.retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}
