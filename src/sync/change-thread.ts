// A sync reads its vendor in a thread of its own (issue 3, sync throughput). Reading is most of a
// sync's CPU: GitHub sends about 19 KB of JSON per issue on a first sync (each repository event
// carries its whole issue), and parsing, checking and mapping it cost more than storing the case.
// In the sync's own thread that work and the store's took turns; here the connector reads up to
// READ_AHEAD pages ahead on another core while the sync stores, so a sync takes about the longer
// of the two rather than their sum (on the embedded database, whose work is all in this thread,
// that is most of the gain).
//
// The thread runs the connector's fetchChanges with the connection's config and limits. Every
// request attempt takes its turn from the connection's caps in shared memory (SharedLimit, the
// runtime's http.shared), and a rate-limit answer holds them back for every thread, so the
// connection's limit holds for the sync, webhook refreshes and writebacks together, without either
// thread waiting for the other's event loop. One thread per process, started on first use and kept
// (it does not keep the process alive), serves every sync of the process.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ChangePage } from '../connectors/types.ts';
import type { FromThread, HttpStats, ToThread } from './change-thread-protocol.ts';
import { errorFromWire } from './change-thread-protocol.ts';
import type { ConnectionRuntime } from './connection.ts';

/** Pages the thread may read ahead of the sync's store. */
export const READ_AHEAD = 16;

interface Stream {
  pages: ChangePage[];
  done: boolean;
  error: Error | null;
  wake: (() => void) | null;
  runtime: ConnectionRuntime;
  /** What the thread's fetch counted so far, added to the runtime's stats as it grows. */
  counted: HttpStats;
}

/**
 * The thread runs the TypeScript sources as the process does, through tsx (bin/sla-sync.js): its
 * entry is a small bootstrap that registers tsx, then imports change-thread-worker.ts.
 */
function bootstrapSource(): string {
  const require = createRequire(import.meta.url);
  const tsxPackage = require.resolve('tsx/package.json');
  const exportsMap = (require(tsxPackage) as { exports: Record<string, { import: { default: string } }> }).exports;
  const tsxApi = pathToFileURL(path.join(path.dirname(tsxPackage), exportsMap['./esm/api']!.import.default)).href;
  const entry = new URL('./change-thread-worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
}

class ChangeThread {
  private readonly worker: Worker;
  private readonly streams = new Map<number, Stream>();
  private nextId = 1;
  private failed: Error | null = null;

  constructor(onExit: () => void) {
    this.worker = new Worker(bootstrapSource(), { eval: true, stdout: false, stderr: false });
    this.worker.unref();
    this.worker.on('message', (message: FromThread) => this.receive(message));
    const fail = (error: Error): void => {
      this.failed ??= error;
      for (const stream of this.streams.values()) this.finish(stream, this.failed);
      this.streams.clear();
      onExit();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the sync's connector thread exited (code ${code})`)));
  }

  changes(runtime: ConnectionRuntime, cursor: string | null): AsyncIterableIterator<ChangePage> {
    const id = this.nextId++;
    const stream: Stream = { pages: [], done: false, error: null, wake: null, runtime, counted: { requests: 0, retries: 0, rateLimited: 0 } };
    let started = false;
    const start = (): void => {
      if (started) return;
      started = true;
      if (this.failed) return this.finish(stream, this.failed);
      this.streams.set(id, stream);
      if (this.streams.size === 1) this.worker.ref();
      const { connection, config, http } = runtime;
      this.send({ t: 'start', id, source: connection.source, config, limits: http.options, shared: http.shared.buffer, cursor });
      this.send({ t: 'credit', id, pages: READ_AHEAD });
    };
    const stop = (): void => {
      if (!this.streams.has(id)) return;
      this.send({ t: 'stop', id });
      this.forget(id);
      this.finish(stream, null);
    };
    const iterator: AsyncIterableIterator<ChangePage> = {
      next: async () => {
        start();
        while (stream.pages.length === 0 && !stream.done) await new Promise<void>((wake) => (stream.wake = wake));
        const page = stream.pages.shift();
        if (page) {
          if (this.streams.has(id)) this.send({ t: 'credit', id, pages: 1 });
          return { done: false, value: page };
        }
        if (stream.error) throw stream.error;
        return { done: true, value: undefined };
      },
      return: async () => {
        stop();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  private send(message: ToThread): void {
    this.worker.postMessage(message);
  }

  private forget(id: number): void {
    this.streams.delete(id);
    if (this.streams.size === 0) this.worker.unref();
  }

  private finish(stream: Stream, error: Error | null): void {
    stream.done = true;
    stream.error ??= error;
    stream.wake?.();
    stream.wake = null;
  }

  /** The thread's fetch counts its own requests; the runtime's stats count the connection's. */
  private count(stream: Stream, stats: HttpStats): void {
    const total = stream.runtime.http.stats;
    total.requests += stats.requests - stream.counted.requests;
    total.retries += stats.retries - stream.counted.retries;
    total.rateLimited += stats.rateLimited - stream.counted.rateLimited;
    stream.counted = { ...stats };
  }

  private receive(message: FromThread): void {
    const stream = this.streams.get(message.id);
    if (!stream) return; // a sync that stopped reading
    switch (message.t) {
      case 'page':
        this.count(stream, message.stats);
        stream.pages.push(message.page);
        stream.wake?.();
        stream.wake = null;
        break;
      case 'end':
      case 'error':
        this.count(stream, message.stats);
        this.forget(message.id);
        this.finish(stream, message.t === 'error' ? errorFromWire(message.error) : null);
        break;
      case 'log':
        stream.runtime.ctx.log(message.message, message.fields);
        break;
    }
  }
}

let shared: ChangeThread | null = null;

/** The connector's pages since `cursor`, read in the process's connector thread. */
export function changesInThread(runtime: ConnectionRuntime, cursor: string | null): AsyncIterableIterator<ChangePage> {
  shared ??= new ChangeThread(() => {
    shared = null;
  });
  return shared.changes(runtime, cursor);
}
