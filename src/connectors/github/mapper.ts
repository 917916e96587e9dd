// Pure mapping from a GitHub issue, its events and its comments to the case timeline (issue 3,
// "mapped by a pure mapper into the case timeline"). No I/O, no clock: everything comes in as data.
import type { Status } from '../../core/types.ts';
import type { CaseInput, ExternalRef, SourceEvent } from '../types.ts';
import type { GithubConfig } from './config.ts';
import type { GithubComment, GithubIssue, GithubIssueEvent } from './api-types.ts';

/** Marks the status comment sla-sync writes itself, so it is never taken for an agent's reply. */
export const SLA_COMMENT_MARKER = '<!-- sla-sync:status -->';

/**
 * sla-sync's own status comment: the marker opens its body (renderSlaComment). Only the start is
 * looked at: a person's reply that quotes the status comment carries the marker further in, and is
 * still a person's reply.
 */
export const isStatusComment = (comment: { body?: string | null }): boolean => comment.body?.startsWith(SLA_COMMENT_MARKER) ?? false;

export type GithubMapperConfig = Pick<
  GithubConfig,
  'severityLabels' | 'defaultPriority' | 'pauseLabels' | 'agentAssociations' | 'agentLogins'
>;

/** An issue with everything the timeline needs, as fetched from one repository. */
export interface GithubIssueBundle {
  /** "owner/name" of the repository the issue was listed from. */
  repository: string;
  issue: GithubIssue;
  /** Its issue events (any order; all types, only label/close/reopen are read). */
  events: readonly GithubIssueEvent[];
  /** Its comments in any order; may stop after the first agent comment (see client.ts). */
  comments: readonly GithubComment[];
}

/** The attributes every GitHub ExternalRef and CaseInput carries (writeback reads them back). */
export interface GithubCaseAttributes {
  repository: string;
  number: number;
  /** Absent when the payload did not say (some webhook payloads carry no labels). */
  labels?: string[];
  authorLogin: string | null;
  [key: string]: unknown;
}

/** What identifies an issue, in REST responses and webhook payloads alike. */
export interface GithubIssueIdentity {
  id: number;
  number: number;
  user?: { login: string } | null;
  labels?: { name: string }[];
  pull_request?: unknown;
}

export const isPullRequest = (issue: GithubIssueIdentity): boolean => issue.pull_request != null;

export const issueLabelNames = (issue: GithubIssueIdentity): string[] => (issue.labels ?? []).map((label) => label.name);

export function githubIssueRef(repository: string, issue: GithubIssueIdentity): ExternalRef {
  const attributes: GithubCaseAttributes = {
    repository,
    number: issue.number,
    ...(issue.labels ? { labels: issueLabelNames(issue) } : {}),
    authorLogin: issue.user?.login ?? null,
  };
  return { externalId: String(issue.id), externalKey: `${repository}#${issue.number}`, attributes };
}

/** Reads the attributes back from a ref built by githubIssueRef (or stored from one). */
export function githubRefAttributes(ref: ExternalRef): GithubCaseAttributes | null {
  const a = ref.attributes;
  if (typeof a['repository'] !== 'string' || typeof a['number'] !== 'number') return null;
  const labels = Array.isArray(a['labels']) ? a['labels'].filter((l): l is string => typeof l === 'string') : undefined;
  const authorLogin = typeof a['authorLogin'] === 'string' ? a['authorLogin'] : null;
  return { ...a, repository: a['repository'], number: a['number'], ...(labels ? { labels } : {}), authorLogin };
}

/**
 * Severity labels are matched case-insensitively (GitHub label names are unique regardless of case)
 * and reported in the config's spelling, so the priority mapping in the store has one key per label.
 */
interface PriorityRank {
  rawPriority: string;
  rank: number;
}

function priorityLookup(cfg: GithubMapperConfig): Map<string, PriorityRank> {
  const lookup = new Map<string, PriorityRank>();
  Object.entries(cfg.severityLabels).forEach(([label, severity], order) => {
    // S1 outranks S2...; between labels of one severity the first one in the config wins.
    lookup.set(label.toLowerCase(), { rawPriority: label, rank: Number(severity.slice(1)) * 1000 + order });
  });
  return lookup;
}

