// Writes the SLA state back to the issue (issue 4, "Writeback"):
// - labels `sla-at-risk` / `sla-breached`, added and removed with editIssue's update operations;
// - when configured, the "SLA due" datetime field (same edit call), so queues sort and JQL by it;
// - the issue entity property `sla-sync` with the full SLA snapshot;
// - the issue context's status property `com.atlassian.jira.issue:<appKey>:<moduleKey>:status`,
//   a lozenge ("2h 10m left", "Paused", "Breached 35m ago") Jira shows on the context's header
//   (https://developer.atlassian.com/cloud/jira/platform/modules/issue-context/).
// Nothing is sent when nothing changed: labels and the due field are compared with what we last
// wrote, the properties with a fingerprint of the states and due times. The lozenge's countdown is
// as of the evaluation that changed a state (the Connect panel counts down live); a fingerprint
// including it would rewrite every issue at every evaluation.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { MetricName, MetricState } from '../../core/types.ts';
import { ConnectorError, err, ok } from '../types.ts';
import type { ConnectorContext, ExternalRef, Result, SlaSnapshot, WritebackOutcome, WritebackState } from '../types.ts';
import type { JiraConfig } from './config.ts';
import { createJiraClient, toConnectorError } from './client.ts';
import { jiraRefLabels } from './mapper.ts';

/** Jira labels cannot hold spaces. */
export const SLA_LABELS = { atRisk: 'sla-at-risk', breached: 'sla-breached' } as const;
const SLA_LABEL_NAMES: readonly string[] = [SLA_LABELS.atRisk, SLA_LABELS.breached];

/** The issue property holding the full snapshot. */
export const SNAPSHOT_PROPERTY = 'sla-sync';

export const statusPropertyKey = (cfg: Pick<JiraConfig, 'appKey' | 'moduleKey'>): string => `com.atlassian.jira.issue:${cfg.appKey}:${cfg.moduleKey}:status`;

/** Bump when what the properties say changes shape, so every issue is rewritten once. */
const PROPERTY_FORMAT = 1;

const writebackStateSchema = z.object({
  v: z.literal(1),
  fingerprint: z.string(),
  /** The issue's labels as the caller last told us (see githubWriteback for why both are kept). */
  seenLabels: z.array(z.string()),
  slaLabels: z.array(z.string()),
  /** What we last set the SLA due field to (Jira's datetime form), null when cleared or never set. */
  due: z.string().nullable(),
});
export type JiraWritebackState = z.infer<typeof writebackStateSchema>;

/** Lozenge appearances of an issue context's status (the AUI lozenge types). */
export type LozengeType = 'default' | 'inprogress' | 'moved' | 'new' | 'removed' | 'success';
export interface StatusLozenge {
  type: 'lozenge';
  value: { label: string; type: LozengeType };
}

const metricEntries = (sla: SlaSnapshot): [MetricName, MetricState][] => [
  ['firstResponse', sla.evaluation.metrics.firstResponse],
  ['resolution', sla.evaluation.metrics.resolution],
];

/** `sla-breached` while any metric is breached, `sla-at-risk` while any is at risk (both can hold). */
export function wantedSlaLabels(sla: SlaSnapshot): string[] {
  const states = Object.values(sla.evaluation.metrics).map((m) => m.state);
  const wanted: string[] = [];
  if (states.includes('at_risk')) wanted.push(SLA_LABELS.atRisk);
  if (states.includes('breached')) wanted.push(SLA_LABELS.breached);
  return wanted;
}

/** "2h 10m", "1d 3h", "35m", "0m": the two largest units, for a lozenge's few characters. */
export function formatShortDuration(seconds: number): string {
  const minutes = Math.max(0, Math.floor(seconds / 60));
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  return `${m}m`;
}

/**
 * The lozenge: a metric still running and breached says how long ago (wall clock); else, when every
 * running metric is paused, "Paused"; else the smaller business time left; a case whose metrics are
 * all complete says "Met" or "Missed".
 */
export function slaLozenge(sla: SlaSnapshot): StatusLozenge {
  const lozenge = (label: string, type: LozengeType): StatusLozenge => ({ type: 'lozenge', value: { label, type } });
  const metrics = metricEntries(sla).map(([, m]) => m);
  const open = metrics.filter((m) => m.completedAt === null);
  const nowMs = Date.parse(sla.evaluatedAt);
  const breached = open.filter((m) => m.state === 'breached');
  if (breached.length > 0) {
    const since = Math.min(...breached.map((m) => (m.breachedAt === null ? nowMs - (m.elapsedSeconds - m.targetSeconds) * 1000 : Date.parse(m.breachedAt))));
    const ago = Math.max(0, nowMs - since) / 1000;
    return lozenge(ago < 60 ? 'Breached just now' : `Breached ${formatShortDuration(ago)} ago`, 'removed');
  }
  const counting = open.filter((m) => m.state === 'running' || m.state === 'at_risk');
  if (counting.length > 0) {
    const next = counting.reduce((a, b) => (b.remainingSeconds < a.remainingSeconds ? b : a));
    return lozenge(`${formatShortDuration(next.remainingSeconds)} left`, next.state === 'at_risk' ? 'moved' : 'inprogress');
  }
  if (open.length > 0) return lozenge('Paused', 'default');
  return metrics.some((m) => m.state === 'breached') ? lozenge('Missed', 'removed') : lozenge('Met', 'success');
}

