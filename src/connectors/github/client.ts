// The GitHub REST client: Octokit on the sync layer's fetch (which owns rate limiting, retries and
// timeouts, so no Octokit retry/throttling plugins here), vendor responses checked with the loose
// schemas, and HTTP failures turned into ConnectorError codes.
import { Octokit } from '@octokit/rest';
import type { z } from 'zod';
import { ConnectorError } from '../types.ts';
import type { ConnectorContext } from '../types.ts';
import type { GithubConfig } from './config.ts';
import {
  githubCommentSchema,
  githubIssueEventSchema,
  githubIssueSchema,
  githubRepoLabelSchema,
} from './api-types.ts';
import type { GithubComment, GithubIssue, GithubIssueEvent, GithubRepoLabel } from './api-types.ts';

/** GitHub's maximum page size; every list call asks for it, to spend the fewest requests. */
export const PER_PAGE = 100;

export type GithubClient = Octokit;

export function createGithubClient(cfg: Pick<GithubConfig, 'baseUrl' | 'token'>, ctx: ConnectorContext): GithubClient {
  return new Octokit({
    auth: cfg.token,
    baseUrl: cfg.baseUrl,
    userAgent: 'sla-sync',
    request: { fetch: ctx.fetch, signal: ctx.signal },
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: string) => ctx.log(`github: ${message}`),
      error: (message: string) => ctx.log(`github: ${message}`),
    },
  });
}

export interface RepoName {
  owner: string;
  repo: string;
}

export function splitRepository(fullName: string): RepoName {
  const [owner = '', repo = ''] = fullName.split('/');
  return { owner, repo };
}

/**
 * Validates a list response item by item: an item that fails its schema is logged and skipped (a
 * counted error, STYLE.md habit 2), a response that is not a list at all is a bad_payload.
 */
export function parseItems<S extends z.ZodType>(schema: S, data: unknown, what: string, ctx: ConnectorContext): z.output<S>[] {
  if (!Array.isArray(data)) throw new ConnectorError('bad_payload', `github: ${what} is not a list`);
  const items: z.output<S>[] = [];
  for (const raw of data) {
    const parsed = schema.safeParse(raw);
    if (parsed.success) items.push(parsed.data);
    else {
      const id = typeof raw === 'object' && raw !== null && 'id' in raw ? String(raw.id) : '?';
      ctx.log(`github: skipped a ${what} item that does not match its schema`, { id, issues: parsed.error.issues.slice(0, 3) });
    }
  }
  return items;
}

function parseOne<S extends z.ZodType>(schema: S, data: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new ConnectorError('bad_payload', `github: ${what} does not match its schema: ${parsed.error.message}`);
  return parsed.data;
}

/** GET /repos/{owner}/{repo}/issues, one page; pull requests included (the caller skips them). */
export async function listIssuesPage(
  gh: GithubClient,
  repo: RepoName,
  query: { since?: string; page: number },
  ctx: ConnectorContext,
): Promise<{ issues: GithubIssue[]; rawCount: number }> {
  const res = await gh.rest.issues.listForRepo({
    ...repo,
    state: 'all',
    sort: 'updated',
    direction: 'asc',
    per_page: PER_PAGE,
    page: query.page,
    ...(query.since ? { since: query.since } : {}),
  });
  return { issues: parseItems(githubIssueSchema, res.data, 'issue', ctx), rawCount: Array.isArray(res.data) ? res.data.length : 0 };
}

/** GET /repos/{owner}/{repo}/issues/{issue_number}/events, all pages. */
export async function listIssueEvents(gh: GithubClient, repo: RepoName, issueNumber: number, ctx: ConnectorContext): Promise<GithubIssueEvent[]> {
  const events: GithubIssueEvent[] = [];
  const pages = gh.paginate.iterator(gh.rest.issues.listEvents, { ...repo, issue_number: issueNumber, per_page: PER_PAGE });
  for await (const page of pages) events.push(...parseItems(githubIssueEventSchema, page.data, 'issue event', ctx));
  return events;
}

