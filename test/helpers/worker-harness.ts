// Shared by the tests that run the web app and the workers on one store: waiting for what the
// workers do, and the teardown of the listener, the queue, the queue's own schema, the vendor fake
// and the store, each only if it was started.
import type { Server } from 'node:http';
import type { DatabaseHandle } from '../../src/store/db.ts';
import type { JobQueue } from '../../src/sync/queue.ts';

export async function stopWorkerHarness(parts: { server?: Server; queue?: JobQueue; handle?: DatabaseHandle; schema: string; fake?: { close(): Promise<void> } }): Promise<void> {
  const { server, queue, handle, schema, fake } = parts;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await queue?.stop({ timeoutMs: 5000 });
  if (handle?.kind === 'pglite') await handle.client.exec(`drop schema if exists "${schema}" cascade`);
  else if (handle) await handle.client.unsafe(`drop schema if exists "${schema}" cascade`);
  await fake?.close();
  await handle?.close();
}

/** Polls `probe` every 100 ms until it gives a value (undefined: not yet); fails after timeoutMs, naming `what`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
