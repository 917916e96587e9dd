// Writes the SLA state back to the issue (issue 3, "writeback"): the labels `sla: at risk` and
// `sla: breached`, and one status comment edited in place. Nothing is sent when nothing changed: the
// decision comes from a fingerprint of what the comment says (labels wanted, each metric's state and
// due time), never from the ever-changing "time left" text.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { MetricName, MetricState } from '../../core/types.ts';
import { ConnectorError, err, ok } from '../types.ts';
import type { ConnectorContext, ExternalRef, Result, SlaSnapshot, WritebackHint, WritebackOutcome, WritebackState } from '../types.ts';
import type { GithubConfig } from './config.ts';
import { httpStatus, listIssueComments, listRepoLabels, splitRepository, toConnectorError } from './client.ts';
import type { GithubClient, RepoName } from './client.ts';
import { githubClientFor } from './fetch-case.ts';
import { SLA_COMMENT_MARKER, githubRefAttributes, isStatusComment } from './mapper.ts';

export const SLA_LABELS = {
  atRisk: { name: 'sla: at risk', color: 'fbca04', description: 'sla-sync: an SLA target is close' },
  breached: { name: 'sla: breached', color: 'b60205', description: 'sla-sync: an SLA target was missed' },
} as const;
const SLA_LABEL_NAMES: readonly string[] = [SLA_LABELS.atRisk.name, SLA_LABELS.breached.name];

/** Bump when the comment's wording changes, so existing comments are rewritten once. */
const COMMENT_FORMAT = 1;

/**
 * What we remember per issue. `seenLabels` are the issue's labels as the caller last told us: while
 * the caller's labels stay the same, they are stale (the store has not re-read the issue since our
 * last write) and our own record `slaLabels` is believed; once they differ, the store re-read the
 * issue and they are believed, so a label a human removed is put back.
 */
const writebackStateSchema = z.object({
  v: z.literal(1),
  fingerprint: z.string(),
  commentId: z.number().nullable(),
  seenLabels: z.array(z.string()),
  slaLabels: z.array(z.string()),
});
export type GithubWritebackState = z.infer<typeof writebackStateSchema>;

const METRIC_TITLES: Record<MetricName, string> = { firstResponse: 'First response', resolution: 'Resolution' };
const STATE_TITLES: Record<MetricState['state'], string> = {
  met: '✅ met',
  breached: '🔴 breached',
  paused: '⏸️ paused',
  at_risk: '⚠️ at risk',
  running: '🟢 running',
};

/** `sla: breached` while any metric is breached, `sla: at risk` while any is at risk (both can hold). */
export function wantedSlaLabels(sla: SlaSnapshot): string[] {
  const states = Object.values(sla.evaluation.metrics).map((m) => m.state);
  const wanted: string[] = [];
  if (states.includes('at_risk')) wanted.push(SLA_LABELS.atRisk.name);
  if (states.includes('breached')) wanted.push(SLA_LABELS.breached.name);
  return wanted;
}

const metricEntries = (sla: SlaSnapshot): [MetricName, MetricState][] => [
  ['firstResponse', sla.evaluation.metrics.firstResponse],
  ['resolution', sla.evaluation.metrics.resolution],
];

export function writebackFingerprint(sla: SlaSnapshot): string {
  const facts = {
    format: COMMENT_FORMAT,
    labels: wantedSlaLabels(sla),
    severity: sla.evaluation.severity,
    metrics: metricEntries(sla).map(([name, m]) => [name, m.state, m.dueAt, sla.timezones[name]]),
  };
  return createHash('sha256').update(JSON.stringify(facts)).digest('hex').slice(0, 32);
}

/**
 * One Intl formatter per zone, made once: luxon's "yyyy-MM-dd HH:mm ZZZZ" built a new
 * Intl.DateTimeFormat for every zone name it printed (most of a writeback's CPU in a webhook burst).
 * Same text as luxon's in its default locale (en-US): "2025-03-03 12:00 EST", "2025-03-03 13:00 GMT+1".
 */
const localFormats = new Map<string, Intl.DateTimeFormat | null>();
function localFormat(zone: string): Intl.DateTimeFormat | null {
  let format = localFormats.get(zone);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
    } catch {
      format = null; // not a zone Intl knows
    }
    localFormats.set(zone, format);
  }
  return format;
}

/** "2025-03-03 12:00 EST": the instant in the zone, with the zone's short name; "—" for an unknown zone. */
export function formatInZone(iso: string, zone: string): string {
  const format = localFormat(zone);
  if (!format) return '—';
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of format.formatToParts(new Date(iso))) parts[part.type] = part.value;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
}

