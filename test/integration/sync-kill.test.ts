// Issue 3 acceptance: "A worker killed with SIGKILL mid-sync resumes from its cursor and ends
// identical". A child process (sync-child.ts) syncs the fake GitHub into a store both processes can
// reach, and is killed with SIGKILL after a few committed pages; this process then finds a saved
// cursor and a partial store, syncs again to the end, and must hold exactly the store of an
// undisturbed run into a fresh database (cases, events, SLA states, cursor), at one fixed `now`.
// Stores: Postgres (a fresh database, when DATABASE_URL is set) and PGlite on disk.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { migrateDatabase, openDatabase } from '../../src/store/db.ts';
import { getConnectionByName } from '../../src/store/connections-repo.ts';
import { cases } from '../../src/store/schema/index.ts';
import { getSyncCursor } from '../../src/store/sync-cursors-repo.ts';
import { applyConfig } from '../../src/sync/config.ts';
import { loadConnectionRuntime } from '../../src/sync/connection.ts';
import { runSync } from '../../src/sync/run-sync.ts';
import { startFakeGithub } from '../fakes/github/server.ts';
import type { FakeGithub } from '../fakes/github/server.ts';
import { generateWorld } from '../fakes/github/world.ts';
import { storeBackends } from '../helpers/db.ts';
import { PIPELINE_ENV, REPOS, pipelineConfig } from '../helpers/github-pipeline.ts';
import { storeSnapshot } from '../helpers/snapshot.ts';

