// Pure mapping from a Jira issue, its changelog and its comments to the case timeline (issue 4,
// "Mapping"). No I/O, no clock: everything comes in as data, including the site's statuses.
import type { Status } from '../../core/types.ts';
import type { CaseInput, ExternalRef, SourceEvent } from '../types.ts';
import type { JiraConfig } from './config.ts';
import { jiraOrganizationsSchema } from './api-types.ts';
import type { JiraChangelog, JiraComment, JiraIssue } from './api-types.ts';

export type JiraMapperConfig = Pick<JiraConfig, 'statusMap' | 'agents' | 'organizationsFieldId'>;

/** A status of the site as GET /rest/api/3/status tells it: its current name and category key. */
export interface JiraStatusInfo {
  name: string;
  /** "new", "indeterminate", "done" (or "undefined"); null when unknown. */
  category: string | null;
}

/** An issue with everything its timeline needs. */
export interface JiraIssueBundle {
  /** https://<site>.atlassian.net, for the browse URL. */
  siteUrl: string;
  issue: JiraIssue;
  /** Its complete changelog, in any order; only status and priority items are read. */
  histories: readonly JiraChangelog[];
  /** Its comments in any order; may stop after the first agent comment (see changes.ts). */
  comments: readonly JiraComment[];
  /** The site's statuses by id: history items name statuses by id, and ids survive renames. */
  statuses: ReadonlyMap<string, JiraStatusInfo>;
}

/** The attributes every Jira CaseInput carries (rules and the writeback read them). */
export interface JiraCaseAttributes {
  projectKey: string;
  issueType: string | null;
  labels: string[];
  reporterAccountId: string | null;
  components: string[];
  /** JSM organizations, when the connection names its Organizations field. */
  organizations?: string[];
  [key: string]: unknown;
}

export const issueBrowseUrl = (siteUrl: string, key: string): string => `${siteUrl}/browse/${encodeURIComponent(key)}`;

/**
 * Jira status -> normalized status: the configured name map first (case-insensitive: "Waiting for
 * customer" = pending by default), then the category: done = solved, To Do = new, anything else open.
 */
export function normalizeJiraStatus(status: JiraStatusInfo, cfg: Pick<JiraMapperConfig, 'statusMap'>): Status {
  const wanted = status.name.toLowerCase();
  for (const [name, mapped] of Object.entries(cfg.statusMap)) if (name.toLowerCase() === wanted) return mapped;
  if (status.category === 'done') return 'solved';
  if (status.category === 'new') return 'new';
  return 'open';
}

/**
 * A comment the customer cannot see: a JSM internal note (jsdPublic false, or the
 * `sd.public.comment` property with internal: true, as JSM stores it), or one restricted to a group
 * or a role. https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-comments/
 */
export function isInternalComment(comment: JiraComment): boolean {
  if (comment.jsdPublic === false) return true;
  if (comment.visibility?.type !== undefined || comment.visibility?.value !== undefined) return true;
  const property = comment.properties?.find((p) => p.key === 'sd.public.comment');
  const value = property?.value;
  return typeof value === 'object' && value !== null && (value as { internal?: unknown }).internal === true;
}

/** The agent rule: a public comment by a licensed user other than the reporter (configurable). */
export function isAgentComment(comment: JiraComment, reporterAccountId: string | null, cfg: Pick<JiraMapperConfig, 'agents'>): boolean {
  const author = comment.author;
  if (!author || isInternalComment(comment)) return false;
  const rule = cfg.agents;
  if (rule.excludeReporter && reporterAccountId !== null && author.accountId === reporterAccountId) return false;
  if (rule.ignoreAccountIds.includes(author.accountId)) return false;
  if (!(rule.accountTypes as readonly string[]).includes(author.accountType ?? 'atlassian')) return false;
  return rule.accountIds === undefined || rule.accountIds.includes(author.accountId);
}

/** The first agent comment (by creation, then id), or undefined. */
export function firstAgentComment(comments: readonly JiraComment[], reporterAccountId: string | null, cfg: Pick<JiraMapperConfig, 'agents'>): JiraComment | undefined {
  return [...comments].sort((a, b) => Date.parse(a.created) - Date.parse(b.created) || numericId(a.id) - numericId(b.id)).find((c) => isAgentComment(c, reporterAccountId, cfg));
}