function priorityOf(labels: Iterable<string>, lookup: Map<string, PriorityRank>, fallback: string | null): string | null {
  let best: PriorityRank | undefined;
  for (const label of labels) {
    const hit = lookup.get(label.toLowerCase());
    if (hit && (!best || hit.rank < best.rank)) best = hit;
  }
  return best ? best.rawPriority : fallback;
}

/** The raw priority that the labels present now give (the highest severity), or the default. */
export function githubPriorityFromLabels(labels: Iterable<string>, cfg: GithubMapperConfig): string | null {
  return priorityOf(labels, priorityLookup(cfg), cfg.defaultPriority);
}

/**
 * An agent's comment: by association (OWNER, MEMBER, COLLABORATOR by default) or by login, never by
 * the issue's author (a maintainer filing an issue does not answer it by commenting on it), and never
 * sla-sync's own status comment.
 */
export function isAgentComment(comment: GithubComment, issueAuthorLogin: string | null, cfg: GithubMapperConfig): boolean {
  const login = comment.user?.login;
  if (!login) return false;
  if (issueAuthorLogin !== null && login.toLowerCase() === issueAuthorLogin.toLowerCase()) return false;
  if (isStatusComment(comment)) return false;
  const byAssociation = (cfg.agentAssociations as readonly string[]).includes(comment.author_association ?? '');
  const byLogin = (cfg.agentLogins ?? []).some((agent) => agent.toLowerCase() === login.toLowerCase());
  return byAssociation || byLogin;
}

type Step =
  | { at: number; iso: string; order: number; id: number; kind: 'labeled' | 'unlabeled'; label: string }
  | { at: number; iso: string; order: number; id: number; kind: 'closed' | 'reopened' }
  | { at: number; iso: string; order: number; id: number; kind: 'agent_reply'; author: string };

/** Comments sort before events at the same second: "close with comment" posts the comment first. */
const COMMENT_ORDER = 0;
const EVENT_ORDER = 1;

/** Timestamps were checked as ISO 8601 by api-types.ts. */
const toMillis = (iso: string): number => Date.parse(iso);

function statusOf(closed: boolean, labels: Set<string>, pauseLabels: Set<string>): Status {
  if (closed) return 'closed';
  for (const label of labels) if (pauseLabels.has(label)) return 'pending';
  return 'open';
}

/**
 * issue + events + comments -> CaseInput.
 *
 * Labels at creation are not in the issue object, so they are reconstructed from the events: a label
 * whose first event is `unlabeled` was there from the start; a label on the issue now with no event
 * at all was there from the start too (GitHub records `labeled` events for labels given at creation,
 * at the creation second, so those fold into `created`). Events at or before `created_at` fold into
 * the `created` event. If replaying the events does not end in the issue's current labels and state
 * (a label renamed or deleted in the repository leaves no event), one reconciling step at the end
 * brings the timeline to the state GitHub reports now.
 *
 * Status: closed (any state_reason: "not_planned" also ends the clock) -> 'closed'; open with a
 * pause label -> 'pending'; otherwise 'open'.
 */
