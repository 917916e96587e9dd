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

/** A page of a list: the parsed JSON body and the page numbers GitHub's Link header names. */
interface JsonPage {
  data: unknown;
  next: number | null;
  last: number | null;
}

function linkedPage(link: string | undefined, rel: string): number | null {
  const match = link?.split(',').find((part) => part.includes(`rel="${rel}"`))?.match(/[?&]page=(\d+)/);
  return match ? Number(match[1]) : null;
}

/**
 * One GET of a JSON list. The body is parsed with JSON.parse: Octokit's own parser
 * (json-with-bigint, for numbers beyond 2^53 that no field we read carries) cost more than the rest
 * of the request. Errors are still Octokit's RequestError (status, headers) for toConnectorError.
 */
async function getJsonPage(gh: GithubClient, route: string, params: Record<string, unknown>): Promise<JsonPage> {
  const res = await gh.request(route, { ...params, request: { parseSuccessResponseBody: false } });
  const body = res.data as ReadableStream<Uint8Array> | null | undefined;
  const text = body ? await new Response(body).text() : '';
  const link = typeof res.headers.link === 'string' ? res.headers.link : undefined;
  return { data: text === '' ? [] : (JSON.parse(text) as unknown), next: linkedPage(link, 'next'), last: linkedPage(link, 'last') };
}

/** Pages of a list, one after the other along rel="next", until `enough` says stop. */
async function listSequential<S extends z.ZodType>(
  gh: GithubClient,
  route: string,
  params: Record<string, unknown>,
  schema: S,
  what: string,
  ctx: ConnectorContext,
  enough: (soFar: readonly z.output<S>[]) => boolean = () => false,
): Promise<z.output<S>[]> {
  const items: z.output<S>[] = [];
  for (let page: number | null = 1; page !== null; ) {
    const res = await getJsonPage(gh, route, { ...params, per_page: PER_PAGE, page });
    items.push(...parseItems(schema, res.data, what, ctx));
    if (enough(items)) break;
    page = res.next;
  }
  return items;
}

/**
 * Every page of a long list: page 1, then, when its Link header names the last page, all the others
 * `concurrency` at once (the connection's rate limiter still caps them); without one, along
 * rel="next". `keep` turns each page's raw items into what is kept (a sync keeps little of each).
 */
export async function listAllPages<T>(
  gh: GithubClient,
  route: string,
  params: Record<string, unknown>,
  concurrency: number,
  keep: (data: unknown) => T[],
): Promise<T[]> {
  const first = await getJsonPage(gh, route, { ...params, per_page: PER_PAGE, page: 1 });
  const pages: T[][] = [keep(first.data)];
  if (first.last !== null && first.last > 1) {
    const numbers = Array.from({ length: first.last - 1 }, (_, i) => i + 2);
    pages.push(...(await mapLimit(numbers, concurrency, async (page) => keep((await getJsonPage(gh, route, { ...params, per_page: PER_PAGE, page })).data))));
  } else {
    for (let page = first.next; page !== null; ) {
      const res = await getJsonPage(gh, route, { ...params, per_page: PER_PAGE, page });
      pages.push(keep(res.data));
      page = res.next;
    }
  }
  return pages.flat();
}

/**
 * Runs `fn` over `items` with at most `limit` at once, results in input order. After a failure no
 * new item starts, and the first error is thrown once the running ones have settled: nothing is left
 * calling the API behind a failed page.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
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

/** GET /repos/{owner}/{repo}/issues, one page; pull requests included (the caller skips them). */
export async function listIssuesPage(
  gh: GithubClient,
  repo: RepoName,
  query: { since?: string; page: number },
  ctx: ConnectorContext,
): Promise<{ issues: GithubIssue[]; rawCount: number }> {
  const res = await getJsonPage(gh, 'GET /repos/{owner}/{repo}/issues', {
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
  return listSequential(gh, 'GET /repos/{owner}/{repo}/issues/{issue_number}/events', { ...repo, issue_number: issueNumber }, githubIssueEventSchema, 'issue event', ctx);
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
  return listSequential(gh, 'GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...repo, issue_number: issueNumber }, githubCommentSchema, 'comment', ctx, enough);
}

/** GET /repos/{owner}/{repo}/issues/{issue_number}; null when gone (404, 410). */
export async function getIssue(gh: GithubClient, repo: RepoName, issueNumber: number): Promise<GithubIssue | null> {
  try {
    const res = await getJsonPage(gh, 'GET /repos/{owner}/{repo}/issues/{issue_number}', { ...repo, issue_number: issueNumber });
    return parseOne(githubIssueSchema, res.data, 'issue');
  } catch (error) {
    if (httpStatus(error) === 404 || httpStatus(error) === 410) return null;
    throw error;
  }
}

export async function listRepoLabels(gh: GithubClient, repo: RepoName, ctx: ConnectorContext): Promise<GithubRepoLabel[]> {
  return listSequential(gh, 'GET /repos/{owner}/{repo}/labels', { ...repo }, githubRepoLabelSchema, 'label', ctx);
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