const numericId = (id: string): number => (/^\d+$/.test(id) ? Number(id) : Number.MAX_SAFE_INTEGER);

/** What identifies an issue in REST responses and webhook payloads alike. */
export interface JiraIssueIdentity {
  id: string;
  key: string;
  fields?: { project?: { key: string }; labels?: string[] } | undefined;
}

/** A ref from a webhook payload: id and key, and the project and labels when the payload has them. */
export function jiraIssueRef(issue: JiraIssueIdentity): ExternalRef {
  const attributes: Record<string, unknown> = {};
  if (issue.fields?.project) attributes['projectKey'] = issue.fields.project.key;
  if (issue.fields?.labels) attributes['labels'] = [...issue.fields.labels];
  return { externalId: issue.id, externalKey: issue.key, attributes };
}

/** The labels a ref says the issue has, or undefined when it does not say. */
export function jiraRefLabels(ref: ExternalRef): string[] | undefined {
  const labels = ref.attributes['labels'];
  return Array.isArray(labels) ? labels.filter((l): l is string => typeof l === 'string') : undefined;
}

function organizationsOf(issue: JiraIssue, fieldId: string | undefined): string[] | undefined {
  if (!fieldId) return undefined;
  const parsed = jiraOrganizationsSchema.safeParse((issue.fields as Record<string, unknown>)[fieldId]);
  return parsed.success ? parsed.data.map((o) => o.name) : undefined;
}

export function jiraCaseAttributes(issue: JiraIssue, cfg: Pick<JiraMapperConfig, 'organizationsFieldId'>): JiraCaseAttributes {
  const f = issue.fields;
  const organizations = organizationsOf(issue, cfg.organizationsFieldId);
  return {
    projectKey: f.project.key,
    issueType: f.issuetype?.name ?? null,
    labels: [...f.labels],
    reporterAccountId: f.reporter?.accountId ?? null,
    components: f.components.map((c) => c.name),
    ...(organizations ? { organizations } : {}),
  };
}

interface StatusRef {
  id: string | null;
  name: string | null;
}

type Step =
  | { at: number; iso: string; order: number; seq: number; kind: 'status'; from: StatusRef; to: StatusRef }
  | { at: number; iso: string; order: number; seq: number; kind: 'priority'; from: string | null; to: string | null }
  | { at: number; iso: string; order: number; seq: number; kind: 'agent_reply'; author: string };

/** At one instant the reply comes first: JSM's "Respond to customer" posts, then transitions. */
const REPLY_ORDER = 0;
const CHANGE_ORDER = 1;

const isField = (item: { field: string; fieldId: string | null }, name: string): boolean => (item.fieldId ?? item.field).toLowerCase() === name;

/**
 * issue + changelog + comments -> CaseInput.
 *
 * The changelog holds no entry for an issue's creation, so the values at creation are the first
 * change's from-values (status and priority separately); with no change, the current values.
 * Changes at or before `created` fold into the `created` event. Status events are emitted when the
 * normalized status changes (Open -> In Progress is no event; In Progress -> Waiting for customer
 * is). If replaying the changelog does not end in the issue's current status and priority (a
 * changelog cut short, a priority renamed since), one reconciling step at `updated` brings the
 * timeline to what Jira reports now.
 */
