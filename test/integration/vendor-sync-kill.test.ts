// Issues 4 and 5 acceptance, "a sync killed mid-way resumes and ends identical", as sync-kill.test.ts
// holds GitHub to it: a child process (sync-child.ts) syncs the fake Jira site or Zendesk account
// into a store both processes can reach and is killed with SIGKILL after a few committed pages; this
// process resumes from the saved cursor and must hold exactly the store of an undisturbed run (cases,
// events, SLA states, cursor). Stores: Postgres (when DATABASE_URL is set) and PGlite on disk.
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { applyConfig } from '../../src/sync/config.ts';
import { startFakeJira } from '../fakes/jira/server.ts';
import { generateJiraWorld } from '../fakes/jira/world.ts';
import { startFakeZendesk } from '../fakes/zendesk/server.ts';
import { generateWorld } from '../fakes/zendesk/world.ts';
import { killAndResume, pgliteKillStore, postgresKillStore } from '../helpers/sync-kill.ts';
import type { KillScenario } from '../helpers/sync-kill.ts';
import {
  JIRA_CONNECTION,
  VENDOR_ENV,
  ZENDESK_CONNECTION,
  ZENDESK_INCREMENTAL_LIMIT,
  ZENDESK_WINDOW_MS,
  jiraPipelineConfig,
  zendeskPipelineConfig,
} from '../helpers/vendor-pipeline.ts';

/** Small pages, so that the kill after three of them lands well before the end. */
const PAGE_SIZE = 40;

interface VendorFake {
  url: string;
  violations: readonly unknown[];
  nowMs: number;
  caseCount: number;
  /** Applies the vendor's pipeline config, pointed at this fake, to a fresh store. */
  configure(handle: DatabaseHandle): Promise<unknown>;
  close(): Promise<void>;
}

const VENDORS: { vendor: string; connection: string; baseUrlKey: string; start(): Promise<VendorFake> }[] = [
  {
    vendor: 'Jira',
    connection: JIRA_CONNECTION,
    baseUrlKey: 'siteUrl',
    async start() {
      // 400 issues in pages of 40, long changelogs (bulk fetch) and comment threads among them.
      const fake = await startFakeJira({ world: generateJiraWorld({ seed: 23, issuesPerProject: 200, longChangelogEvery: 30, longCommentsEvery: 45 }), validateResponses: false });
      return {
        url: fake.url,
        violations: fake.violations,
        nowMs: fake.world.clockMs,
        caseCount: fake.world.issues.length,
        configure: (handle) => applyConfig(handle, jiraPipelineConfig(fake, { pageSize: PAGE_SIZE })),
        close: () => fake.close(),
      };
    },
  },
  {
    vendor: 'Zendesk',
    connection: ZENDESK_CONNECTION,
    baseUrlKey: 'baseUrl',
    async start() {
      // 400 tickets in export pages of 40, under the fake's 10 incremental requests a window.
      const fake = await startFakeZendesk({ world: generateWorld({ seed: 29, tickets: 400 }), incrementalLimit: ZENDESK_INCREMENTAL_LIMIT, incrementalWindowMs: ZENDESK_WINDOW_MS });
      return {
        url: fake.url,
        violations: fake.violations,
        nowMs: fake.world.clockMs,
        caseCount: fake.world.tickets.size,
        configure: (handle) => applyConfig(handle, zendeskPipelineConfig(fake, { ticketsPerPage: PAGE_SIZE })),
        close: () => fake.close(),
      };
    },
  },
];

describe.each(VENDORS)('a $vendor sync killed with SIGKILL', ({ connection, baseUrlKey, start }) => {
  let fake: VendorFake;
  beforeAll(async () => {
    fake = await start();
  });
  afterAll(async () => {
    await fake?.close();
  });

  const scenario = (): KillScenario => ({ connection, baseUrlKey, env: VENDOR_ENV, fakeUrl: fake.url, nowMs: fake.nowMs, caseCount: fake.caseCount, violations: fake.violations });
  const configure = (handle: DatabaseHandle) => fake.configure(handle);

  it.runIf(process.env.DATABASE_URL)('on Postgres resumes from its cursor and ends identical to an undisturbed run', killAndResume(scenario, postgresKillStore(configure)), 120_000);
  it('on PGlite on disk reopens, resumes from its cursor and ends identical to an undisturbed run', killAndResume(scenario, pgliteKillStore(configure)), 120_000);
});
