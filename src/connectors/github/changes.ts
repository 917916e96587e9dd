// Incremental sync of GitHub issues: pages of changed issues, each with its events and comments,
// mapped into cases, with a cursor after every page (STYLE.md habit 5).
import { z } from 'zod';
import { ConnectorError } from '../types.ts';
import type { CaseInput, ChangePage, ConnectorContext } from '../types.ts';
import type { GithubConfig } from './config.ts';
import { githubRepoCommentSchema, githubRepoIssueEventSchema } from './api-types.ts';
import type { GithubComment, GithubIssue, GithubIssueEvent } from './api-types.ts';
import {
  PER_PAGE,
  createGithubClient,
  httpStatus,
  listAllPages,
  listIssueComments,
  listIssueEvents,
  listIssuesPage,
  mapLimit,
  parseItems,
  splitRepository,
  toConnectorError,
} from './client.ts';
import type { GithubClient, RepoName } from './client.ts';
import { SLA_COMMENT_MARKER, githubIssueToCase, isAgentComment, isPullRequest, isStatusComment } from './mapper.ts';

/**
 * Where one repository's sync stands. `since` is the largest `updated_at` fully handed out;
 * `seen` the ids already handed out at exactly that second; `page` > 1 only while more than a page
 * of issues share that second.
 */
const repoCursorSchema = z.object({
  since: z.string().nullable(),
  page: z.number().int().min(1),
  seen: z.array(z.number()),
});
type RepoCursor = z.infer<typeof repoCursorSchema>;

const cursorSchema = z.object({ v: z.literal(1), repos: z.record(z.string(), repoCursorSchema) });
export type GithubCursor = z.infer<typeof cursorSchema>;

export function parseCursor(cursor: string | null): GithubCursor {
  if (cursor === null) return { v: 1, repos: {} };
  let json: unknown;
  try {
    json = JSON.parse(cursor);
  } catch {
    throw new ConnectorError('bad_payload', 'github: the stored cursor is not JSON');
  }
  const parsed = cursorSchema.safeParse(json);
  if (!parsed.success) throw new ConnectorError('bad_payload', `github: the stored cursor is not a GitHub cursor: ${parsed.error.message}`);
  return parsed.data;
}

const repoKey = (repository: string): string => repository.toLowerCase();
const toSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The `since` to ask for. One second earlier than the cursor, and the issues at or before the cursor
 * filtered out here: this is correct whether GitHub's `since` is inclusive or not, and an issue
 * updated in the cursor's second after the previous page was read is not lost.
 */
function sinceParam(rc: RepoCursor): string | undefined {
  return rc.since === null ? undefined : toSeconds(Date.parse(rc.since) - 1000);
}

/**
 * One step of the cursor: which of the page's issues are new, and where the next request starts.
 * Pages are re-anchored on `since` rather than walked by page number: an issue updated while we page
 * moves to the end of the `updated asc` order and would shift a page-numbered walk, skipping one.
 */
export function advanceCursor(rc: RepoCursor, issues: readonly GithubIssue[], pageWasFull: boolean): { fresh: GithubIssue[]; next: RepoCursor } {
  const sinceMs = rc.since === null ? -Infinity : Date.parse(rc.since);
  const seen = new Set(rc.seen);
  const fresh = issues.filter((i) => {
    const ms = Date.parse(i.updated_at);
    return ms > sinceMs || (ms === sinceMs && !seen.has(i.id));
  });
  let max: GithubIssue | undefined;
  for (const i of issues) if (!max || Date.parse(i.updated_at) > Date.parse(max.updated_at)) max = i;
  const maxMs = max ? Date.parse(max.updated_at) : -Infinity;

  if (max && maxMs > sinceMs) {
    const atMax = issues.filter((i) => Date.parse(i.updated_at) === maxMs).map((i) => i.id);
    return { fresh, next: { since: max.updated_at, page: 1, seen: [...new Set(atMax)] } };
  }
  // Nothing on this page goes past the cursor's second: remember what was handed out and, when the
  // page was full, look at the next one (more than a page of issues share one second). At the end
  // of the list, start again from page 1 next time: issues of that second updated meanwhile shift
  // the pages, and only a walk from page 1 is sure to meet every issue still at that second.
  const freshIds = fresh.map((i) => i.id);
  return { fresh, next: { since: rc.since, page: pageWasFull ? rc.page + 1 : 1, seen: [...new Set([...rc.seen, ...freshIds])] } };
}

