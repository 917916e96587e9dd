// One issue fetched again after a webhook (issue 3, "webhook-triggered refreshes"): the issue and its
// timeline (events and comments in one list), mapped like a sync's, plus what the listing says of
// sla-sync's own status comment, so that the writeback made right after the refresh need not list
// the comments again.
import { z } from 'zod';
import type { CaseInput, ConnectorContext, ExternalRef } from '../types.ts';
import { githubCommentSchema, githubIssueEventSchema } from './api-types.ts';
import type { GithubComment, GithubIssue, GithubIssueEvent } from './api-types.ts';
import type { GithubConfig } from './config.ts';
import { PER_PAGE, createGithubClient, getIssue, listAllPages, listIssueComments, listIssueEvents, splitRepository, toConnectorError } from './client.ts';
import type { GithubClient, RepoName } from './client.ts';
import { githubIssueToCase, githubRefAttributes, isAgentComment, isPullRequest, isStatusComment } from './mapper.ts';

/**
 * The writeback hint of a GitHub case: the id of the issue's status comment (the first comment that
 * starts with the marker), or null when the listing just made saw every comment and none was ours.
 */
export interface GithubWritebackHint {
  statusCommentId: number | null;
  [key: string]: unknown;
}

/**
 * What the listing proves about the status comment, or undefined when it proves nothing: the listing
 * stops at the first agent comment, and only a listing holding at least as many comments as the issue
 * counted when it was read is complete (a comment added since is newer than the listing; one deleted
 * meanwhile only makes it longer than needed).
 */
export function statusCommentHint(issue: Pick<GithubIssue, 'comments'>, comments: readonly Pick<GithubComment, 'id' | 'body'>[]): GithubWritebackHint | undefined {
  const ours = comments.find(isStatusComment);
  if (ours) return { statusCommentId: ours.id };
  return comments.length >= (issue.comments ?? Number.POSITIVE_INFINITY) ? { statusCommentId: null } : undefined;
}

/** The timeline items the case is made of: label, close and reopen events, and comments. */
const TIMELINE_EVENTS = new Set(['labeled', 'unlabeled', 'closed', 'reopened']);
const timelineItemSchema = z.object({ event: z.string().optional() });

/**
 * GET /repos/{owner}/{repo}/issues/{issue_number}/timeline, every page: the issue's events and its
 * comments (`commented` items) in one list. An item that fails its schema is logged and skipped, as
 * in the other lists (client.ts, parseItems).
 */
export async function listIssueTimeline(gh: GithubClient, repo: RepoName, issueNumber: number, cfg: GithubConfig, ctx: ConnectorContext): Promise<{ events: GithubIssueEvent[]; comments: GithubComment[] }> {
  type Item = { comment: GithubComment } | { event: GithubIssueEvent };
  const items = await listAllPages<Item>(gh, 'GET /repos/{owner}/{repo}/issues/{issue_number}/timeline', { ...repo, issue_number: issueNumber }, cfg.concurrency, (data) => {
    if (!Array.isArray(data)) return [];
    return data.flatMap((raw: unknown): Item[] => {
      const kind = timelineItemSchema.safeParse(raw);
      const event = kind.success ? kind.data.event : undefined;
      const parsed =
        event === 'commented'
          ? githubCommentSchema.safeParse(raw)
          : event !== undefined && TIMELINE_EVENTS.has(event)
            ? githubIssueEventSchema.safeParse(raw)
            : null;
      if (parsed === null) return [];
      if (!parsed.success) {
        ctx.log('github: skipped a timeline item that does not match its schema', { event, issues: parsed.error.issues.slice(0, 3) });
        return [];
      }
      return [event === 'commented' ? { comment: parsed.data as GithubComment } : { event: parsed.data as GithubIssueEvent }];
    });
  });
  // Pages read at once can overlap when items are added meanwhile: each is kept once.
  const events = new Map<number, GithubIssueEvent>();
  const comments = new Map<number, GithubComment>();
  for (const item of items) {
    if ('comment' in item) comments.set(item.comment.id, item.comment);
    else events.set(item.event.id, item.event);
  }
  return { events: [...events.values()], comments: [...comments.values()] };
}

async function fetchIssueWithHint(gh: GithubClient, cfg: GithubConfig, repository: string, issue: GithubIssue, ctx: ConnectorContext): Promise<CaseInput> {
  const repo = splitRepository(repository);
  const author = issue.user?.login ?? null;
  const unchanged = issue.updated_at === issue.created_at;
  const commentCount = issue.comments ?? Number.POSITIVE_INFINITY;
  // Nothing happened since creation and nobody commented: nothing to list. Under a page of comments:
  // the timeline, one call for events and comments (usually one page). Otherwise as a sync fetches
  // an issue (changes.ts, fetchIssueCase): its events, and its comments only up to the first agent's.
  const { events, comments } =
    unchanged && commentCount === 0
      ? { events: [], comments: [] }
      : commentCount < PER_PAGE
        ? await listIssueTimeline(gh, repo, issue.number, cfg, ctx)
        : await Promise.all([
            unchanged ? [] : listIssueEvents(gh, repo, issue.number, ctx),
            listIssueComments(gh, repo, issue.number, ctx, (soFar) => soFar.some((c) => isAgentComment(c, author, cfg))),
          ]).then(([events, comments]) => ({ events, comments }));
  const hint = statusCommentHint(issue, comments);
  return { ...githubIssueToCase({ repository, issue, events, comments }, cfg), ...(hint ? { writebackHint: hint } : {}) };
}

/**
 * One Octokit per connection runtime (its config and context objects live as long as the runtime
 * is cached) rather than one per call: building one costs more than the request it makes.
 */
const clients = new WeakMap<ConnectorContext, WeakMap<GithubConfig, GithubClient>>();
export function githubClientFor(cfg: GithubConfig, ctx: ConnectorContext): GithubClient {
  let byConfig = clients.get(ctx);
  if (!byConfig) clients.set(ctx, (byConfig = new WeakMap()));
  let client = byConfig.get(cfg);
  if (!client) byConfig.set(cfg, (client = createGithubClient(cfg, ctx)));
  return client;
}

/** One issue, fresh (after a webhook); null when gone, transferred away, a pull request or not ours. */
export async function fetchGithubCase(cfg: GithubConfig, ref: ExternalRef, ctx: ConnectorContext): Promise<CaseInput | null> {
  const attrs = githubRefAttributes(ref);
  if (!attrs) return null;
  const repository = cfg.repositories.find((r) => r.toLowerCase() === attrs.repository.toLowerCase());
  if (!repository) return null;
  try {
    const gh = githubClientFor(cfg, ctx);
    const issue = await getIssue(gh, splitRepository(repository), attrs.number);
    if (!issue || isPullRequest(issue) || String(issue.id) !== ref.externalId) return null;
    return await fetchIssueWithHint(gh, cfg, repository, issue, ctx);
  } catch (error) {
    throw toConnectorError(error);
  }
}
