// Agreements per internal customer (issue 7): customers recognised from source data, ordered policy
// rules (first match wins), the connection's default policy, re-evaluation of exactly the cases a
// change affects, and `sla-sync explain`.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseInput } from '../../src/connectors/types.ts';
import { compute } from '../../src/core/compute.ts';
import type { Policy } from '../../src/core/types.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { withTransaction } from '../../src/store/db.ts';
import { getMetricStates } from '../../src/store/metric-states-repo.ts';
import { cases, customers, policies, policyRules } from '../../src/store/schema/index.ts';
import { applyConfig } from '../../src/sync/config.ts';
import { loadConnectionRuntime } from '../../src/sync/connection.ts';
import { storeAndEvaluate } from '../../src/sync/run-sync.ts';
import { runCli } from '../helpers/cli.ts';
import { storeBackends } from '../helpers/db.ts';

const NOW = Date.parse('2027-02-03T12:00:00Z');
const weekdays = (hours: [string, string][]) => Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, hours]));
const targets = (fr: number, res: number, extra: object = {}) => ({ firstResponseMinutes: fr, resolutionMinutes: res, ...extra });

const POLICIES: Record<string, Policy> = {
  // Finance: S1 in 2 hours around the clock.
  gold: { calendar: '24x7', severities: { S1: targets(15, 120), S3: targets(60, 480) }, defaultSeverity: 'S3' },
  // Marketing and everyone else: business hours in New York.
  standard: { calendar: { timezone: 'America/New_York', week: weekdays([['09:00', '17:00']]) }, severities: { S1: targets(60, 480), S3: targets(240, 2400) }, defaultSeverity: 'S3' },
  bronze: { calendar: { timezone: 'America/New_York', week: weekdays([['09:00', '17:00']]) }, severities: { S1: targets(240, 2400), S3: targets(480, 4800) }, defaultSeverity: 'S3' },
};

const baseConfig = {
  policies: POLICIES,
  connections: {
    gh: { source: 'github', policy: 'standard', config: { baseUrl: 'http://127.0.0.1:9', token: 'unused', repositories: ['acme/finance', 'acme/web'], severityLabels: { P1: 'S1' } } },
  },
  customers: [
    { name: 'Finance', match: [{ field: 'project', values: ['acme/finance'] }, { field: 'label', values: ['finance'] }] },
    { name: 'Marketing', match: [{ connection: 'gh', field: 'label', values: ['marketing'] }] },
  ],
  rules: [
    { name: 'finance-gold', when: { customer: ['Finance'] }, policy: 'gold' },
    { name: 'urgent-bronze', when: { labels: ['urgent'] }, policy: 'bronze' },
  ],
};

/** Created Tuesday 2027-02-02 15:00Z (10:00 New York), open, no reply yet. */
function issue(id: number, repository: string, labels: string[]): CaseInput {
  return {
    externalId: String(id),
    externalKey: `${repository}#${id}`,
    url: `https://github.com/${repository}/issues/${id}`,
    title: `issue ${id}`,
    rawPriority: null,
    status: 'open',
    createdAt: '2027-02-02T15:00:00Z',
    updatedAt: '2027-02-02T15:00:00Z',
    events: [{ at: '2027-02-02T15:00:00Z', type: 'created', status: 'open', rawPriority: null }],
    attributes: { repository, number: id, labels },
  };
}