/**
 * Fetches what the timeline needs for one issue, skipping calls that cannot return anything:
 * - events: skipped when `updated_at` equals `created_at` (nothing has happened since creation; the
 *   issue's labels are then its labels at creation);
 * - comments: skipped when the issue's `comments` count is 0, and paged only until the first agent
 *   comment (the only one the timeline uses).
 */
export async function fetchIssueCase(gh: GithubClient, cfg: GithubConfig, repository: string, issue: GithubIssue, ctx: ConnectorContext): Promise<CaseInput> {
  const repo = splitRepository(repository);
  const author = issue.user?.login ?? null;
  const [events, comments] = await Promise.all([
    issue.updated_at === issue.created_at ? [] : listIssueEvents(gh, repo, issue.number, ctx),
    issue.comments === 0 ? [] : listIssueComments(gh, repo, issue.number, ctx, (soFar) => soFar.some((c) => isAgentComment(c, author, cfg))),
  ]);
  return githubIssueToCase({ repository, issue, events, comments }, cfg);
}

/**
 * A repository's whole issue history, read in bulk for a sync from the beginning: every issue event
 * (GET /repos/{owner}/{repo}/issues/events) and every comment (GET /repos/{owner}/{repo}/issues/comments),
 * 100 a page and many pages at once, instead of two calls per issue. Only what the timeline reads
 * is kept of each item (the events of a repository carry their whole issue).
 *
 * The lists are read before the issue pages, so the issues are at least as new as the history. An
 * issue is taken from the history only when the history is sure to be complete for it (`covers`);
 * any other issue is fetched on its own, as an incremental sync does.
 */
export interface RepoHistory {
  events: Map<number, GithubIssueEvent[]>;
  comments: Map<number, GithubComment[]>;
  /** The newest event read (ms): an event created later may be missing (see covers). */
  newestEventMs: number;
}

const ISSUE_NUMBER_OF_URL = /\/issues\/(\d+)$/;

export async function fetchRepoHistory(gh: GithubClient, repo: RepoName, cfg: GithubConfig, ctx: ConnectorContext): Promise<RepoHistory> {
  const events = new Map<number, GithubIssueEvent[]>();
  const comments = new Map<number, GithubComment[]>();
  const add = <T>(map: Map<number, T[]>, issueNumber: number, item: T): void => {
    const list = map.get(issueNumber);
    if (list) list.push(item);
    else map.set(issueNumber, [item]);
  };
  let newestEventMs = -Infinity;
  const [rawEvents, rawComments] = await Promise.all([
    listAllPages(gh, 'GET /repos/{owner}/{repo}/issues/events', { ...repo }, cfg.concurrency, (data) =>
      parseItems(githubRepoIssueEventSchema, data, 'repository issue event', ctx).map((e) => ({
        issueNumber: e.issue?.number ?? null,
        event: { id: e.id, event: e.event, created_at: e.created_at, ...(e.label ? { label: { name: e.label.name } } : {}) },
      })),
    ),
    listAllPages(gh, 'GET /repos/{owner}/{repo}/issues/comments', { ...repo, sort: 'created', direction: 'asc' }, cfg.concurrency, (data) =>
      parseItems(githubRepoCommentSchema, data, 'repository comment', ctx).map((c) => ({
        issueNumber: Number(ISSUE_NUMBER_OF_URL.exec(c.issue_url)?.[1] ?? Number.NaN),
        // The body only matters for telling sla-sync's own status comment apart.
        comment: { id: c.id, user: c.user, body: isStatusComment(c) ? SLA_COMMENT_MARKER : '', created_at: c.created_at, updated_at: c.updated_at, author_association: c.author_association },
      })),
    ),
  ]);
  // Pages read at once overlap when events are added meanwhile: each item is kept once.
  const seenEvents = new Set<number>();
  for (const { issueNumber, event } of rawEvents) {
    if (issueNumber === null || seenEvents.has(event.id)) continue;
    seenEvents.add(event.id);
    add(events, issueNumber, event);
    newestEventMs = Math.max(newestEventMs, Date.parse(event.created_at));
  }
  const seenComments = new Set<number>();
  for (const { issueNumber, comment } of rawComments) {
    if (Number.isNaN(issueNumber) || seenComments.has(comment.id)) continue;
    seenComments.add(comment.id);
    add(comments, issueNumber, comment);
  }
  return { events, comments, newestEventMs };
}

