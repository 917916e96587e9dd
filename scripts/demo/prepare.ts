// Everything the demo does before it serves: loopback Jira, Zendesk and GitHub built from the test
// fakes and seeded with a quarter of tickets, the demo config applied, a full sync of every
// connection (stored, evaluated), the writebacks done at the fakes, and the demo users. The demo
// script and its test run exactly this.
import { randomBytes } from 'node:crypto';
import { listWritebackPending } from '../../src/store/cases-repo.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import type { Role } from '../../src/store/schema/index.ts';
import { createUser } from '../../src/store/users-repo.ts';
import type { ApplySummary } from '../../src/sync/config.ts';
import { applyConfig } from '../../src/sync/config.ts';
import { loadConnectionRuntime } from '../../src/sync/connection.ts';
import { runtimeCache } from '../../src/sync/jobs.ts';
import type { SyncResult } from '../../src/sync/run-sync.ts';
import { runSync } from '../../src/sync/run-sync.ts';
import { recordSyncRun } from '../../src/sync/sync-runs.ts';
import { runWriteback } from '../../src/sync/writeback.ts';
import type { ScryptParams } from '../../src/web/auth/passwords.ts';
import { hashPassword } from '../../src/web/auth/passwords.ts';
import type { FakeGithub } from '../../test/fakes/github/server.ts';
import { startFakeGithub } from '../../test/fakes/github/server.ts';
import type { FakeJira } from '../../test/fakes/jira/server.ts';
import { startFakeJira } from '../../test/fakes/jira/server.ts';
import type { FakeZendesk } from '../../test/fakes/zendesk/server.ts';
import { startFakeZendesk } from '../../test/fakes/zendesk/server.ts';
import { CONNECTIONS, demoConfig } from './config.ts';
import type { DemoWorldOptions } from './worlds.ts';
import { generateDemoWorlds } from './worlds.ts';

export const DEMO_SEED = 20_261_001;
/** A few hundred tickets in all, three more per tool opened just now. */
export const DEMO_TICKETS: DemoWorldOptions['tickets'] = { jira: 130, zendesk: 140, github: 90 };

export interface DemoFakes {
  jira: FakeJira;
  zendesk: FakeZendesk;
  github: FakeGithub;
  close(): Promise<void>;
}

/** The three fakes on loopback ports, serving worlds seeded with a quarter ending at endMs. */
export async function startDemoFakes(options: { seed?: number; endMs: number; tickets?: DemoWorldOptions['tickets'] }): Promise<DemoFakes> {
  const worlds = generateDemoWorlds({ seed: options.seed ?? DEMO_SEED, endMs: options.endMs, tickets: options.tickets ?? DEMO_TICKETS });
  // Responses are checked against the vendors' descriptions in the fakes' own tests; here they
  // only answer. Zendesk's incremental limit is a minute's worth per second: the demo runs fast.
  const started: { close(): Promise<void> }[] = [];
  try {
    const jira = await startFakeJira({ world: worlds.jira, validateResponses: false });
    started.push(jira);
    const zendesk = await startFakeZendesk({ world: worlds.zendesk, incrementalLimit: 1000 });
    started.push(zendesk);
    const github = await startFakeGithub({ world: worlds.github, validateResponses: false });
    started.push(github);
    return { jira, zendesk, github, close: async () => void (await Promise.all([jira.close(), zendesk.close(), github.close()])) };
  } catch (error) {
    await Promise.all(started.map((s) => s.close()));
    throw error;
  }
}

export function applyDemoConfig(handle: DatabaseHandle, fakes: DemoFakes, endMs: number): Promise<ApplySummary> {
  return applyConfig(
    handle,
    demoConfig(
      {
        jira: { url: fakes.jira.url, email: fakes.jira.email, apiToken: fakes.jira.apiToken },
        zendesk: { url: fakes.zendesk.url, email: fakes.zendesk.email, apiToken: fakes.zendesk.apiToken },
        github: { url: fakes.github.url, token: fakes.github.token },
      },
      endMs,
    ),
    Date.now,
    { actor: { name: 'demo' } },
  );
}

export interface SyncAndWritebackResult {
  syncs: SyncResult[];
  writebacks: { cases: number; written: number; calls: number; skipped: number };
}

/** A full sync of every demo connection, then every pending writeback, evaluated at now(). */
export async function syncAndWriteBack(handle: DatabaseHandle, now: () => number, options: { concurrency?: number } = {}): Promise<SyncAndWritebackResult> {
  const runtimes = runtimeCache(handle, {}, 600_000, now);
  const syncs: SyncResult[] = [];
  for (const name of Object.values(CONNECTIONS)) {
    const runtime = await loadConnectionRuntime(handle.db, name);
    // Recorded as a sync run, as the worker's are: the admin page shows each connection's last sync.
    const result = await recordSyncRun(handle.db, { connectionId: runtime.connection.id, full: true, trigger: 'demo', now }, () => runSync(handle, runtime, { full: true, now }));
    syncs.push(result!);
  }
  const pending = await listWritebackPending(handle.db);
  const writebacks = { cases: pending.length, written: 0, calls: 0, skipped: 0 };
  const queue = [...pending];
  const worker = async (): Promise<void> => {
    for (let caseId = queue.shift(); caseId !== undefined; caseId = queue.shift()) {
      const run = await runWriteback(handle, runtimes, caseId, now());
      if (!run.outcome) writebacks.skipped++;
      else {
        writebacks.calls += run.outcome.calls;
        if (run.outcome.calls > 0) writebacks.written++;
      }
    }
  };
  // PGlite is one connection: concurrent writebacks only queue on it (and slow each other down).
  await Promise.all(Array.from({ length: options.concurrency ?? (handle.kind === 'pglite' ? 1 : 4) }, worker));
  return { syncs, writebacks };
}

export interface DemoUser {
  email: string;
  role: Role;
  password: string;
}

/** An admin, a manager and an agent, each with a fresh random password (printed by the demo). */
export async function createDemoUsers(handle: DatabaseHandle, options: { scrypt?: ScryptParams } = {}): Promise<DemoUser[]> {
  const roles: Role[] = ['admin', 'manager', 'agent'];
  return Promise.all(
    roles.map(async (role) => {
      const user = { email: `${role}@demo.example`, role, password: randomBytes(12).toString('base64url') };
      const created = await createUser(handle.db, { email: user.email, role, passwordHash: await hashPassword(user.password, options.scrypt) });
      if (!created) throw new Error(`demo user ${user.email} exists already: the demo database was not fresh`);
      return user;
    }),
  );
}
