// The worker the SIGKILL tests (sync-kill.test.ts, vendor-sync-kill.test.ts) kill mid-sync, run as
// `node --import tsx test/integration/sync-child.ts STORE FAKE_URL NOW_MS [PAGE_DELAY_MS] [CONNECTION] [BASE_URL_KEY]`.
// STORE is a postgres:// URL or the data dir of an on-disk PGlite. It syncs the store's CONNECTION
// (default `gh-main`, whose config.BASE_URL_KEY, default `baseUrl`, must be FAKE_URL) from its cursor
// at the fixed instant NOW_MS, printing `page N cases M` after each committed page (then idling
// PAGE_DELAY_MS, so that a kill lands mid-sync) and `done ...` at the end.
import { setTimeout as sleep } from 'node:timers/promises';
import { openDatabase } from '../../src/store/db.ts';
import { loadConnectionRuntime } from '../../src/sync/connection.ts';
import { runSync } from '../../src/sync/run-sync.ts';

const [store, fakeUrl, nowArg, delayArg = '150', connection = 'gh-main', baseUrlKey = 'baseUrl'] = process.argv.slice(2);
const nowMs = Number(nowArg);
if (!store || !fakeUrl || !Number.isFinite(nowMs)) {
  process.stderr.write('usage: sync-child.ts STORE FAKE_URL NOW_MS [PAGE_DELAY_MS] [CONNECTION] [BASE_URL_KEY]\n');
  process.exit(2);
}

const handle = /^postgres(ql)?:\/\//.test(store) ? await openDatabase({ url: store, maxConnections: 2 }) : await openDatabase({ dataDir: store });
try {
  const runtime = await loadConnectionRuntime(handle.db, connection);
  const baseUrl = (runtime.config as Record<string, unknown>)[baseUrlKey];
  // A child pointed at another API than its parent's fake would compare two different worlds.
  if (baseUrl !== fakeUrl) throw new Error(`${connection} talks to ${String(baseUrl)}, not to the fake at ${fakeUrl}`);
  const result = await runSync(handle, runtime, {
    now: () => nowMs,
    onPage: async (_page, progress) => {
      process.stdout.write(`page ${progress.pages} cases ${progress.cases}\n`);
      await sleep(Number(delayArg));
    },
  });
  process.stdout.write(`done pages ${result.pages} cases ${result.cases}\n`);
} finally {
  await handle.close();
}
