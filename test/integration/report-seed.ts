// A store seeded for the report tests (report*.test.ts, share-links*.test.ts, e2e): a few hundred
// tickets of three connections (GitHub, Zendesk, Jira), two policies and two customers, created
// over Q1 2027 and the month before, with replies, pauses, solves, reopens and priority changes,
// and one case at risk at NOW; evaluated at NOW. Deterministic: the same store on every run and backend.
import { eq } from 'drizzle-orm';
import type { CaseInput, SourceEvent } from '../../src/connectors/types.ts';
import type { MetricOutcome } from '../../src/core/compliance.ts';
import { computeCompliance, objectiveFor } from '../../src/core/compliance.ts';
import type { MetricName, Policy, Status } from '../../src/core/types.ts';
import { upsertConnection } from '../../src/store/connections-repo.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { withTransaction } from '../../src/store/db.ts';
import type { CaseFilter, ReportGroupBy } from '../../src/store/report-repo.ts';
import { NO_CUSTOMER } from '../../src/store/report-repo.ts';
import { cases, connections, customers, metricStates, policies } from '../../src/store/schema/index.ts';
import { applyConfig } from '../../src/sync/config.ts';
import { loadConnectionRuntime } from '../../src/sync/connection.ts';
import { storeAndEvaluate } from '../../src/sync/run-sync.ts';

export const Q_FROM = Date.parse('2027-01-01T00:00:00Z');
export const Q_TO = Date.parse('2027-04-01T00:00:00Z');
export const NOW = Date.parse('2027-04-10T00:00:00Z');
const HOUR = 3600_000;

const targets = (fr: number, res: number, objectivePercent?: number) => ({ firstResponseMinutes: fr, resolutionMinutes: res, ...(objectivePercent === undefined ? {} : { objectivePercent }) });
export const POLICIES: Record<string, Policy> = {
  gold: { calendar: '24x7', severities: { S1: targets(30, 240, 100), S2: targets(60, 480, 95), S3: targets(240, 1440, 90), S4: targets(480, 2880, 85) }, defaultSeverity: 'S3' },
  // S3 has no objective: 100 by default.
  standard: {
    calendar: { timezone: 'Europe/Berlin', week: { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '16:00']] }, holidays: ['2027-01-01', '2027-04-02'] },
    severities: { S1: { ...targets(60, 480, 99), calendar: '24x7' }, S2: targets(120, 960, 90), S3: targets(480, 2880), S4: targets(960, 5760, 80) },
    defaultSeverity: 'S3',
  },
};

export const CONFIG = {
  policies: POLICIES,
  connections: {
    gh: { source: 'github', policy: 'standard', config: { baseUrl: 'http://127.0.0.1:9', token: 'unused', repositories: ['acme/app'], severityLabels: { P1: 'S1', P2: 'S2', P4: 'S4' } } },
  },
  customers: [
    { name: 'Finance', match: [{ field: 'label', values: ['finance'] }] },
    { name: 'Marketing', match: [{ field: 'label', values: ['marketing'] }] },
  ],
  rules: [{ name: 'finance-gold', when: { customer: ['Finance'] }, policy: 'gold' }],
};

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Tickets created over the quarter and the month before: replies, pauses, solves, reopens, priority changes. */
export function tickets(prefix: string, n: number, seed: number): CaseInput[] {
  const random = prng(seed);
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const iso = (ms: number) => new Date(ms).toISOString();
  return Array.from({ length: n }, (_, i) => {
    let at = Q_FROM - 30 * 24 * HOUR + Math.floor(random() * (Q_TO - Q_FROM + 30 * 24 * HOUR));
    const priority = pick(['P1', 'P2', 'P3', 'P4']);
    const events: SourceEvent[] = [{ at: iso(at), type: 'created', status: 'open', rawPriority: priority }];
    const later = (maxHours: number) => (at += Math.floor(random() * maxHours * HOUR) + 60_000);
    let status: Status = 'open';
    if (random() < 0.85) events.push({ at: iso(later(10)), type: 'agent_reply' });
    if (random() < 0.3) {
      events.push({ at: iso(later(8)), type: 'status', status: 'pending' });
      events.push({ at: iso(later(30)), type: 'status', status: 'open' });
    }
    if (random() < 0.15) events.push({ at: iso(later(6)), type: 'priority', rawPriority: pick(['P1', 'P2', 'P4']) });
    if (random() < 0.75) {
      events.push({ at: iso(later(pick([4, 12, 40, 100]))), type: 'status', status: (status = 'solved') });
      if (random() < 0.12) {
        events.push({ at: iso(later(48)), type: 'status', status: 'open' });
        events.push({ at: iso(later(24)), type: 'status', status: (status = 'solved') });
      }
    }
    const done = events.filter((e) => Date.parse(e.at) <= NOW);
    return {
      externalId: `${prefix}-${i}`,
      externalKey: `${prefix.toUpperCase()}-${i}`,
      url: `https://example.invalid/${prefix}/${i}`,
      title: `${prefix} ticket ${i}`,
      rawPriority: priority,
      status: done.length === events.length ? status : 'open',
      createdAt: events[0]!.at,
      updatedAt: done[done.length - 1]!.at,
      events: done,
      attributes: { repository: 'acme/app', labels: [pick([[], [], ['finance'], ['marketing']]) as string[]].flat() },
    };
  });
}

