// The thread side of change-thread.ts: runs connectors' fetchChanges and posts their pages back.
// Each request takes its turn from the connection's caps shared with the sync's thread
// (SharedLimit), so the thread adds reading and parsing capacity, never requests beyond the limit.
import { parentPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { connectorFor } from '../connectors/registry.ts';
import type { ConnectorContext, Source } from '../connectors/types.ts';
import type { RateLimitOptions } from './http.ts';
import { createLimitedFetch } from './http.ts';
import { SharedLimit } from './shared-limit.ts';
import type { FromThread, ToThread } from './change-thread-protocol.ts';
import { errorToWire } from './change-thread-protocol.ts';

interface Stream {
  credit: number;
  wake: (() => void) | null;
  abort: AbortController;
}

const port = parentPort as MessagePort;
const streams = new Map<number, Stream>();

const post = (message: FromThread): void => port.postMessage(message);

async function run(id: number, source: Source, config: unknown, limits: RateLimitOptions, shared: SharedArrayBuffer, cursor: string | null): Promise<void> {
  const stream: Stream = { credit: 0, wake: null, abort: new AbortController() };
  streams.set(id, stream);
  const http = createLimitedFetch(limits, { shared: SharedLimit.attach(shared, limits) });
  const ctx: ConnectorContext = {
    fetch: http.fetch,
    signal: stream.abort.signal,
    log: (message, fields) => post({ t: 'log', id, message, ...(fields === undefined ? {} : { fields }) }),
  };
  try {
    for await (const page of connectorFor(source).fetchChanges(config, cursor, ctx)) {
      while (stream.credit === 0 && !stream.abort.signal.aborted) await new Promise<void>((wake) => (stream.wake = wake));
      if (stream.abort.signal.aborted) break;
      stream.credit--;
      post({ t: 'page', id, page, stats: { ...http.stats } });
    }
    post({ t: 'end', id, stats: { ...http.stats } });
  } catch (error) {
    post({ t: 'error', id, error: errorToWire(error), stats: { ...http.stats } });
  } finally {
    streams.delete(id);
  }
}

port.on('message', (message: ToThread) => {
  switch (message.t) {
    case 'start':
      void run(message.id, message.source, message.config, message.limits, message.shared, message.cursor);
      break;
    case 'credit': {
      const stream = streams.get(message.id);
      if (!stream) break;
      stream.credit += message.pages;
      stream.wake?.();
      stream.wake = null;
      break;
    }
    case 'stop': {
      const stream = streams.get(message.id);
      if (!stream) break;
      stream.abort.abort(new Error('the sync stopped reading'));
      stream.wake?.();
      break;
    }
  }
});