/** "2026-03-04 09:30 UTC" (as luxon's "yyyy-MM-dd HH:mm 'UTC'", without its cost). */
function formatUtc(iso: string): string {
  const text = new Date(iso).toISOString();
  return `${text.slice(0, 10)} ${text.slice(11, 16)} UTC`;
}

function formatDue(iso: string | null, zone: string): [string, string] {
  if (iso === null) return ['—', '—'];
  return [formatUtc(iso), formatInZone(iso, zone)];
}

export function formatBusinessDuration(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', `${m}m`].filter(Boolean);
  return (d || h) && m === 0 ? parts.slice(0, -1).join(' ') : parts.join(' ');
}

function timeLeft(m: MetricState): string {
  if (m.completedAt !== null) return '—';
  if (m.state === 'breached') return `overdue by ${formatBusinessDuration(m.elapsedSeconds - m.targetSeconds)}`;
  return formatBusinessDuration(m.remainingSeconds) + (m.state === 'paused' ? ' (paused)' : '');
}

/** The status comment. The marker on the first line lets us find it again if our state is lost. */
export function renderSlaComment(sla: SlaSnapshot): string {
  const zones = [...new Set(Object.values(sla.timezones))];
  const localHeader = zones.length === 1 ? `Due (${zones[0]})` : 'Due (calendar zone)';
  const rows = metricEntries(sla).map(([name, m]) => {
    const [utc, local] = formatDue(m.dueAt, sla.timezones[name]);
    return `| ${METRIC_TITLES[name]} | ${STATE_TITLES[m.state]} | ${utc} | ${local} | ${timeLeft(m)} |`;
  });
  const evaluatedAt = formatUtc(sla.evaluatedAt);
  return [
    SLA_COMMENT_MARKER,
    '### SLA status',
    '',
    `Severity **${sla.evaluation.severity}** · status \`${sla.evaluation.status}\``,
    '',
    `| Metric | State | Due (UTC) | ${localHeader} | Business time left |`,
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `<sub>Business time left as of ${evaluatedAt}. This comment is maintained by sla-sync and edited when a state or a due time changes.</sub>`,
  ].join('\n');
}

/**
 * Repository labels are made (with colours) once per process and repository: the first writeback
 * that needs one lists the repository's labels and creates what is missing; the rest wait on it.
 */
const repoLabelsEnsured = new Map<string, Promise<void>>();

async function ensureRepoLabels(gh: GithubClient, key: string, repo: RepoName, ctx: ConnectorContext, outcome: { calls: number; actions: string[] }): Promise<void> {
  const pending = repoLabelsEnsured.get(key);
  if (pending) return pending;
  const run = (async () => {
    const existing = new Set((await listRepoLabels(gh, repo, ctx)).map((l) => l.name.toLowerCase()));
    for (const label of Object.values(SLA_LABELS)) {
      if (existing.has(label.name.toLowerCase())) continue;
      outcome.calls++;
      try {
        await gh.rest.issues.createLabel({ ...repo, ...label });
        outcome.actions.push(`repository label created: ${label.name}`);
      } catch (error) {
        if (httpStatus(error) !== 422) throw error; // 422: someone created it meanwhile
      }
    }
  })();
  repoLabelsEnsured.set(key, run);
  run.catch(() => repoLabelsEnsured.delete(key));
  return run;
}

/** Our comment when the state was lost: the first comment that starts with the marker. */
async function findStatusComment(gh: GithubClient, repo: RepoName, issueNumber: number, ctx: ConnectorContext): Promise<number | null> {
  const comments = await listIssueComments(gh, repo, issueNumber, ctx, (soFar) => soFar.some(isStatusComment));
  return comments.find(isStatusComment)?.id ?? null;
}

/**
 * The status comment as the refresh just before this writeback saw it (fetch-case.ts): its id, null
 * for "the issue has none", undefined when the refresh could not tell. Only a listing made by this
 * very run is trusted, never one stored: a writeback that created the comment and crashed before its
 * state was saved must find that comment, not create a second one.
 */
function hintedStatusComment(hint: WritebackHint | undefined): number | null | undefined {
  const id = hint?.['statusCommentId'];
  return id === null || (typeof id === 'number' && Number.isSafeInteger(id)) ? id : undefined;
}

/**
 * The answers to our writes are read (or dropped) as plain bytes: Octokit's own body parser
 * (json-with-bigint) costs more than the rest of the request (see client.ts, getJsonPage).
 */
async function discardBody(response: Promise<{ data: unknown }>): Promise<void> {
  const body = (await response).data as ReadableStream<Uint8Array> | null | undefined;
  await body?.cancel?.().catch(() => undefined);
}

