// What the SIGKILL tests share (sync-kill.test.ts for GitHub, vendor-sync-kill.test.ts for Jira and
// Zendesk): a child process (test/integration/sync-child.ts) syncs one connection of a store both
// processes can reach and is killed with SIGKILL after a few committed pages; this process then finds
// a saved cursor and a partial store, syncs again to the end, and must hold exactly the store of an
// undisturbed run into a fresh database (cases, events, SLA states, cursor), at one fixed `now`.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { count, eq } from 'drizzle-orm';
import { expect } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { migrateDatabase, openDatabase } from '../../src/store/db.ts';
import { getConnectionByName } from '../../src/store/connections-repo.ts';
import { cases } from '../../src/store/schema/index.ts';
import { getSyncCursor } from '../../src/store/sync-cursors-repo.ts';
import { loadConnectionRuntime } from '../../src/sync/connection.ts';
import { runSync } from '../../src/sync/run-sync.ts';
import { storeBackends } from './db.ts';
import { snapshotOf } from './vendor-pipeline.ts';

const CHILD_SCRIPT = fileURLToPath(new URL('../integration/sync-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Committed pages before the kill; the child idles PAGE_DELAY_MS after each, the kill comes KILL_DELAY_MS after the line. */
export const PAGES_BEFORE_KILL = 3;
const PAGE_DELAY_MS = 150;
const KILL_DELAY_MS = 200;

/** The connection a kill test syncs, and the fake it syncs from. Read when the test runs (after beforeAll). */
export interface KillScenario {
  /** The connection's name in the store. */
  connection: string;
  /** The key of its config that holds the fake's URL (baseUrl, siteUrl), which the child checks. */
  baseUrlKey: string;
  /** Variables its config's env: references need. */
  env: Record<string, string>;
  fakeUrl: string;
  nowMs: number;
  /** Cases a full sync stores. */
  caseCount: number;
  /** The fake's record of requests it refused. */
  violations: readonly unknown[];
}

export interface KilledChild {
  /** The `page N cases M` lines it printed. */
  pages: string[];
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
}

/** Runs the child on `store` and kills it with SIGKILL once it has printed PAGES_BEFORE_KILL pages. */
export async function syncAndKill(store: string, scenario: KillScenario): Promise<KilledChild> {
  const args = [CHILD_SCRIPT, store, scenario.fakeUrl, String(scenario.nowMs), String(PAGE_DELAY_MS), scenario.connection, scenario.baseUrlKey];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...scenario.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pages: string[] = [];
  let stderr = '';
  let buffered = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('page ')) continue;
      pages.push(line);
      if (pages.length === PAGES_BEFORE_KILL) setTimeout(() => child.kill('SIGKILL'), KILL_DELAY_MS);
    }
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { pages, signal, code, stderr };
}

async function connectionId(handle: DatabaseHandle, name: string): Promise<number> {
  const connection = await getConnectionByName(handle.db, name);
  if (!connection) throw new Error(`no connection ${name} in the store`);
  return connection.id;
}

export async function caseCount(handle: DatabaseHandle, connection: string): Promise<number> {
  const id = await connectionId(handle, connection);
  return (await handle.db.select({ n: count() }).from(cases).where(eq(cases.connectionId, id)))[0]!.n;
}

/** How a variant gives the child its store, and takes it back after the kill. */
export interface KillStore {
  /** A postgres:// URL or an on-disk PGlite data dir, configured for the fake. */
  childStore: string;
  /** This process's handle on the store after the kill. */
  afterKill(): Promise<DatabaseHandle>;
  /** A fresh, configured store for the undisturbed run. */
  reference(): Promise<DatabaseHandle>;
  dispose(): Promise<void>;
}

/** Applies the scenario's config to a fresh store. */
export type ConfigureStore = (handle: DatabaseHandle) => Promise<unknown>;

