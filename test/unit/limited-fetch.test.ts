import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLimitedFetch, retryAfterMs } from '../../src/sync/http.ts';
import { SharedLimit } from '../../src/sync/shared-limit.ts';

// A loopback server that answers from a script: each path gets its list of answers in turn.
const script = new Map<string, { status: number; headers?: Record<string, string>; body?: string; delayMs?: number }[]>();
const seen: { path: string; method: string; at: number }[] = [];
let base = '';
const server = createServer((req, res) => {
  seen.push({ path: req.url!, method: req.method!, at: Date.now() });
  const answers = script.get(req.url!) ?? [];
  const answer = answers.shift() ?? { status: 200, body: '{"ok":true}' };
  setTimeout(() => {
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.body ?? '{}');
  }, answer.delayMs ?? 0);
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function harness(options = {}) {
  const waits: number[] = [];
  const limited = createLimitedFetch({ backoffMs: 10, ...options }, {
    sleep: async (ms) => void waits.push(ms),
    random: () => 0.5,
  });
  return { ...limited, waits };
}

describe('rate-limited fetch', () => {
  it('reads Retry-After in seconds and as a date, and x-ratelimit-reset', () => {
    const now = Date.parse('2026-11-27T12:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': '7' }), now)).toBe(7000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Fri, 27 Nov 2026 12:00:30 GMT' }), now)).toBe(30_000);
    expect(retryAfterMs(new Headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 60) }), now)).toBe(60_000);
    expect(retryAfterMs(new Headers({ 'x-ratelimit-remaining': '10', 'x-ratelimit-reset': String(now / 1000 + 60) }), now)).toBeNull();
  });

  it('waits as long as a 429 asks, then succeeds', async () => {
    script.set('/a', [{ status: 429, headers: { 'retry-after': '3' } }]);
    const h = harness();
    const response = await h.fetch(`${base}/a`);
    expect(response.status).toBe(200);
    expect(h.waits.some((w) => w > 2900 && w <= 3000)).toBe(true);
    expect(h.stats).toMatchObject({ requests: 2, retries: 1, rateLimited: 1 });
  });

  it('treats a GitHub secondary rate limit (403) as a limit, not a refusal', async () => {
    script.set('/b', [{ status: 403, body: '{"message":"You have exceeded a secondary rate limit"}' }]);
    const h = harness();
    expect((await h.fetch(`${base}/b`)).status).toBe(200);
    expect(h.stats.rateLimited).toBe(1);
    script.set('/c', [{ status: 403, body: '{"message":"Resource not accessible by integration"}' }]);
    expect((await h.fetch(`${base}/c`)).status).toBe(403);
  });

  it('retries 5xx and timeouts for GETs with growing backoff', async () => {
    script.set('/d', [{ status: 502 }, { status: 500 }, { status: 200, delayMs: 300 }, { status: 200, body: '{"n":4}' }]);
    const h = harness({ timeoutMs: 150 });
    const response = await h.fetch(`${base}/d`);
    expect(await response.json()).toEqual({ n: 4 });
    expect(h.waits).toEqual([10, 20, 40]);
  });

  it("stops at once, unretried, when the caller's signal aborts (before or during the request)", async () => {
    script.set('/caller-abort', [{ status: 200, delayMs: 2000 }]);
    const h = harness({ timeoutMs: 10_000 });
    const controller = new AbortController();
    const pending = h.fetch(`${base}/caller-abort`, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('the job was cancelled')), 50);
    await expect(pending).rejects.toThrow('the job was cancelled');
    expect(h.stats).toMatchObject({ requests: 1, retries: 0 });
    const already = AbortSignal.abort(new Error('cancelled before'));
    await expect(h.fetch(`${base}/caller-abort-2`, { signal: already })).rejects.toThrow('cancelled before');
  });

  it('never repeats a POST that may have reached the vendor, but does repeat one refused by a limit', async () => {
    script.set('/e', [{ status: 500 }]);
    const h = harness();
    expect((await h.fetch(`${base}/e`, { method: 'POST', body: '{}' })).status).toBe(500);
    expect(seen.filter((s) => s.path === '/e')).toHaveLength(1);
    script.set('/f', [{ status: 429, headers: { 'retry-after': '0' } }]);
    expect((await h.fetch(`${base}/f`, { method: 'POST', body: '{}' })).status).toBe(200);
    expect(seen.filter((s) => s.path === '/f')).toHaveLength(2);
  });

  it('gives up after maxRetries and returns the last answer', async () => {
    script.set('/g', Array.from({ length: 5 }, () => ({ status: 503 })));
    const h = harness({ maxRetries: 2 });
    expect((await h.fetch(`${base}/g`)).status).toBe(503);
    expect(seen.filter((s) => s.path === '/g')).toHaveLength(3);
  });

  it('caps requests per interval', async () => {
    const limited = createLimitedFetch({ intervalCap: 2, intervalMs: 200, concurrency: 10 });
    const start = Date.now();
    seen.length = 0;
    await Promise.all(Array.from({ length: 6 }, (_, i) => limited.fetch(`${base}/h${i}`)));
    const starts = seen.map((s) => s.at - start).sort((a, b) => a - b);
    // Six requests at two per 200 ms: the last two cannot start before 400 ms.
    expect(starts[4]!).toBeGreaterThanOrEqual(380);
  });
  it('shares its caps: two fetches on one SharedLimit stay within one concurrency, and a 429 holds both back', async () => {
    script.set('/shared-slow-1', [{ status: 200, delayMs: 40 }]);
    script.set('/shared-slow-2', [{ status: 200, delayMs: 40 }]);
    script.set('/shared-slow-3', [{ status: 200, delayMs: 40 }]);
    const one = createLimitedFetch({ concurrency: 1, intervalCap: 1000, intervalMs: 1000 });
    const other = createLimitedFetch({ concurrency: 1, intervalCap: 1000, intervalMs: 1000 }, { shared: SharedLimit.attach(one.shared.buffer, one.options) });
    await Promise.all([one.fetch(`${base}/shared-slow-1`), other.fetch(`${base}/shared-slow-2`), other.fetch(`${base}/shared-slow-3`)]);
    expect(one.shared.mostInFlight).toBe(1);

    script.set('/shared-429', [{ status: 429, headers: { 'retry-after': '2' } }]);
    const waits: number[] = [];
    const third = createLimitedFetch({ backoffMs: 10 }, { shared: SharedLimit.attach(one.shared.buffer, one.options), sleep: async (ms) => void waits.push(ms) });
    const before = Date.now();
    expect((await third.fetch(`${base}/shared-429`)).status).toBe(200);
    expect(one.shared.pausedUntil).toBeGreaterThanOrEqual(before + 1900);
    // The first fetch, in the same connection, now waits out the same hold-back before it sends.
    const oneWaits: number[] = [];
    const again = createLimitedFetch({}, { shared: one.shared, sleep: async (ms) => void oneWaits.push(ms) });
    await again.fetch(`${base}/after-hold`);
    expect(oneWaits[0]).toBeGreaterThan(1000);
  });

  it('checks the hold-back again once it has its turn: a request waiting for a turn does not start before a hold-back set meanwhile', async () => {
    // An injected clock that only sleeping moves, and a fetch that answers when told: no timing here.
    let clock = 1_000_000;
    const sleeps: number[] = [];
    const sleep = async (ms: number) => {
      sleeps.push(ms);
      clock += ms;
    };
    const options = { concurrency: 1, intervalCap: 1000, intervalMs: 1000 };
    const shared = SharedLimit.create(options, () => clock);
    const started: { url: string; at: number }[] = [];
    let answerFirst = () => {};
    const firstAnswered = new Promise<void>((resolve) => (answerFirst = resolve));
    const fakeFetch = (async (input: string | URL | Request) => {
      const url = String(input);
      started.push({ url, at: clock });
      if (url.endsWith('/first')) await firstAnswered;
      return new Response('{}', { status: 200 });
    }) as typeof fetch;
    const deps = { fetch: fakeFetch, sleep, now: () => clock, shared };
    const one = createLimitedFetch(options, deps);
    const other = createLimitedFetch(options, deps);

    const first = one.fetch('http://vendor.test/first');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(started.map((s) => s.url)).toEqual(['http://vendor.test/first']);
    // The second finds no hold-back and waits for the one turn the first holds.
    const second = other.fetch('http://vendor.test/second');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(started).toHaveLength(1);
    expect(sleeps).toEqual([]);
    // Meanwhile a rate-limit answer elsewhere holds the connection back 5 s, then the turn frees.
    const heldUntil = clock + 5000;
    shared.holdBack(heldUntil);
    answerFirst();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);

    expect(started.map((s) => s.url)).toEqual(['http://vendor.test/first', 'http://vendor.test/second']);
    expect(started[1]!.at).toBeGreaterThanOrEqual(heldUntil);
    expect(sleeps).toEqual([5000]);
    // The turn it gave back while it waited was given back once: nothing is left in flight.
    expect(shared.mostInFlight).toBe(1);
    expect(shared.tryAcquire()).toBe(0);
    shared.release();
  });
});
