// A connection runtime whose sync reads pages given beforehand (in the sync's own thread) instead of
// the vendor: the sync-page tests and the bench's store-only row run runSync over them.
import type { ChangePage } from '../../src/connectors/types.ts';
import type { ConnectionRuntime } from '../../src/sync/connection.ts';

/** `runtime` reading `pages`, then failing with `failAfter` when given (a vendor failure after them). */
export function replayingRuntime(runtime: ConnectionRuntime, pages: readonly ChangePage[], failAfter?: Error): ConnectionRuntime {
  return {
    ...runtime,
    readsInThread: false,
    connector: {
      ...runtime.connector,
      fetchChanges: async function* () {
        yield* pages;
        if (failAfter) throw failAfter;
      },
    } as ConnectionRuntime['connector'],
  };
}