/** A fresh Postgres database (DATABASE_URL's server) the child connects to by URL. */
export function postgresKillStore(configure: ConfigureStore): () => Promise<KillStore> {
  return async () => {
    const backend = storeBackends().find((b) => b.name === 'postgres')!;
    const handle = await backend.open();
    if (handle.kind !== 'postgres') throw new Error('expected a Postgres store');
    await configure(handle);
    return {
      childStore: handle.url,
      afterKill: async () => handle,
      reference: async () => {
        const reference = await backend.open();
        await configure(reference);
        return reference;
      },
      // Closing a handle drops its database: the test closes both.
      dispose: async () => undefined,
    };
  };
}

/** An on-disk PGlite the child opens after this process configured and closed it. */
export function pgliteKillStore(configure: ConfigureStore): () => Promise<KillStore> {
  return async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sla-sync-kill-'));
    // PGlite is one process's database: configure it, close it, and let the child have it.
    const setup = await openDatabase({ dataDir });
    await migrateDatabase(setup);
    await configure(setup);
    await setup.close();
    return {
      childStore: dataDir,
      afterKill: async () => {
        const handle = await openDatabase({ dataDir });
        await migrateDatabase(handle);
        return handle;
      },
      reference: async () => {
        const reference = await openDatabase({ memory: true });
        await migrateDatabase(reference);
        await configure(reference);
        return reference;
      },
      dispose: () => rm(dataDir, { recursive: true, force: true }),
    };
  };
}

/** The test: kill the child mid-sync, resume here from its cursor, compare with an undisturbed run. */
export function killAndResume(scenarioOf: () => KillScenario, variant: () => Promise<KillStore>) {
  return async () => {
    const scenario = scenarioOf();
    const { connection, env, nowMs } = scenario;
    const total = scenario.caseCount;
    const store = await variant();
    const opened: DatabaseHandle[] = [];
    try {
      const killed = await syncAndKill(store.childStore, scenario);
      expect(killed.stderr).not.toMatch(/error/i);
      expect({ signal: killed.signal, code: killed.code }).toEqual({ signal: 'SIGKILL', code: null });
      expect(killed.pages.length).toBeGreaterThanOrEqual(PAGES_BEFORE_KILL);

      const handle = await store.afterKill();
      opened.push(handle);
      const cursor = await getSyncCursor(handle.db, await connectionId(handle, connection));
      expect(cursor?.cursor).not.toBeNull();
      const partial = await caseCount(handle, connection);
      // Every page it reported is stored.
      expect(partial).toBeGreaterThanOrEqual(Number(killed.pages.at(-1)!.split(' ').at(-1)));
      expect(partial).toBeLessThan(total);

      const runtime = await loadConnectionRuntime(handle.db, connection, { env });
      const resumed = await runSync(handle, runtime, { now: () => nowMs });
      // Resumed from the cursor: only what was left (plus at most the page cut short) is fetched again.
      expect(resumed.cases).toBeLessThan(total);
      expect(resumed.cases).toBeGreaterThanOrEqual(total - partial);
      expect(await caseCount(handle, connection)).toBe(total);

      const reference = await store.reference();
      opened.push(reference);
      const boundaries: number[] = [];
      const clean = await runSync(reference, await loadConnectionRuntime(reference.db, connection, { env }), {
        now: () => nowMs,
        onPage: (_page, progress) => void boundaries.push(progress.cases),
      });
      expect(clean.cases).toBe(total);
      // The page the kill cut short, if any, is not half there: the store held whole pages.
      expect(boundaries).toContain(partial);

      const [after, expected] = await Promise.all([snapshotOf(handle, connection), snapshotOf(reference, connection)]);
      expect(after.cases.length).toBe(total);
      expect(after).toEqual(expected);
      expect(scenario.violations).toEqual([]);
      console.info(
        `sigkill of ${connection} on ${handle.kind}: killed after "${killed.pages.at(-1)}" with ${partial}/${total} cases stored; ` +
          `the resumed sync fetched ${resumed.cases} in ${resumed.pages} pages (undisturbed: ${clean.pages} pages)`,
      );
    } finally {
      for (const handle of opened) await handle.close();
      await store.dispose();
    }
  };
}