/**
 * GET /repos/{owner}/{repo}/issues/{issue_number}/comments, page by page (oldest first) until `enough`
 * says the comments so far are all that is needed: the timeline reads only the first agent reply.
 */
export async function listIssueComments(
  gh: GithubClient,
  repo: RepoName,
  issueNumber: number,
  ctx: ConnectorContext,
  enough: (soFar: readonly GithubComment[]) => boolean = () => false,
): Promise<GithubComment[]> {
  const comments: GithubComment[] = [];
  const pages = gh.paginate.iterator(gh.rest.issues.listComments, { ...repo, issue_number: issueNumber, per_page: PER_PAGE });
  for await (const page of pages) {
    comments.push(...parseItems(githubCommentSchema, page.data, 'comment', ctx));
    if (enough(comments)) break;
  }
  return comments;
}

/** GET /repos/{owner}/{repo}/issues/{issue_number}; null when gone (404, 410). */
export async function getIssue(gh: GithubClient, repo: RepoName, issueNumber: number): Promise<GithubIssue | null> {
  try {
    const res = await gh.rest.issues.get({ ...repo, issue_number: issueNumber });
    return parseOne(githubIssueSchema, res.data, 'issue');
  } catch (error) {
    if (httpStatus(error) === 404 || httpStatus(error) === 410) return null;
    throw error;
  }
}

export async function listRepoLabels(gh: GithubClient, repo: RepoName, ctx: ConnectorContext): Promise<GithubRepoLabel[]> {
  const labels: GithubRepoLabel[] = [];
  const pages = gh.paginate.iterator(gh.rest.issues.listLabelsForRepo, { ...repo, per_page: PER_PAGE });
  for await (const page of pages) labels.push(...parseItems(githubRepoLabelSchema, page.data, 'label', ctx));
  return labels;
}

/** The HTTP status of an Octokit RequestError (network failures and aborts come as 500), else null. */
export function httpStatus(error: unknown): number | null {
  if (typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number') return error.status;
  return null;
}

function header(error: unknown, name: string): string | undefined {
  if (typeof error !== 'object' || error === null || !('response' in error)) return undefined;
  const response = error.response as { headers?: Record<string, unknown> } | undefined;
  const value = response?.headers?.[name];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** Retry-After (seconds or an HTTP date) or x-ratelimit-reset (epoch seconds), in ms from now. */
function retryAfterMs(error: unknown, nowMs: number): number | undefined {
  const retryAfter = header(error, 'retry-after');
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - nowMs);
  }
  const reset = Number(header(error, 'x-ratelimit-reset'));
  if (header(error, 'x-ratelimit-remaining') === '0' && Number.isFinite(reset)) return Math.max(0, reset * 1000 - nowMs);
  return undefined;
}

/**
 * Maps a failure of a GitHub call to a ConnectorError; what is not an HTTP or network failure is a
 * bug and is rethrown. Rate limits: https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
 * (primary: 403 or 429 with x-ratelimit-remaining 0; secondary: 403 or 429, often with retry-after).
 */
export function toConnectorError(error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const status = httpStatus(error);
  const message = error instanceof Error ? error.message : String(error);
  if (status === null) {
    if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
      return new ConnectorError('unavailable', `github: ${message}`);
    }
    throw error;
  }
  const wait = retryAfterMs(error, Date.now());
  const rateLimited =
    status === 429 ||
    (status === 403 && (header(error, 'x-ratelimit-remaining') === '0' || /rate limit/i.test(message) || header(error, 'retry-after') !== undefined));
  if (rateLimited) return new ConnectorError('rate_limited', `github: ${message}`, wait ?? 60_000);
  if (status === 401 || status === 403) return new ConnectorError('unauthorized', `github: ${message}`);
  if (status === 404 || status === 410) return new ConnectorError('not_found', `github: ${message}`);
  if (status === 400 || status === 422) return new ConnectorError('bad_payload', `github: ${message}`);
  return new ConnectorError('unavailable', `github: ${message}`, wait);
}
