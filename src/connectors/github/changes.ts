// Incremental sync of GitHub issues: pages of changed issues, each with its events and comments,
// mapped into cases, with a cursor after every page (STYLE.md habit 5).
import { z } from 'zod';
import { ConnectorError } from '../types.ts';
import type { CaseInput, ChangePage, ConnectorContext, ExternalRef } from '../types.ts';
import type { GithubConfig } from './config.ts';
import type { GithubIssue } from './api-types.ts';
import {
  PER_PAGE,
  createGithubClient,
  getIssue,
  httpStatus,
  listIssueComments,
  listIssueEvents,
  listIssuesPage,
  splitRepository,
  toConnectorError,
} from './client.ts';
import type { GithubClient } from './client.ts';
import { githubIssueToCase, githubRefAttributes, isAgentComment, isPullRequest } from './mapper.ts';

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
 * Runs `fn` over `items` with at most `limit` at once, results in input order. After a failure no
 * new item starts, and the first error is thrown once the running ones have settled: nothing is left
 * calling the API behind a failed page.
 */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const index = next++;
      try {
        results[index] = await fn(items[index]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw (failure as { error: unknown }).error;
  return results;
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
    for (;;) {
      ctx.signal?.throwIfAborted();
      let page: ChangePage;
      let full: boolean;
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
        const cases = (await mapLimit(wanted, cfg.concurrency, (issue) => fetchIssueCaseUnlessGone(gh, cfg, repository, issue, ctx))).filter(
          (c): c is CaseInput => c !== null,
        );
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

/** One issue, fresh (after a webhook); null when gone, transferred away, a pull request or not ours. */
export async function fetchGithubCase(cfg: GithubConfig, ref: ExternalRef, ctx: ConnectorContext): Promise<CaseInput | null> {
  const attrs = githubRefAttributes(ref);
  if (!attrs) return null;
  const repository = cfg.repositories.find((r) => repoKey(r) === repoKey(attrs.repository));
  if (!repository) return null;
  try {
    const gh = createGithubClient(cfg, ctx);
    const issue = await getIssue(gh, splitRepository(repository), attrs.number);
    if (!issue || isPullRequest(issue) || String(issue.id) !== ref.externalId) return null;
    return await fetchIssueCase(gh, cfg, repository, issue, ctx);
  } catch (error) {
    throw toConnectorError(error);
  }
}
