// runSync's page transactions (src/sync/run-sync.ts): on Postgres page n+1 is stored while page n
// commits, yet pages still commit in order, a page never commits without the one before it, and a
// case in two pages in a row ends as the later page has it. The same assertions hold on PGlite, where
// the pages are stored one after the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseInput, ChangePage } from '../../src/connectors/types.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { getSyncCursor } from '../../src/store/sync-cursors-repo.ts';
import { applyConfig } from '../../src/sync/config.ts';
import { loadConnectionRuntime } from '../../src/sync/connection.ts';
import type { ConnectionRuntime } from '../../src/sync/connection.ts';
import { runSync } from '../../src/sync/run-sync.ts';
import type { SyncProgress } from '../../src/sync/run-sync.ts';
import { startFakeGithub } from '../fakes/github/server.ts';
import type { FakeGithub } from '../fakes/github/server.ts';
import { generateWorld } from '../fakes/github/world.ts';
import { storeBackends } from '../helpers/db.ts';
import { replayingRuntime } from '../helpers/replay-pages.ts';
import { storeSnapshot } from '../helpers/snapshot.ts';
import { PIPELINE_ENV, REPOS, pipelineConfig } from '../helpers/github-pipeline.ts';

const externalIds = (pages: readonly ChangePage[]): string[] => [...new Set(pages.flatMap((p) => p.cases.map((c) => c.externalId)))].sort();

