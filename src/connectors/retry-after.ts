// How long a vendor asks us to wait. Shared by connectors (which map a 429 to a ConnectorError with
// retryAfterMs) and by the rate-limited fetch in src/sync/http.ts.

/** Milliseconds the vendor asks us to wait, from Retry-After (seconds or HTTP date) or a reset time. */
export function retryAfterMs(headers: Headers, nowMs: number): number | null {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - nowMs);
  }
  // GitHub: x-ratelimit-reset (epoch seconds) when x-ratelimit-remaining is 0.
  const reset = headers.get('x-ratelimit-reset');
  if (reset !== null && headers.get('x-ratelimit-remaining') === '0') {
    const at = Number(reset) * 1000;
    if (Number.isFinite(at)) return Math.max(0, at - nowMs);
  }
  return null;
}