describe.each(storeBackends())('agreements on $name', (backend) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await backend.open();
    const summary = await applyConfig(handle, baseConfig, () => NOW);
    expect(summary).toMatchObject({ customers: 'replaced', rules: 'replaced' });
  });
  afterAll(() => handle?.close());

  async function sync(...items: CaseInput[]) {
    const runtime = await loadConnectionRuntime(handle.db, 'gh');
    await withTransaction(handle, (tx) => storeAndEvaluate(tx, runtime, items, NOW));
  }

  /** The stored agreement and resolution state of a case, by names. */
  async function agreementOf(externalId: string) {
    const [row] = await handle.db
      .select({ id: cases.id, policy: policies.name, customer: customers.name, rule: policyRules.name })
      .from(cases)
      .leftJoin(policies, eq(policies.id, cases.policyId))
      .leftJoin(customers, eq(customers.id, cases.customerId))
      .leftJoin(policyRules, eq(policyRules.id, cases.ruleId))
      .where(eq(cases.externalId, externalId));
    const states = await getMetricStates(handle.db, row!.id);
    return { policy: row!.policy, customer: row!.customer, rule: row!.rule, resolution: states!.metrics.resolution };
  }

  it('picks the first matching rule when rules overlap, and the default when none matches', async () => {
    await sync(issue(1, 'acme/finance', ['urgent']), issue(2, 'acme/web', ['marketing']), issue(3, 'acme/web', []), issue(4, 'acme/web', ['urgent']));
    // Finance and urgent: both rules match; finance-gold comes first. 21 h around the clock > 8 h.
    expect(await agreementOf('1')).toMatchObject({ customer: 'Finance', rule: 'finance-gold', policy: 'gold', resolution: { state: 'breached', targetSeconds: 480 * 60, elapsedSeconds: 21 * 3600 } });
    // Marketing has no rule of its own: the connection's default, in business hours: Tuesday 10:00
    // to 17:00 New York; now is Wednesday 07:00 there, before opening.
    expect(await agreementOf('2')).toMatchObject({ customer: 'Marketing', rule: null, policy: 'standard', resolution: { state: 'running', elapsedSeconds: 7 * 3600 } });
    expect(await agreementOf('3')).toMatchObject({ customer: null, rule: null, policy: 'standard' });
    expect(await agreementOf('4')).toMatchObject({ customer: null, rule: 'urgent-bronze', policy: 'bronze', resolution: { targetSeconds: 4800 * 60 } });
  });

  it('re-evaluates exactly the affected cases when the rules are reordered', async () => {
    const reordered = { ...baseConfig, rules: [baseConfig.rules[1]!, baseConfig.rules[0]!] };
    const summary = await applyConfig(handle, reordered, () => NOW);
    // Only case 1 matches both rules: it alone moves, to bronze.
    expect(summary.rules).toBe('replaced');
    expect(summary.reevaluated).toMatchObject({ checked: 4, reassigned: 1, changed: 1 });
    expect(await agreementOf('1')).toMatchObject({ customer: 'Finance', rule: 'urgent-bronze', policy: 'bronze', resolution: { state: 'running', targetSeconds: 4800 * 60 } });
    expect(await agreementOf('4')).toMatchObject({ rule: 'urgent-bronze', policy: 'bronze' });
    await applyConfig(handle, baseConfig, () => NOW);
    expect(await agreementOf('1')).toMatchObject({ rule: 'finance-gold', policy: 'gold' });
  });

  it('moves a case to another customer when its data changes', async () => {
    await sync(issue(2, 'acme/web', ['marketing', 'finance']));
    // Finance is listed first among the customers: it wins, and with it the gold policy.
    expect(await agreementOf('2')).toMatchObject({ customer: 'Finance', rule: 'finance-gold', policy: 'gold', resolution: { state: 'breached' } });
  });

  it('refuses bad rules and customers, naming the field, and changes nothing', async () => {
    const before = (await runCli(['config', 'export', '--format', 'json'], { database: handle })).stdout;
    const bad = {
      ...baseConfig,
      customers: [...baseConfig.customers, { name: 'Ops', match: [{ field: 'team', values: ['ops'] }] }],
      rules: [
        { name: 'typo', when: { projet: ['acme/web'] }, policy: 'standard' },
        { name: 'ghost', when: { customer: ['Legal'] }, policy: 'platinum' },
      ],
    };
    const refused = await runCli(['config', 'apply'], { stdin: JSON.stringify(bad), database: handle });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('customers[2].match[0].field: "team" is not a field');
    expect(refused.stderr).toContain('rules[0].when.projet: is not a known field');
    const second = await runCli(['config', 'apply'], { stdin: JSON.stringify({ ...baseConfig, rules: [bad.rules[1]] }), database: handle });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('rules[0].policy: "platinum" is neither in this file nor stored');
    expect(second.stderr).toContain('rules[0].when.customer[0]: "Legal" is not a customer');
    expect((await runCli(['config', 'export', '--format', 'json'], { database: handle })).stdout).toBe(before);
  });

  it('explains a case with a pause, a reopen and a raised priority, ending in the compute result', async () => {
    const item = issue(9, 'acme/web', []);
    item.events.push(
      { at: '2027-02-02T15:20:00Z', type: 'agent_reply', author: 'octocat' },
      { at: '2027-02-02T16:00:00Z', type: 'status', status: 'pending' },
      { at: '2027-02-02T17:00:00Z', type: 'status', status: 'open' },
      { at: '2027-02-02T18:00:00Z', type: 'status', status: 'closed' },
      { at: '2027-02-02T19:00:00Z', type: 'status', status: 'open' },
      { at: '2027-02-02T20:00:00Z', type: 'priority', rawPriority: 'P1' },
    );
    await sync(item);
    const now = '2027-02-02T21:30:00Z';
    const json = await runCli(['explain', 'gh', 'acme/web#9', '--format', 'json', '--now', now], { database: handle });
    expect(json.code).toBe(0);
    const explanation = JSON.parse(json.stdout);
    expect(explanation).toMatchObject({ customer: null, policy: 'standard', rule: null, case: { externalKey: 'acme/web#9' } });
    const expected = compute({
      now,
      policy: POLICIES['standard']!,
      case: { events: [
        { at: '2027-02-02T15:00:00Z', type: 'created', status: 'open' },
        { at: '2027-02-02T15:20:00Z', type: 'agent_reply' },
        { at: '2027-02-02T16:00:00Z', type: 'status', status: 'pending' },
        { at: '2027-02-02T17:00:00Z', type: 'status', status: 'open' },
        { at: '2027-02-02T18:00:00Z', type: 'status', status: 'closed' },
        { at: '2027-02-02T19:00:00Z', type: 'status', status: 'open' },
        { at: '2027-02-02T20:00:00Z', type: 'severity', severity: 'S1' },
      ] },
    });
    expect(explanation.result).toEqual(expected);
    const changes = explanation.steps.flatMap((s: { at: string; effects: { metric: string; change: string }[] }) => s.effects.map((e) => `${s.at} ${e.metric} ${e.change}`));
    expect(changes).toEqual([
      '2027-02-02T15:00:00Z firstResponse started',
      '2027-02-02T15:00:00Z resolution started',
      '2027-02-02T15:20:00Z firstResponse completed',
      '2027-02-02T16:00:00Z resolution paused',
      '2027-02-02T17:00:00Z resolution resumed',
      '2027-02-02T18:00:00Z resolution completed',
      '2027-02-02T19:00:00Z resolution reopened',
      '2027-02-02T20:00:00Z resolution target_changed',
    ]);
    const text = await runCli(['explain', 'gh', 'acme/web#9', '--now', now], { database: handle });
    expect(text.stdout).toContain("policy: standard (the connection's default)");
    expect(text.stdout).toContain('resolution target changed (target now 8h (S1, America/New_York), counted from created)');
    expect((await runCli(['explain', 'gh', 'acme/web#404'], { database: handle })).code).toBe(2);
  });

  it('keeps a newer stored version when an older one arrives late (a sync page after a webhook refresh)', async () => {
    const newer = issue(20, 'acme/web', ['marketing']);
    newer.updatedAt = '2027-02-02T18:00:00Z';
    newer.title = 'newer title';
    newer.events.push({ at: '2027-02-02T17:00:00Z', type: 'status', status: 'solved' });
    newer.status = 'solved';
    await sync(newer);
    const older = issue(20, 'acme/web', []);
    older.updatedAt = '2027-02-02T16:00:00Z';
    await sync(older);
    const [row] = await handle.db.select({ title: cases.title, status: cases.status }).from(cases).where(eq(cases.externalId, '20'));
    expect(row).toEqual({ title: 'newer title', status: 'solved' });
    expect(await agreementOf('20')).toMatchObject({ customer: 'Marketing', resolution: { state: 'met' } });
  });
});
