// Issue 3 acceptance: "A worker killed with SIGKILL mid-sync resumes from its cursor and ends
// identical". A child process (sync-child.ts) syncs the fake GitHub into a store both processes can
// reach, and is killed with SIGKILL after a few committed pages; this process then finds a saved
// cursor and a partial store, syncs again to the end, and must hold exactly the store of an
// undisturbed run into a fresh database (cases, events, SLA states, cursor), at one fixed `now`.
// Stores: Postgres (a fresh database, when DATABASE_URL is set) and PGlite on disk.
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { applyConfig } from '../../src/sync/config.ts';
import { startFakeGithub } from '../fakes/github/server.ts';
import type { FakeGithub } from '../fakes/github/server.ts';
import { generateWorld } from '../fakes/github/world.ts';
import { PIPELINE_ENV, REPOS, pipelineConfig } from '../helpers/github-pipeline.ts';
import { killAndResume, pgliteKillStore, postgresKillStore } from '../helpers/sync-kill.ts';
import type { KillScenario } from '../helpers/sync-kill.ts';

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

const scenario = (): KillScenario => ({
  connection: 'gh-main',
  baseUrlKey: 'baseUrl',
  env: PIPELINE_ENV,
  fakeUrl: fake.url,
  nowMs,
  caseCount: issueCount,
  violations: fake.violations,
});
const configure = (handle: DatabaseHandle) => applyConfig(handle, pipelineConfig(fake.url));

describe.runIf(process.env.DATABASE_URL)('a sync killed with SIGKILL on Postgres', () => {
  it('resumes from its cursor and ends identical to an undisturbed run', killAndResume(scenario, postgresKillStore(configure)), 120_000);
});

describe('a sync killed with SIGKILL on PGlite on disk', () => {
  it('reopens, resumes from its cursor and ends identical to an undisturbed run', killAndResume(scenario, pgliteKillStore(configure)), 120_000);
});