export function jiraIssueToCase(bundle: JiraIssueBundle, cfg: JiraMapperConfig): CaseInput {
  const { issue, statuses } = bundle;
  const f = issue.fields;
  const createdMs = Date.parse(f.created);
  const reporter = f.reporter?.accountId ?? null;

  const resolve = (ref: StatusRef): { name: string; status: Status } => {
    const known = ref.id !== null ? statuses.get(ref.id) : undefined;
    const info: JiraStatusInfo = known ?? { name: ref.name ?? '', category: null };
    return { name: info.name, status: normalizeJiraStatus(info, cfg) };
  };

  const steps: Step[] = [];
  let seq = 0;
  const ordered = [...bundle.histories].sort((a, b) => Date.parse(a.created) - Date.parse(b.created) || numericId(a.id) - numericId(b.id));
  for (const h of ordered) {
    const at = Date.parse(h.created);
    for (const item of h.items) {
      const base = { at, iso: h.created, order: CHANGE_ORDER, seq: seq++ };
      if (isField(item, 'status')) steps.push({ ...base, kind: 'status', from: { id: item.fromId, name: item.fromName }, to: { id: item.toId, name: item.toName } });
      else if (isField(item, 'priority')) steps.push({ ...base, kind: 'priority', from: item.fromName, to: item.toName });
    }
  }
  const reply = firstAgentComment(bundle.comments, reporter, cfg);
  if (reply?.author) {
    const at = Math.max(Date.parse(reply.created), createdMs); // a reply "before" creation (imports) happens at it
    steps.push({ at, iso: at === createdMs ? f.created : reply.created, order: REPLY_ORDER, seq: seq++, kind: 'agent_reply', author: reply.author.accountId });
  }
  steps.sort((a, b) => a.at - b.at || a.order - b.order || a.seq - b.seq);

  const current = resolve({ id: f.status.id, name: f.status.name });
  const currentStatus: { name: string; status: Status } = f.status.statusCategory
    ? { name: f.status.name, status: normalizeJiraStatus({ name: f.status.name, category: f.status.statusCategory.key }, cfg) }
    : current;
  const currentPriority = f.priority?.name ?? null;

  const firstStatus = steps.find((s) => s.kind === 'status');
  const firstPriority = steps.find((s) => s.kind === 'priority');
  let rawStatus = firstStatus?.kind === 'status' ? resolve(firstStatus.from) : currentStatus;
  let priority = firstPriority?.kind === 'priority' ? firstPriority.from : currentPriority;

  const apply = (s: Step): void => {
    if (s.kind === 'status') rawStatus = resolve(s.to);
    else if (s.kind === 'priority') priority = s.to;
  };
  const atCreation = (s: Step): boolean => s.at <= createdMs && s.kind !== 'agent_reply';
  for (const s of steps) if (atCreation(s)) apply(s);

  let status = rawStatus.status;
  let emittedPriority = priority;
  const events: SourceEvent[] = [{ at: f.created, type: 'created', status, rawPriority: priority, rawStatus: rawStatus.name }];
  const emitChanges = (iso: string, replyAuthor: string | null): void => {
    if (replyAuthor !== null) events.push({ at: iso, type: 'agent_reply', author: replyAuthor });
    if (priority !== emittedPriority) events.push({ at: iso, type: 'priority', rawPriority: (emittedPriority = priority) });
    if (rawStatus.status !== status) events.push({ at: iso, type: 'status', status: (status = rawStatus.status), rawStatus: rawStatus.name });
  };

  const later = steps.filter((s) => !atCreation(s));
  let lastMs = createdMs;
  for (let i = 0; i < later.length; ) {
    const group = later[i]!;
    let replyAuthor: string | null = null;
    for (; i < later.length && later[i]!.at === group.at; i++) {
      const s = later[i]!;
      if (s.kind === 'agent_reply') replyAuthor = s.author;
      else apply(s);
    }
    lastMs = group.at;
    emitChanges(group.iso, replyAuthor);
  }

  // Reconcile with what Jira reports now.
  if (currentStatus.status !== status || currentPriority !== emittedPriority) {
    const updatedMs = Date.parse(f.updated);
    const at = Math.max(lastMs, updatedMs);
    rawStatus = currentStatus;
    priority = currentPriority;
    emitChanges(at === updatedMs ? f.updated : new Date(at).toISOString().replace('.000Z', 'Z'), null);
  }

  return {
    externalId: issue.id,
    externalKey: issue.key,
    url: issueBrowseUrl(bundle.siteUrl, issue.key),
    title: f.summary,
    rawPriority: currentPriority,
    status: currentStatus.status,
    createdAt: f.created,
    updatedAt: f.updated,
    events,
    attributes: jiraCaseAttributes(issue, cfg),
  };
}
