// The fetch every connector talks to its vendor through (issue 3, "Rate limits"): one p-queue per
// connection caps concurrency and requests per interval below the vendor's published limit, and a
// 429 or a secondary limit pauses the whole connection at once for as long as the vendor says
// (Retry-After, x-ratelimit-reset) before the request is tried again. 5xx answers, timeouts and
// network errors are retried with exponential backoff, but only for requests that are safe to
// repeat: a POST that may have reached the vendor is never sent twice.
import PQueue from 'p-queue';
import { retryAfterMs } from '../connectors/retry-after.ts';
import { SharedLimit } from './shared-limit.ts';

export { retryAfterMs };

export interface RateLimitOptions {
  /** Requests in flight at once. */
  concurrency: number;
  /** At most this many requests start per intervalMs. */
  intervalCap: number;
  intervalMs: number;
  /** Per attempt. */
  timeoutMs: number;
  /** Attempts after the first. */
  maxRetries: number;
  /** First backoff for 5xx/timeouts; doubles per attempt, with jitter. */
  backoffMs: number;
  /** Never wait longer than this for one back-off (a vendor asking for an hour fails the job instead). */
  maxWaitMs: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = {
  concurrency: 4,
  intervalCap: 10,
  intervalMs: 1000,
  timeoutMs: 30_000,
  maxRetries: 5,
  backoffMs: 500,
  maxWaitMs: 120_000,
};

export interface LimitedFetchDeps {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
  onRetry?: (info: { url: string; attempt: number; waitMs: number; reason: string }) => void;
  /**
   * The connection's caps as shared with other threads (default: this fetch's own). A sync reading
   * in the connector thread (change-thread.ts) is given the connection's, so that its limit holds
   * for all the connection's requests together.
   */
  shared?: SharedLimit;
}

export interface LimitedFetch {
  fetch: typeof fetch;
  /** Requests sent to the vendor, retries included. */
  readonly stats: { requests: number; retries: number; rateLimited: number };
  /** The limits this fetch was made with. */
  readonly options: RateLimitOptions;
  /** Its caps, in memory other threads can share. */
  readonly shared: SharedLimit;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
/** Statuses whose Response may not carry a body. */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** A 429, or a 403 that is GitHub's primary or secondary rate limit rather than a refusal. */
async function isRateLimited(response: Response): Promise<boolean> {
  if (response.status === 429) return true;
  if (response.status !== 403) return false;
  if (response.headers.get('retry-after') !== null || response.headers.get('x-ratelimit-remaining') === '0') return true;
  const text = await response.clone().text().catch(() => '');
  return /rate limit/i.test(text);
}

export function createLimitedFetch(options: Partial<RateLimitOptions> = {}, deps: LimitedFetchDeps = {}): LimitedFetch {
  const opts = { ...DEFAULT_RATE_LIMIT, ...options };
  const baseFetch = deps.fetch ?? globalThis.fetch;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const queue = new PQueue({ concurrency: opts.concurrency, intervalCap: opts.intervalCap, interval: opts.intervalMs });
  const stats = { requests: 0, retries: 0, rateLimited: 0 };
  // This thread's requests queue here in order (p-queue); each attempt then also takes a turn of
  // the caps shared with the connection's other threads, and a rate-limit answer holds them all back.
  const shared = deps.shared ?? SharedLimit.create(opts, now);

  /**
   * Waits out the hold-back, then takes a turn. A hold-back set while it waited for the turn (another
   * request's or thread's 429) is waited out too: the turn is given back meanwhile, since a turn
   * kept asleep would hold a slot in flight for nothing and then start uncounted in a later interval.
   */
  const takeTurn = async (): Promise<void> => {
    let waitedOut = -Infinity;
    for (;;) {
      const until = shared.pausedUntil;
      if (until > waitedOut) {
        const wait = until - now();
        if (wait > 0) await sleep(wait);
        // Waited out by this fetch's clock: the same hold-back is not waited for twice.
        waitedOut = until;
      }
      await shared.acquire();
      const heldUntil = shared.pausedUntil;
      if (heldUntil <= waitedOut || heldUntil <= now()) return;
      shared.release();
    }
  };

  const attempt = async (input: string | URL | Request, init: RequestInit | undefined): Promise<Response> => {
    await takeTurn();
    try {
      return await send(input, init);
    } finally {
      shared.release();
    }
  };

  const send = async (input: string | URL | Request, init: RequestInit | undefined): Promise<Response> => {
    stats.requests++;
    // One controller for the timeout and the caller's signal: on Node 20 every AbortSignal costs a
    // structured-clone set-up, and AbortSignal.timeout plus AbortSignal.any made two more a request
    // (measurable in a webhook burst).
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), opts.timeoutMs);
    timer.unref();
    const callerSignal = init?.signal ?? null;
    const onCallerAbort = (): void => controller.abort(callerSignal?.reason);
    if (callerSignal?.aborted) onCallerAbort();
    else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      const request = input instanceof Request ? input.clone() : input;
      const response = await baseFetch(request, { ...init, signal: controller.signal });
      // The body is read here, under the same timeout: a connection cut or stalled mid-body is then a
      // transient failure retried like any other, not an error in whoever reads the body later.
      const body = NULL_BODY_STATUSES.has(response.status) ? null : await response.arrayBuffer();
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    }
  };

  const limitedFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const url = input instanceof Request ? input.url : String(input);
    const repeatable = IDEMPOTENT.has(method);
    for (let tryNo = 0; ; tryNo++) {
      let response: Response | null = null;
      let failure: unknown = null;
      try {
        response = await queue.add(() => attempt(input, init));
      } catch (error) {
        if (init?.signal?.aborted) throw error; // the caller gave up
        failure = error;
      }
      const last = tryNo >= opts.maxRetries;
      if (response && (await isRateLimited(response))) {
        stats.rateLimited++;
        if (last) return response;
        const asked = retryAfterMs(response.headers, now());
        const waitMs = Math.min(asked ?? opts.backoffMs * 2 ** tryNo, opts.maxWaitMs);
        if (asked !== null && asked > opts.maxWaitMs) return response; // let the job retry much later
        shared.holdBack(now() + waitMs);
        await response.body?.cancel().catch(() => undefined);
        stats.retries++;
        deps.onRetry?.({ url, attempt: tryNo + 1, waitMs, reason: `rate limited (${response.status})` });
        continue; // the attempt itself waits for pausedUntil
      }
      const transient = failure !== null || (response !== null && response.status >= 500);
      if (!transient) return response!;
      if (last || !repeatable) {
        if (response) return response;
        throw failure;
      }
      const waitMs = Math.min(opts.backoffMs * 2 ** tryNo * (0.5 + random()), opts.maxWaitMs);
      await response?.body?.cancel().catch(() => undefined);
      stats.retries++;
      deps.onRetry?.({ url, attempt: tryNo + 1, waitMs, reason: response ? `HTTP ${response.status}` : String(failure) });
      await sleep(waitMs);
    }
  };

  return {
    fetch: limitedFetch as typeof fetch,
    stats,
    options: opts,
    shared,
  };
}