export function githubIssueToCase(bundle: GithubIssueBundle, cfg: GithubMapperConfig): CaseInput {
  const { issue, repository } = bundle;
  const lookup = priorityLookup(cfg);
  const pauseLabels = new Set(cfg.pauseLabels.map((l) => l.toLowerCase()));
  const authorLogin = issue.user?.login ?? null;
  const createdMs = toMillis(issue.created_at);
  const currentLabels = issueLabelNames(issue);

  const steps: Step[] = [];
  for (const e of bundle.events) {
    const at = toMillis(e.created_at);
    const base = { at, iso: e.created_at, order: EVENT_ORDER, id: e.id };
    if ((e.event === 'labeled' || e.event === 'unlabeled') && e.label) {
      steps.push({ ...base, kind: e.event, label: e.label.name.toLowerCase() });
    } else if (e.event === 'closed' || e.event === 'reopened') {
      steps.push({ ...base, kind: e.event });
    }
  }
  const firstAgentComment = [...bundle.comments]
    .sort((a, b) => toMillis(a.created_at) - toMillis(b.created_at) || a.id - b.id)
    .find((c) => isAgentComment(c, authorLogin, cfg));
  if (firstAgentComment?.user) {
    steps.push({
      at: toMillis(firstAgentComment.created_at),
      iso: firstAgentComment.created_at,
      order: COMMENT_ORDER,
      id: firstAgentComment.id,
      kind: 'agent_reply',
      author: firstAgentComment.user.login,
    });
  }
  steps.sort((a, b) => a.at - b.at || a.order - b.order || a.id - b.id);

  // Labels present at creation (see above).
  const firstLabelEvent = new Map<string, 'labeled' | 'unlabeled'>();
  for (const s of steps) {
    if ((s.kind === 'labeled' || s.kind === 'unlabeled') && !firstLabelEvent.has(s.label)) firstLabelEvent.set(s.label, s.kind);
  }
  const labels = new Set<string>();
  for (const [label, first] of firstLabelEvent) if (first === 'unlabeled') labels.add(label);
  for (const label of currentLabels) if (!firstLabelEvent.has(label.toLowerCase())) labels.add(label.toLowerCase());
  let closed = false;

  const apply = (s: Step): void => {
    if (s.kind === 'labeled') labels.add(s.label);
    else if (s.kind === 'unlabeled') labels.delete(s.label);
    else if (s.kind === 'closed') closed = true;
    else if (s.kind === 'reopened') closed = false;
  };

  const atCreation = (s: Step): boolean => s.at <= createdMs && s.kind !== 'agent_reply';
  for (const s of steps) if (atCreation(s)) apply(s);
  const later = steps.filter((s) => !atCreation(s));
  let priority = priorityOf(labels, lookup, cfg.defaultPriority);
  let status = statusOf(closed, labels, pauseLabels);
  const events: SourceEvent[] = [{ at: issue.created_at, type: 'created', status, rawPriority: priority }];

  // Emits what one instant changed: the reply first, then priority, then status.
  let lastMs = createdMs;
  const emitChanges = (iso: string, reply: string | null): void => {
    if (reply !== null) events.push({ at: iso, type: 'agent_reply', author: reply });
    const nextPriority = priorityOf(labels, lookup, cfg.defaultPriority);
    if (nextPriority !== priority) events.push({ at: iso, type: 'priority', rawPriority: (priority = nextPriority) });
    const nextStatus = statusOf(closed, labels, pauseLabels);
    if (nextStatus !== status) events.push({ at: iso, type: 'status', status: (status = nextStatus) });
  };

  for (let i = 0; i < later.length; ) {
    const group = later[i]!;
    // A reply dated before the issue (clock skew, imported issues) happens at its creation.
    const at = Math.max(group.at, createdMs);
    const iso = at === group.at ? group.iso : issue.created_at;
    let reply: string | null = null;
    for (; i < later.length && Math.max(later[i]!.at, createdMs) === at; i++) {
      const s = later[i]!;
      if (s.kind === 'agent_reply') reply = s.author;
      else apply(s);
    }
    lastMs = at;
    emitChanges(iso, reply);
  }

  // Reconcile with what GitHub reports now (renamed or deleted labels, missing close events).
  const nowLabels = new Set(currentLabels.map((l) => l.toLowerCase()));
  const nowClosed = issue.state === 'closed';
  const labelsDiffer = nowLabels.size !== labels.size || [...nowLabels].some((l) => !labels.has(l));
  if (labelsDiffer || nowClosed !== closed) {
    const reportedAt = nowClosed !== closed && nowClosed && issue.closed_at ? issue.closed_at : issue.updated_at;
    const at = Math.max(lastMs, toMillis(reportedAt));
    labels.clear();
    for (const l of nowLabels) labels.add(l);
    closed = nowClosed;
    emitChanges(at === toMillis(reportedAt) ? reportedAt : new Date(at).toISOString(), null);
  }

  return {
    externalId: String(issue.id),
    externalKey: `${repository}#${issue.number}`,
    url: issue.html_url,
    title: issue.title,
    rawPriority: priorityOf(currentLabels, lookup, cfg.defaultPriority),
    status: statusOf(nowClosed, nowLabels, pauseLabels),
    createdAt: issue.created_at,
    updatedAt: issue.updated_at,
    events,
    attributes: githubIssueRef(repository, issue).attributes,
  };
}