/**
 * Whether the history holds everything the issue's timeline needs:
 * - comments: at least as many as the issue counts (a comment deleted while the pages were read
 *   can shift one out of them; a comment added after the list read makes the count larger);
 * - events: the issue was last updated before the newest event read (every label, close and reopen
 *   event updates its issue, so an event the pages missed, created after them, makes `updated_at`
 *   at least that new; strictly before, since GitHub times are whole seconds).
 */
export function historyCovers(history: RepoHistory, issue: GithubIssue): boolean {
  const comments = history.comments.get(issue.number)?.length ?? 0;
  if (comments < (issue.comments ?? 0)) return false;
  return issue.updated_at === issue.created_at || Date.parse(issue.updated_at) < history.newestEventMs;
}

/** An issue deleted or transferred between the list and its events is left out (a webhook or the next sync tells). */
async function fetchIssueCaseUnlessGone(gh: GithubClient, cfg: GithubConfig, repository: string, issue: GithubIssue, ctx: ConnectorContext): Promise<CaseInput | null> {
  try {
    return await fetchIssueCase(gh, cfg, repository, issue, ctx);
  } catch (error) {
    const status = httpStatus(error);
    if (status !== 404 && status !== 410) throw error;
    ctx.log('github: an issue went away during the sync; left out', { repository, number: issue.number, status });
    return null;
  }
}

export async function* fetchGithubChanges(cfg: GithubConfig, cursor: string | null, ctx: ConnectorContext): AsyncGenerator<ChangePage> {
  const state = parseCursor(cursor);
  const gh = createGithubClient(cfg, ctx);
  for (const repository of cfg.repositories) {
    const repo = splitRepository(repository);
    let rc: RepoCursor = state.repos[repoKey(repository)] ?? { since: null, page: 1, seen: [] };
    let history: RepoHistory | undefined;
    for (;;) {
      ctx.signal?.throwIfAborted();
      let page: ChangePage;
      let full: boolean;
      // From the beginning: the repository's history in bulk first (see RepoHistory).
      history ??=
        rc.since === null
          ? await fetchRepoHistory(gh, repo, cfg, ctx).catch((error: unknown) => {
              if (httpStatus(error) === 404) throw new ConnectorError('misconfigured', `github: repository ${repository} not found (or not visible to this token)`);
              throw toConnectorError(error);
            })
          : undefined;
      try {
        const since = sinceParam(rc);
        const { issues, rawCount } = await listIssuesPage(gh, repo, { page: rc.page, ...(since ? { since } : {}) }, ctx).catch((error: unknown) => {
          // The repository itself is missing or hidden from this token: the config is wrong, not GitHub.
          if (httpStatus(error) === 404) throw new ConnectorError('misconfigured', `github: repository ${repository} not found (or not visible to this token)`);
          throw error;
        });
        full = rawCount >= PER_PAGE;
        const { fresh, next } = advanceCursor(rc, issues, full);
        const wanted = fresh.filter((i) => !isPullRequest(i));
        const fromHistory = (issue: GithubIssue): CaseInput | null =>
          history && historyCovers(history, issue)
            ? githubIssueToCase({ repository, issue, events: history.events.get(issue.number) ?? [], comments: history.comments.get(issue.number) ?? [] }, cfg)
            : null;
        const cases = (
          await mapLimit(wanted, cfg.concurrency, async (issue) => fromHistory(issue) ?? (await fetchIssueCaseUnlessGone(gh, cfg, repository, issue, ctx)))
        ).filter((c): c is CaseInput => c !== null);
        const changed = JSON.stringify(next) !== JSON.stringify(rc);
        rc = next;
        state.repos[repoKey(repository)] = rc;
        page = { cases, nextCursor: JSON.stringify(state) };
        if (cases.length === 0 && !changed) break;
      } catch (error) {
        throw toConnectorError(error);
      }
      yield page;
      if (!full) break;
    }
  }
}