/** Configures the store and syncs 3 x `perConnection` tickets into it, evaluated at NOW. */
export async function seedReportStore(handle: DatabaseHandle, perConnection = 120): Promise<void> {
  await applyConfig(handle, CONFIG, () => NOW);
  const standardId = (await handle.db.select().from(policies).where(eq(policies.name, 'standard')))[0]!.id;
  // Zendesk and Jira connections are stored directly: the report reads the store, not a vendor.
  const gh = await loadConnectionRuntime(handle.db, 'gh');
  const zd = await upsertConnection(handle.db, { name: 'zd', source: 'zendesk', config: {}, policyId: standardId });
  const jira = await upsertConnection(handle.db, { name: 'jira-cloud', source: 'jira', config: {}, policyId: standardId });
  // One S1 case open for 400 of its 480 minutes at NOW, answered: its resolution is at risk.
  const created = new Date(NOW - 400 * 60_000).toISOString();
  const atRisk: CaseInput = {
    externalId: 'gh-at-risk',
    externalKey: 'GH-AT-RISK',
    url: 'https://example.invalid/gh/at-risk',
    title: 'an S1 close to its target',
    rawPriority: 'P1',
    status: 'open',
    createdAt: created,
    updatedAt: created,
    events: [
      { at: created, type: 'created', status: 'open', rawPriority: 'P1' },
      { at: new Date(NOW - 395 * 60_000).toISOString(), type: 'agent_reply' },
    ],
    attributes: { repository: 'acme/app', labels: [] },
  };
  const seeded: [typeof gh, CaseInput[]][] = [
    [gh, [...tickets('gh', perConnection, 1), atRisk]],
    [{ ...gh, connection: zd }, tickets('zd', perConnection, 2)],
    [{ ...gh, connection: jira }, tickets('jira', perConnection, 3)],
  ];
  for (const [runtime, items] of seeded) await withTransaction(handle, (tx) => storeAndEvaluate(tx, runtime, items, NOW));
}

/**
 * The slow obvious reference: every stored metric state as a core outcome (its case's policy and
 * customer read through cases, not metric_states' copies), through computeCompliance.
 */
export async function referenceRows(handle: DatabaseHandle, fromMs: number, toMs: number, groupBy: ReportGroupBy, options: { metric?: MetricName; filter?: CaseFilter } = {}) {
  const rows = await handle.db
    .select({ metric: metricStates.metric, severity: metricStates.severity, state: metricStates.state, completedAt: metricStates.completedAt, definition: policies.definition, policyId: policies.id, source: connections.source, connection: connections.name, customer: customers.name, customerId: cases.customerId })
    .from(metricStates)
    .innerJoin(cases, eq(cases.id, metricStates.caseId))
    .innerJoin(connections, eq(connections.id, cases.connectionId))
    .innerJoin(policies, eq(policies.id, cases.policyId))
    .leftJoin(customers, eq(customers.id, cases.customerId));
  const { metric, filter = {} } = options;
  const outcomes: MetricOutcome[] = rows
    .filter((r) => (metric === undefined || r.metric === metric) && (filter.policyId === undefined || r.policyId === filter.policyId) && (filter.customerId === undefined || r.customerId === filter.customerId))
    .map((r) => ({
      metric: r.metric,
      severity: r.severity,
      state: r.state,
      completedAtMs: r.completedAt === null ? null : r.completedAt.getTime(),
      objectivePercent: objectiveFor(r.definition, r.severity),
      group: { severity: '', source: r.source, connection: r.connection, customer: r.customer ?? NO_CUSTOMER }[groupBy],
    }));
  return computeCompliance(outcomes, { fromMs, toMs });
}