/** Jira's datetime form for a datetime custom field: 2025-03-03T17:00:00.000+0000. */
export const jiraDateTime = (iso: string): string => new Date(iso).toISOString().replace('Z', '+0000');

/** The SLA due field's value: the earliest due time of a metric still running, or null (cleared). */
export function slaDueValue(sla: SlaSnapshot): string | null {
  const due = metricEntries(sla)
    .map(([, m]) => m)
    .filter((m) => m.completedAt === null && m.dueAt !== null)
    .map((m) => Date.parse(m.dueAt!));
  return due.length === 0 ? null : jiraDateTime(new Date(Math.min(...due)).toISOString());
}

/** What the properties say, less what moves with the clock (time left, the lozenge's countdown). */
export function propertiesFingerprint(sla: SlaSnapshot): string {
  const facts = {
    format: PROPERTY_FORMAT,
    severity: sla.evaluation.severity,
    status: sla.evaluation.status,
    metrics: metricEntries(sla).map(([name, m]) => [name, m.state, m.severity, m.targetSeconds, m.dueAt, m.atRiskAt, m.breachedAt, m.completedAt, sla.timezones[name]]),
    lozenge: slaLozenge(sla).value.type,
  };
  return createHash('sha256').update(JSON.stringify(facts)).digest('hex').slice(0, 32);
}

function parseState(previous: WritebackState | null): JiraWritebackState | null {
  const parsed = writebackStateSchema.safeParse(previous);
  return parsed.success ? parsed.data : null;
}

const sorted = (labels: readonly string[]): string[] => [...new Set(labels)].sort();
const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export async function jiraWriteback(
  cfg: JiraConfig,
  ref: ExternalRef,
  sla: SlaSnapshot,
  previous: WritebackState | null,
  ctx: ConnectorContext,
): Promise<Result<WritebackOutcome>> {
  if (!/^\d+$/.test(ref.externalId)) return err(new ConnectorError('bad_payload', `jira: ${ref.externalKey} has no numeric issue id`));
  const prev = parseState(previous);
  // Labels unknown (a webhook payload without them): nothing new is known, keep what we knew.
  const refLabels = jiraRefLabels(ref);
  const seenLabels = refLabels ? sorted(refLabels) : (prev?.seenLabels ?? []);
  const seenUnchanged = prev !== null && sameList(prev.seenLabels, seenLabels);
  // While the caller's labels are those of last time, the store has not re-read the issue since our
  // write: our own record is believed. Once they differ, they are (a label a human removed comes back).
  const onIssue = seenUnchanged ? prev.slaLabels : seenLabels.filter((l) => SLA_LABEL_NAMES.includes(l));
  const wanted = wantedSlaLabels(sla);
  const toAdd = wanted.filter((l) => !onIssue.includes(l));
  const toRemove = onIssue.filter((l) => !wanted.includes(l));
  const due = cfg.slaDueFieldId ? slaDueValue(sla) : null;
  const dueChanged = cfg.slaDueFieldId !== undefined && due !== (prev?.due ?? null);
  const fingerprint = propertiesFingerprint(sla);
  const propertiesDue = !prev || prev.fingerprint !== fingerprint;

  const next: JiraWritebackState = { v: 1, fingerprint, seenLabels, slaLabels: wanted, due };
  if (toAdd.length === 0 && toRemove.length === 0 && !dueChanged && !propertiesDue) {
    return ok({ state: seenUnchanged ? previous! : next, calls: 0, actions: [] });
  }

  const outcome = { calls: 0, actions: [] as string[] };
  const issuePath = `/rest/api/3/issue/${ref.externalId}`;
  try {
    const client = createJiraClient(cfg, ctx);
    if (toAdd.length > 0 || toRemove.length > 0 || dueChanged) {
      // One edit: label operations (idempotent at Jira: adding a present label or removing an absent
      // one is a no-op) and the due field. https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-put
      const labelOps = [...toAdd.map((add) => ({ add })), ...toRemove.map((remove) => ({ remove }))];
      const body = {
        ...(labelOps.length > 0 ? { update: { labels: labelOps } } : {}),
        ...(dueChanged ? { fields: { [cfg.slaDueFieldId!]: due } } : {}),
      };
      outcome.calls++;
      await client.request('PUT', issuePath, { query: cfg.notifyUsers ? {} : { notifyUsers: false }, body });
      outcome.actions.push(...toAdd.map((l) => `label +${l}`), ...toRemove.map((l) => `label -${l}`));
      if (dueChanged) outcome.actions.push(due === null ? 'SLA due cleared' : `SLA due ${due}`);
    }
    if (propertiesDue) {
      outcome.calls++;
      await client.request('PUT', `${issuePath}/properties/${SNAPSHOT_PROPERTY}`, { body: { v: PROPERTY_FORMAT, ...sla } });
      outcome.actions.push(`property ${SNAPSHOT_PROPERTY}`);
      const lozenge = slaLozenge(sla);
      outcome.calls++;
      await client.request('PUT', `${issuePath}/properties/${encodeURIComponent(statusPropertyKey(cfg))}`, { body: lozenge });
      outcome.actions.push(`status lozenge "${lozenge.value.label}"`);
    }
  } catch (error) {
    return err(toConnectorError(error));
  }
  return ok({ state: next, calls: outcome.calls, actions: outcome.actions });
}
