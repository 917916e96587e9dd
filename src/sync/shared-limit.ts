// A connection's request caps in memory that threads share (SharedArrayBuffer): how many requests
// are in flight, how many started in the current interval, and until when a rate-limit answer
// holds the connection back. The sync's connector thread (change-thread.ts) and this thread's
// webhook refreshes and writebacks take their turns from the same one, so the connection's limit
// holds for all of them together, and neither thread waits for the other's event loop to get a
// turn (the embedded database keeps this thread busy for tens of milliseconds at a time).
//
// Every change happens under a tiny spin lock (a handful of instructions, never across an await).

const LOCK = 0;
const IN_FLIGHT = 1;
const STARTED = 2;
const MOST_IN_FLIGHT = 3;
const INT_SLOTS = 4;
const WINDOW_START = 0;
const PAUSED_UNTIL = 1;

/** Atomics.waitAsync (Node 16+; in TypeScript's lib from es2024 on, newer than this project's target). */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

export interface SharedLimitOptions {
  concurrency: number;
  intervalCap: number;
  intervalMs: number;
}

export class SharedLimit {
  private readonly ints: Int32Array;
  private readonly times: Float64Array;

  private constructor(
    readonly buffer: SharedArrayBuffer,
    readonly options: SharedLimitOptions,
    private readonly now: () => number,
  ) {
    this.ints = new Int32Array(buffer, 0, INT_SLOTS);
    this.times = new Float64Array(buffer, INT_SLOTS * 4, 2);
  }

  static create(options: SharedLimitOptions, now: () => number = Date.now): SharedLimit {
    return new SharedLimit(new SharedArrayBuffer(INT_SLOTS * 4 + 2 * 8), options, now);
  }

  /** The same limit, in another thread (its buffer was posted there). */
  static attach(buffer: SharedArrayBuffer, options: SharedLimitOptions, now: () => number = Date.now): SharedLimit {
    return new SharedLimit(buffer, options, now);
  }

  private locked<T>(fn: () => T): T {
    while (Atomics.compareExchange(this.ints, LOCK, 0, 1) !== 0) {
      // Another thread is inside a few instructions; spin.
    }
    try {
      return fn();
    } finally {
      Atomics.store(this.ints, LOCK, 0);
    }
  }

  /**
   * Takes a turn, or says how long to wait before asking again: until the interval rolls over, or
   * (-1) until a request in flight ends. (The hold-back is the caller's to wait out: see pausedUntil.)
   */
  tryAcquire(): number {
    return this.locked(() => {
      const now = this.now();
      if (now - this.times[WINDOW_START]! >= this.options.intervalMs) {
        this.times[WINDOW_START] = now;
        this.ints[STARTED] = 0;
      }
      if (this.ints[STARTED]! >= this.options.intervalCap) return Math.max(1, this.times[WINDOW_START]! + this.options.intervalMs - now);
      if (this.ints[IN_FLIGHT]! >= this.options.concurrency) return -1;
      this.ints[STARTED] = this.ints[STARTED]! + 1;
      const inFlight = (this.ints[IN_FLIGHT] = this.ints[IN_FLIGHT]! + 1);
      if (inFlight > this.ints[MOST_IN_FLIGHT]!) this.ints[MOST_IN_FLIGHT] = inFlight;
      return 0;
    });
  }

  /** Waits for a turn (release() must follow, once the request is over). */
  async acquire(): Promise<void> {
    for (;;) {
      const wait = this.tryAcquire();
      if (wait === 0) return;
      if (wait > 0) {
        await new Promise<void>((resolve) => setTimeout(resolve, wait));
        continue;
      }
      // Full: woken when any thread releases a turn (or after a while, to look again).
      const seen = Atomics.load(this.ints, IN_FLIGHT);
      if (seen < this.options.concurrency) continue;
      const waited = waitAsync(this.ints, IN_FLIGHT, seen, 50);
      if (waited.async) await waited.value;
    }
  }

  release(): void {
    this.locked(() => {
      this.ints[IN_FLIGHT] = this.ints[IN_FLIGHT]! - 1;
    });
    Atomics.notify(this.ints, IN_FLIGHT);
  }

  /** Holds every thread's requests back until then (a rate-limit answer). */
  holdBack(untilMs: number): void {
    this.locked(() => {
      if (untilMs > this.times[PAUSED_UNTIL]!) this.times[PAUSED_UNTIL] = untilMs;
    });
  }

  get pausedUntil(): number {
    return this.locked(() => this.times[PAUSED_UNTIL]!);
  }

  /** The most requests ever in flight at once, over every thread (tests, diagnostics). */
  get mostInFlight(): number {
    return Atomics.load(this.ints, MOST_IN_FLIGHT);
  }
}
