// The case views reuse the agreement context for a few seconds (src/sync/agreement-cache.ts): a rule
// saved on the admin page shows in the very next view (applyConfig forgets the copy), a change
// written past applyConfig (another process's, here the store's repositories) shows once the TTL
// has passed on the app's clock, and a case of a connection the copy does not know yet is answered.
// On a real express app on a free port, called with fetch, on every store backend.
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replacePolicyRules } from '../../src/store/agreements-repo.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { upsertConnection } from '../../src/store/connections-repo.ts';
import { getPolicyByName } from '../../src/store/policies-repo.ts';
import { createUser } from '../../src/store/users-repo.ts';
import { AGREEMENT_CONTEXT_TTL_MS } from '../../src/sync/agreement-cache.ts';
import type { CaseSlaView } from '../../src/sync/case-sla.ts';
import { applyConfig } from '../../src/sync/config.ts';
import type { CaseExplanation } from '../../src/sync/explain.ts';
import { createApp } from '../../src/web/app.ts';
import { hashPassword } from '../../src/web/auth/passwords.ts';
import { storeBackends } from '../helpers/db.ts';
import { listenOnLoopback, signInOverHttp } from '../helpers/listen.ts';
import { VIEW_POLICY, seedCase, seedGithubConnection } from '../helpers/seed-case.ts';

const NOW = Date.parse('2026-11-30T10:00:00Z');
const PASSWORD = 'correct horse battery staple';
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const GOLD = { ...VIEW_POLICY, severities: { ...VIEW_POLICY.severities, S1: { firstResponseMinutes: 15, resolutionMinutes: 60, calendar: '24x7', objectivePercent: 100 } } };

describe.each(storeBackends())('agreement context reused by the case views on $name', (backend) => {
  let handle: DatabaseHandle;
  let server: Server;
  let base = '';
  let admin = { cookie: '', csrf: '' };
  let caseId = 0;
  let clock = NOW;

  beforeAll(async () => {
    handle = await backend.open();
    await seedGithubConnection(handle);
    await applyConfig(handle, { policies: { gold: GOLD } });
    // S1: created 30 minutes ago, no reply: running on view-policy (60 min), breached on gold (15 min).
    caseId = (await seedCase(handle, { number: 1, priority: 'P1', nowMs: NOW, events: [{ at: iso(NOW - 30 * 60_000), type: 'created', status: 'open', rawPriority: 'P1' }] })).id;
    await createUser(handle.db, { email: 'admin@example.com', role: 'admin', passwordHash: await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 }) });
    ({ server, base } = await listenOnLoopback(createApp({ handle, enqueueRefreshes: async () => {}, now: () => clock })));
    admin = await signInOverHttp(base, 'admin@example.com', PASSWORD);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await handle?.close();
  });

  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${base}${path}`, { headers: { cookie: admin.cookie } });
    expect(response.status, path).toBe(200);
    return (await response.json()) as T;
  };
  /** The agreement and first-response state each JSON view shows for a case. */
  async function agreementOf(id: number) {
    const sla = await get<CaseSlaView>(`/api/cases/${id}/sla`);
    const explained = await get<CaseExplanation>(`/api/cases/${id}/explain`);
    expect({ policy: explained.policy, rule: explained.rule }, 'the explanation agrees with the countdown').toEqual({ policy: sla.policy, rule: sla.rule });
    return { policy: sla.policy, rule: sla.rule, firstResponse: sla.metrics[0]!.state };
  }

  it('shows a rule saved on the admin page on the very next request', async () => {
    expect(await agreementOf(caseId)).toEqual({ policy: 'view-policy', rule: null, firstResponse: 'running' });
    const saved = await fetch(`${base}/admin/rules`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams([['_csrf', admin.csrf], ['name', 'gh-gold'], ['position', ''], ['policy', 'gold'], ['when.connection', 'gh'], ['intent', 'save']]).toString(),
    });
    expect(saved.status).toBe(303);
    // The app's clock has not moved: only the save can have made the views load afresh.
    expect(await agreementOf(caseId)).toEqual({ policy: 'gold', rule: 'gh-gold', firstResponse: 'breached' });
  });

  it('reuses the context until it is AGREEMENT_CONTEXT_TTL_MS old on the app clock when the store changes past applyConfig', async () => {
    await replacePolicyRules(handle.db, []);
    expect(await agreementOf(caseId)).toMatchObject({ policy: 'gold', rule: 'gh-gold' });
    clock = NOW + AGREEMENT_CONTEXT_TTL_MS - 1;
    expect(await agreementOf(caseId)).toMatchObject({ policy: 'gold', rule: 'gh-gold' });
    clock = NOW + AGREEMENT_CONTEXT_TTL_MS;
    expect(await agreementOf(caseId)).toMatchObject({ policy: 'view-policy', rule: null });
  });

  it('loads afresh for a case of a connection the reused context does not know yet', async () => {
    const policy = (await getPolicyByName(handle.db, 'view-policy'))!;
    await upsertConnection(handle.db, { name: 'gh2', source: 'github', policyId: policy.id, config: { baseUrl: 'http://127.0.0.1:9', token: 'unused', repositories: ['acme/app'], severityLabels: { P1: 'S1' } } });
    const other = await seedCase(handle, { connection: 'gh2', number: 2, priority: 'P1', nowMs: clock, events: [{ at: iso(clock - 5 * 60_000), type: 'created', status: 'open', rawPriority: 'P1' }] });
    const view = await get<CaseSlaView>(`/api/cases/${other.id}/sla`);
    expect(view).toMatchObject({ case: { connection: 'gh2', externalKey: 'acme/app#2' }, policy: 'view-policy', rule: null });
  });
});