const CHILD_SCRIPT = fileURLToPath(new URL('./sync-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Committed pages before the kill; the child idles PAGE_DELAY_MS after each, the kill comes KILL_DELAY_MS after the line. */
const PAGES_BEFORE_KILL = 3;
const PAGE_DELAY_MS = 150;
const KILL_DELAY_MS = 200;

interface KilledChild {
  /** The `page N cases M` lines it printed. */
  pages: string[];
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
}

/** Runs the child on `store` and kills it with SIGKILL once it has printed PAGES_BEFORE_KILL pages. */
async function syncAndKill(store: string, fakeUrl: string, nowMs: number): Promise<KilledChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD_SCRIPT, store, fakeUrl, String(nowMs), String(PAGE_DELAY_MS)], {
    cwd: ROOT,
    env: { ...process.env, ...PIPELINE_ENV },
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

async function caseCount(handle: DatabaseHandle): Promise<number> {
  const connection = await getConnectionByName(handle.db, 'gh-main');
  return (await handle.db.select({ n: count() }).from(cases).where(eq(cases.connectionId, connection!.id)))[0]!.n;
}

async function snapshotOf(handle: DatabaseHandle) {
  const connection = await getConnectionByName(handle.db, 'gh-main');
  return storeSnapshot(handle.db, connection!.id);
}

/** How a variant gives the child its store, and takes it back after the kill. */
interface KillStore {
  /** A postgres:// URL or an on-disk PGlite data dir, configured for the fake. */
  childStore: string;
  /** This process's handle on the store after the kill. */
  afterKill(): Promise<DatabaseHandle>;
  /** A fresh, configured store for the undisturbed run. */
  reference(): Promise<DatabaseHandle>;
  dispose(): Promise<void>;
}

let fake: FakeGithub;
let nowMs: number;
let issueCount: number;

beforeAll(async () => {
  const world = generateWorld({ seed: 31, repositories: REPOS, issuesPerRepo: 300, pullRequestShare: 0.1, bulkSameSecond: 150, longThreadEvery: 60 });
  issueCount = [...world.repos.values()].flatMap((r) => r.issues).filter((i) => !i.isPullRequest).length;
  nowMs = world.clockMs;
  fake = await startFakeGithub({ world });
});
afterAll(async () => {
  await fake?.close();
});

function killAndResume(variant: () => Promise<KillStore>) {
  return async () => {
    const store = await variant();
    const opened: DatabaseHandle[] = [];
    try {
      const killed = await syncAndKill(store.childStore, fake.url, nowMs);
      expect(killed.stderr).not.toMatch(/error/i);
      expect({ signal: killed.signal, code: killed.code }).toEqual({ signal: 'SIGKILL', code: null });
      expect(killed.pages.length).toBeGreaterThanOrEqual(PAGES_BEFORE_KILL);

      const handle = await store.afterKill();
      opened.push(handle);
      const connection = await getConnectionByName(handle.db, 'gh-main');
      const cursor = await getSyncCursor(handle.db, connection!.id);
      expect(cursor?.cursor).not.toBeNull();
      const partial = await caseCount(handle);
      // Every page it reported is stored.
      expect(partial).toBeGreaterThanOrEqual(Number(killed.pages.at(-1)!.split(' ').at(-1)));
      expect(partial).toBeLessThan(issueCount);

      const runtime = await loadConnectionRuntime(handle.db, 'gh-main', { env: PIPELINE_ENV });
      const resumed = await runSync(handle, runtime, { now: () => nowMs });
      // Resumed from the cursor: only what was left (plus at most the page cut short) is fetched again.
      expect(resumed.cases).toBeLessThan(issueCount);
      expect(resumed.cases).toBeGreaterThanOrEqual(issueCount - partial);
      expect(await caseCount(handle)).toBe(issueCount);

      const reference = await store.reference();
      opened.push(reference);
      const boundaries: number[] = [];
      const clean = await runSync(reference, await loadConnectionRuntime(reference.db, 'gh-main', { env: PIPELINE_ENV }), {
        now: () => nowMs,
        onPage: (_page, progress) => void boundaries.push(progress.cases),
      });
      expect(clean.cases).toBe(issueCount);
      // The page the kill cut short, if any, is not half there: the store held whole pages.
      expect(boundaries).toContain(partial);

      const [after, expected] = await Promise.all([snapshotOf(handle), snapshotOf(reference)]);
      expect(after.cases.length).toBe(issueCount);
      expect(after).toEqual(expected);
      expect(fake.violations).toEqual([]);
      console.info(
        `sigkill on ${handle.kind}: killed after "${killed.pages.at(-1)}" with ${partial}/${issueCount} cases stored; ` +
          `the resumed sync fetched ${resumed.cases} in ${resumed.pages} pages (undisturbed: ${clean.pages} pages)`,
      );
    } finally {
      for (const handle of opened) await handle.close();
      await store.dispose();
    }
  };
}

describe.runIf(process.env.DATABASE_URL)('a sync killed with SIGKILL on Postgres', () => {
  it(
    'resumes from its cursor and ends identical to an undisturbed run',
    killAndResume(async () => {
      const backend = storeBackends().find((b) => b.name === 'postgres')!;
      const handle = await backend.open();
      if (handle.kind !== 'postgres') throw new Error('expected a Postgres store');
      await applyConfig(handle, pipelineConfig(fake.url));
      return {
        childStore: handle.url,
        afterKill: async () => handle,
        reference: async () => {
          const reference = await backend.open();
          await applyConfig(reference, pipelineConfig(fake.url));
          return reference;
        },
        // Closing a handle drops its database: the test closes both.
        dispose: async () => undefined,
      };
    }),
    120_000,
  );
});

describe('a sync killed with SIGKILL on PGlite on disk', () => {
  it(
    'reopens, resumes from its cursor and ends identical to an undisturbed run',
    killAndResume(async () => {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sla-sync-kill-'));
      // PGlite is one process's database: configure it, close it, and let the child have it.
      const setup = await openDatabase({ dataDir });
      await migrateDatabase(setup);
      await applyConfig(setup, pipelineConfig(fake.url));
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
          await applyConfig(reference, pipelineConfig(fake.url));
          return reference;
        },
        dispose: () => rm(dataDir, { recursive: true, force: true }),
      };
    }),
    120_000,
  );
});
