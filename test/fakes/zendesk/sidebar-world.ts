// A small fake Zendesk account for the sidebar app's tests, its tickets placed relative to `nowMs`,
// and a Zendesk connection synced from it through the real pipeline (config apply, runSync).
import type { DatabaseHandle } from '../../../src/store/db.ts';
import { applyConfig } from '../../../src/sync/config.ts';
import { loadConnectionRuntime } from '../../../src/sync/connection.ts';
import { runSync } from '../../../src/sync/run-sync.ts';
import { VIEW_POLICY } from '../../helpers/seed-case.ts';
import type { FakeZendesk } from './server.ts';
import { startFakeZendesk } from './server.ts';
import type { FakeTicket } from './world.ts';
import { FakeZendeskWorld, iso } from './world.ts';

const MIN = 60_000;

export interface SidebarAccount {
  fake: FakeZendesk;
  /** urgent, new, asked 20 minutes ago, no reply yet: S1 clocks running (24x7). */
  running: FakeTicket;
  /** normal: answered by an agent, then pending: first response met, resolution paused. */
  paused: FakeTicket;
}

/** A fake account (its ticket ids start at 1, like every fake account) with subjects prefixed by `label`. */
export async function startSidebarAccount(nowMs: number, label: string): Promise<SidebarAccount> {
  const world = new FakeZendeskWorld({ startAt: iso(nowMs - 2 * 60 * MIN) });
  const agent = world.addUser(`${label} Agent`, 'agent');
  const customer = world.addUser(`${label} Customer`, 'end-user');
  const running = world.createTicket({ at: iso(nowMs - 20 * MIN), requesterId: customer.id, subject: `${label}: checkout is down`, priority: 'urgent' });
  const paused = world.createTicket({ at: iso(nowMs - 50 * MIN), requesterId: customer.id, subject: `${label}: invoice question`, priority: 'urgent' });
  world.update(paused, { authorId: agent.id, at: iso(nowMs - 40 * MIN), status: 'open', comment: { authorId: agent.id, body: 'Looking into it.', public: true } });
  world.update(paused, { authorId: agent.id, at: iso(nowMs - 30 * MIN), status: 'pending', comment: { authorId: agent.id, body: 'Which invoice?', public: true } });
  // The exports leave out the last minute before the account's clock.
  world.clockMs = nowMs;
  const fake = await startFakeZendesk({ world, incrementalLimit: 1000, incrementalWindowMs: 1000 });
  return { fake, running, paused };
}

/** Applies a Zendesk connection `name` on that account (policy VIEW_POLICY) and syncs it at nowMs. */
export async function syncSidebarConnection(handle: DatabaseHandle, name: string, fake: FakeZendesk, config: Record<string, unknown>, nowMs: number, env: NodeJS.ProcessEnv = {}): Promise<void> {
  await applyConfig(handle, {
    policies: { 'view-policy': VIEW_POLICY },
    connections: {
      [name]: {
        source: 'zendesk',
        policy: 'view-policy',
        config: { baseUrl: fake.url, email: fake.email, apiToken: fake.apiToken, incrementalPerMinute: 1000, incrementalWindowSeconds: 1, ...config },
      },
    },
  });
  const runtime = await loadConnectionRuntime(handle.db, name, { env });
  await runSync(handle, runtime, { now: () => nowMs });
}