/** Of the comment a write created, only its id is read. */
const createdCommentSchema = z.object({ id: z.number().int() });

function parseState(previous: WritebackState | null): GithubWritebackState | null {
  const parsed = writebackStateSchema.safeParse(previous);
  return parsed.success ? parsed.data : null;
}

const lower = (labels: readonly string[]): string[] => [...new Set(labels.map((l) => l.toLowerCase()))].sort();
const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export async function githubWriteback(
  cfg: GithubConfig,
  ref: ExternalRef,
  sla: SlaSnapshot,
  previous: WritebackState | null,
  ctx: ConnectorContext,
  hint?: WritebackHint,
): Promise<Result<WritebackOutcome>> {
  const attrs = githubRefAttributes(ref);
  if (!attrs) return err(new ConnectorError('bad_payload', `github: ${ref.externalKey} has no repository and number`));
  const repository = cfg.repositories.find((r) => r.toLowerCase() === attrs.repository.toLowerCase());
  if (!repository) return err(new ConnectorError('misconfigured', `github: ${attrs.repository} is not a repository of this connection`));

  const prev = parseState(previous);
  // Labels unknown (a webhook payload without them): nothing new is known, keep what we knew.
  const seenLabels = attrs.labels ? lower(attrs.labels) : (prev?.seenLabels ?? []);
  const onIssue = prev && sameList(prev.seenLabels, seenLabels) ? prev.slaLabels : seenLabels.filter((l) => SLA_LABEL_NAMES.includes(l));
  const wanted = wantedSlaLabels(sla);
  const toAdd = wanted.filter((l) => !onIssue.includes(l));
  const toRemove = onIssue.filter((l) => !wanted.includes(l));
  const fingerprint = writebackFingerprint(sla);
  const commentDue = !prev || prev.fingerprint !== fingerprint || prev.commentId === null;

  const next: GithubWritebackState = { v: 1, fingerprint, commentId: prev?.commentId ?? null, seenLabels, slaLabels: wanted };
  if (toAdd.length === 0 && toRemove.length === 0 && !commentDue) {
    return ok({ state: prev && sameList(prev.seenLabels, seenLabels) ? previous! : next, calls: 0, actions: [] });
  }

  const outcome = { calls: 0, actions: [] as string[] };
  const repo = splitRepository(repository);
  const issue = { ...repo, issue_number: attrs.number };
  try {
    const gh = githubClientFor(cfg, ctx);
    if (toAdd.length > 0) {
      await ensureRepoLabels(gh, `${cfg.baseUrl}|${repository.toLowerCase()}`, repo, ctx, outcome);
      outcome.calls++;
      await discardBody(gh.rest.issues.addLabels({ ...issue, labels: toAdd, request: { parseSuccessResponseBody: false } }));
      outcome.actions.push(...toAdd.map((l) => `label +${l}`));
    }
    for (const label of toRemove) {
      outcome.calls++;
      try {
        await gh.rest.issues.removeLabel({ ...issue, name: label });
      } catch (error) {
        if (httpStatus(error) !== 404) throw error; // already gone
      }
      outcome.actions.push(`label -${label}`);
    }
    if (commentDue) {
      const body = renderSlaComment(sla);
      const hinted = hintedStatusComment(hint);
      let commentId = prev?.commentId ?? (hinted === undefined ? await findStatusComment(gh, repo, attrs.number, ctx) : hinted);
      if (commentId !== null) {
        outcome.calls++;
        try {
          await discardBody(gh.rest.issues.updateComment({ ...repo, comment_id: commentId, body, request: { parseSuccessResponseBody: false } }));
          outcome.actions.push('comment edited');
        } catch (error) {
          // Deleted by someone (404), or a marker pasted into a comment that is not ours (403).
          if (httpStatus(error) !== 404 && httpStatus(error) !== 403) throw error;
          commentId = null;
        }
      }
      if (commentId === null) {
        outcome.calls++;
        const created = await gh.rest.issues.createComment({ ...issue, body, request: { parseSuccessResponseBody: false } });
        const parsed = createdCommentSchema.safeParse(JSON.parse(await new Response(created.data as unknown as ReadableStream<Uint8Array>).text()));
        // Not retried blindly: the comment may well exist, and the retry finds it (no state, no hint).
        if (!parsed.success) throw new ConnectorError('bad_payload', 'github: the created comment has no id');
        commentId = parsed.data.id;
        outcome.actions.push('comment created');
      }
      next.commentId = commentId;
    }
  } catch (error) {
    return err(toConnectorError(error));
  }
  return ok({ state: next, calls: outcome.calls, actions: outcome.actions });
}