describe.each(storeBackends())('sync page transactions on $name', (backend) => {
  let fake: FakeGithub;
  let nowMs: number;
  /** The world's pages as the connector gives them (more than five). */
  let pages: ChangePage[];
  const handles: DatabaseHandle[] = [];

  async function freshStore(): Promise<{ handle: DatabaseHandle; runtime: ConnectionRuntime }> {
    const handle = await backend.open();
    handles.push(handle);
    await applyConfig(handle, pipelineConfig(fake.url));
    return { handle, runtime: await loadConnectionRuntime(handle.db, 'gh-main', { env: PIPELINE_ENV }) };
  }

  beforeAll(async () => {
    const world = generateWorld({ seed: 11, repositories: REPOS, issuesPerRepo: 320, pullRequestShare: 0.1 });
    fake = await startFakeGithub({ world });
    nowMs = world.clockMs;
    const { runtime } = await freshStore();
    pages = [];
    for await (const page of runtime.connector.fetchChanges(runtime.config, null, runtime.ctx)) pages.push(page);
    expect(pages.length).toBeGreaterThan(5);
  }, 120_000);
  afterAll(async () => {
    for (const handle of handles) await handle.close();
    await fake?.close();
  });

  it('commits every page in order and tells onPage in order, ending as the vendor reads', async () => {
    const { handle, runtime } = await freshStore();
    const seen: SyncProgress[] = [];
    const cursors: (string | null)[] = [];
    const result = await runSync(handle, replayingRuntime(runtime, pages), {
      now: () => nowMs,
      onPage: async (_page, progress) => {
        seen.push(progress);
        cursors.push((await getSyncCursor(handle.db, runtime.connection.id))?.cursor ?? null);
      },
    });
    expect(seen.map((p) => p.pages)).toEqual(pages.map((_, i) => i + 1));
    expect(seen.map((p) => p.cases)).toEqual(pages.map((_, i) => pages.slice(0, i + 1).reduce((n, p) => n + p.cases.length, 0)));
    // When page n is told, it has committed; page n+1 may have committed too, never one further.
    cursors.forEach((cursor, i) => expect([pages[i]!.nextCursor, pages[i + 1]?.nextCursor]).toContain(cursor));
    expect(result.cursor).toBe(pages.at(-1)!.nextCursor);
    const stored = await storeSnapshot(handle.db, runtime.connection.id);
    expect(stored.cursor).toBe(pages.at(-1)!.nextCursor);
    expect(stored.cases.map((c) => c.externalId).sort()).toEqual(externalIds(pages));
  }, 60_000);

  // A page that fails once its case rows are written (an event the store refuses), and one that
  // fails before (an instant that is not one): either way the pages before it are stored with their
  // cursor, and nothing of it or of any page after it.
  const failures: { name: string; spoil(c: CaseInput): CaseInput }[] = [
    { name: 'after its case rows', spoil: (c) => ({ ...c, events: [...c.events, { ...c.events[0]!, type: 'no_such_type' } as unknown as CaseInput['events'][number]] }) },
    { name: 'before its case rows', spoil: (c) => ({ ...c, updatedAt: 'not an instant' }) },
  ];
  it.each(failures)('a page that fails $name stops the sync at the page before it', async ({ spoil }) => {
    const { handle, runtime } = await freshStore();
    const failing = 3;
    const spoilt = pages.map((page, i) => (i === failing ? { ...page, cases: page.cases.map((c, k) => (k === 5 ? spoil(c) : c)) } : page));
    const told: number[] = [];
    await expect(runSync(handle, replayingRuntime(runtime, spoilt), { now: () => nowMs, onPage: (_p, progress) => void told.push(progress.pages) })).rejects.toThrow();
    expect(told).toEqual([1, 2, 3]);
    const stored = await storeSnapshot(handle.db, runtime.connection.id);
    expect(stored.cursor).toBe(pages[failing - 1]!.nextCursor);
    expect(stored.cases.map((c) => c.externalId).sort()).toEqual(externalIds(pages.slice(0, failing)));
    // Resumed from its cursor with the vendor's true pages, the sync ends as an undisturbed one.
    await runSync(handle, replayingRuntime(runtime, pages.slice(failing)), { now: () => nowMs });
    expect((await storeSnapshot(handle.db, runtime.connection.id)).cases.map((c) => c.externalId).sort()).toEqual(externalIds(pages));
  }, 60_000);

  it('an onPage that fails stops the sync at that page: the page stored behind it rolls back', async () => {
    const { handle, runtime } = await freshStore();
    const failing = 3;
    const told: number[] = [];
    const onPage = (_page: unknown, progress: SyncProgress): void => {
      told.push(progress.pages);
      if (progress.pages === failing) throw new Error('the queue is down');
    };
    await expect(runSync(handle, replayingRuntime(runtime, pages), { now: () => nowMs, onPage })).rejects.toThrow('the queue is down');
    expect(told).toEqual([1, 2, 3]);
    const stored = await storeSnapshot(handle.db, runtime.connection.id);
    // Page 3 committed before onPage was told (as before any overlap); page 4 did not.
    expect(stored.cursor).toBe(pages[failing - 1]!.nextCursor);
    expect(stored.cases.map((c) => c.externalId).sort()).toEqual(externalIds(pages.slice(0, failing)));
  }, 60_000);

  it('a vendor failure after a page still stores that page and hands it to onPage, then fails the sync', async () => {
    const { handle, runtime } = await freshStore();
    const read = 4;
    const told: number[] = [];
    const sync = runSync(handle, replayingRuntime(runtime, pages.slice(0, read), new Error('GitHub is down')), { now: () => nowMs, onPage: (_p, progress) => void told.push(progress.pages) });
    await expect(sync).rejects.toThrow('GitHub is down');
    expect(told).toEqual([1, 2, 3, 4]);
    const stored = await storeSnapshot(handle.db, runtime.connection.id);
    expect(stored.cursor).toBe(pages[read - 1]!.nextCursor);
    expect(stored.cases.map((c) => c.externalId).sort()).toEqual(externalIds(pages.slice(0, read)));
  }, 60_000);

  it('a case in two pages in a row ends as the later page has it', async () => {
    const { handle, runtime } = await freshStore();
    // The last case of page 2 comes again, updated, first on page 3 (as when an issue is updated
    // while the sync reads): page 3's transaction meets page 2's uncommitted row.
    const again = pages[1]!.cases.at(-1)!;
    const later: CaseInput = { ...again, title: `${again.title} (edited)`, updatedAt: new Date(Date.parse(again.updatedAt) + 60_000).toISOString() };
    const twice = pages.map((page, i) => (i === 2 ? { ...page, cases: [later, ...page.cases] } : page));
    await runSync(handle, replayingRuntime(runtime, twice), { now: () => nowMs });
    const stored = await storeSnapshot(handle.db, runtime.connection.id);
    const row = stored.cases.find((c) => c.externalId === again.externalId)!;
    expect(row.title).toBe(later.title);
    expect(row.updatedAt).toBe(later.updatedAt);
    expect(stored.cases.map((c) => c.externalId).sort()).toEqual(externalIds(pages));
  }, 60_000);
});
