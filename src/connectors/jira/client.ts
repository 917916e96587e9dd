// The Jira Cloud REST v3 client: plain requests on ctx.fetch, responses checked with the loose
// schemas, failures turned into ConnectorError codes.
//
// Why not jira.js: 6.x needs Node >= 22 (engines) and this project runs on Node 20; 5.x sends every
// request through axios, which would bypass ctx.fetch, the connection's rate limiter that honours
// Retry-After (src/connectors/retry-after.ts). The connector uses nine operations; each is a few lines here, and
// each is checked against Atlassian's OpenAPI description by the test fake.
import type { z } from 'zod';
import { retryAfterMs } from '../retry-after.ts';
import { ConnectorError } from '../types.ts';
import type { ConnectorContext } from '../types.ts';
import { jiraAuthorization } from './connect-auth.ts';
import type { JiraAuthConfig } from './connect-auth.ts';
import {
  jiraBulkChangelogPageSchema,
  jiraChangelogPageSchema,
  jiraCommentPageSchema,
  jiraIssueSchema,
  jiraMyselfSchema,
  jiraSearchPageSchema,
  jiraStatusListSchema,
} from './api-types.ts';
import type { JiraChangelog, JiraComment, JiraIssue } from './api-types.ts';
import type { JiraStatusInfo } from './mapper.ts';

/** A non-2xx answer, kept whole until toConnectorError decides what it means. */
export class JiraHttpError extends Error {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    readonly body: string,
    what: string,
  ) {
    super(`jira: ${what} answered ${status}${body ? `: ${body.slice(0, 300)}` : ''}`);
    this.name = 'JiraHttpError';
  }
}

type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface JiraClient {
  readonly siteUrl: string;
  /** A request whose JSON answer is returned unparsed (null for 204). */
  request(method: 'GET' | 'POST' | 'PUT', path: string, options?: { query?: Query; body?: unknown }): Promise<unknown>;
  ctx: ConnectorContext;
}

/** bulkfetch is a read sent as POST; ctx.fetch retries 5xx only for methods safe to repeat. */
const READ_ONLY_POSTS = new Set(['/rest/api/3/changelog/bulkfetch']);
const READ_ONLY_POST_RETRIES = [250, 1000];

export function createJiraClient(cfg: JiraAuthConfig, ctx: ConnectorContext): JiraClient {
  // REST mode: basic auth; Connect mode: a JWT per request, its qsh bound to the method and URL.
  const once = async (method: string, url: string, body: unknown): Promise<Response> =>
    ctx.fetch(url, {
      method,
      headers: {
        authorization: jiraAuthorization(cfg, method, url, Date.now()),
        accept: 'application/json',
        'user-agent': 'sla-sync',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });

  return {
    siteUrl: cfg.siteUrl,
    ctx,
    async request(method, path, options = {}) {
      const url = new URL(cfg.siteUrl + path);
      for (const [key, value] of Object.entries(options.query ?? {})) {
        if (value === undefined) continue;
        url.searchParams.set(key, Array.isArray(value) ? value.join(',') : String(value));
      }
      const what = `${method} ${path}`;
      let response = await once(method, url.toString(), options.body);
      const retries = method === 'POST' && READ_ONLY_POSTS.has(path) ? READ_ONLY_POST_RETRIES : [];
      for (const wait of retries) {
        if (response.status < 500) break;
        await response.body?.cancel().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, wait));
        response = await once(method, url.toString(), options.body);
      }
      const text = await response.text();
      if (!response.ok) throw new JiraHttpError(response.status, response.headers, text, what);
      if (response.status === 204 || text.length === 0) return null;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new ConnectorError('bad_payload', `jira: ${what} did not answer JSON`);
      }
    },
  };
}

function parseOne<S extends z.ZodType>(schema: S, data: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new ConnectorError('bad_payload', `jira: ${what} does not match its schema: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** The issue fields the mapper reads; the search returns only ids unless fields are named. */
export const BASE_FIELDS = ['summary', 'status', 'priority', 'created', 'updated', 'reporter', 'issuetype', 'project', 'labels', 'components'] as const;

export interface SearchQuery {
  jql: string;
  fields: readonly string[];
  expandChangelog: boolean;
  maxResults: number;
  nextPageToken?: string | undefined;
  /** Issue ids to read with read-after-write consistency (at most 50): the search index lags edits. */
  reconcileIssues?: readonly string[];
}

export interface SearchPage {
  issues: JiraIssue[];
  nextPageToken: string | null;
}

/**
 * GET /rest/api/3/search/jql, one page. An issue that fails its schema is logged and left out (a
 * counted error, STYLE.md habit 2); an answer that is no search page at all is a bad_payload.
 */
export async function searchIssues(client: JiraClient, query: SearchQuery): Promise<SearchPage> {
  const data = await client.request('GET', '/rest/api/3/search/jql', {
    query: {
      jql: query.jql,
      fields: query.fields,
      maxResults: query.maxResults,
      ...(query.expandChangelog ? { expand: 'changelog' } : {}),
      ...(query.nextPageToken ? { nextPageToken: query.nextPageToken } : {}),
      ...(query.reconcileIssues?.length ? { reconcileIssues: query.reconcileIssues } : {}),
    },
  });
  const page = parseOne(jiraSearchPageSchema, data, 'the search page');
  const issues: JiraIssue[] = [];
  for (const raw of page.issues) {
    const parsed = jiraIssueSchema.safeParse(raw);
    if (parsed.success) issues.push(parsed.data);
    else {
      const id = typeof raw === 'object' && raw !== null && 'key' in raw ? String(raw.key) : '?';
      client.ctx.log('jira: skipped an issue that does not match its schema', { id, issues: parsed.error.issues.slice(0, 3) });
    }
  }
  return { issues, nextPageToken: page.nextPageToken ?? null };
}

/** Changelogs per page of the bulk fetch (the API allows up to 10,000). */
export const BULK_CHANGELOG_PAGE = 1000;

/**
 * POST /rest/api/3/changelog/bulkfetch: the changelogs of up to 1,000 issues, only the given fields,
 * all pages. Issues with no matching change are absent from the map.
 */
export async function bulkFetchChangelogs(client: JiraClient, issueIds: readonly string[], fieldIds: readonly string[]): Promise<Map<string, JiraChangelog[]>> {
  const byIssue = new Map<string, JiraChangelog[]>();
  for (let start = 0; start < issueIds.length; start += 1000) {
    const ids = issueIds.slice(start, start + 1000);
    let nextPageToken: string | undefined;
    do {
      const data = await client.request('POST', '/rest/api/3/changelog/bulkfetch', {
        body: { issueIdsOrKeys: ids, fieldIds, maxResults: BULK_CHANGELOG_PAGE, ...(nextPageToken ? { nextPageToken } : {}) },
      });
      const page = parseOne(jiraBulkChangelogPageSchema, data, 'the bulk changelog page');
      for (const entry of page.issueChangeLogs) {
        const list = byIssue.get(entry.issueId) ?? [];
        list.push(...entry.changeHistories);
        byIssue.set(entry.issueId, list);
      }
      nextPageToken = page.nextPageToken ?? undefined;
    } while (nextPageToken);
  }
  return byIssue;
}

/** The page size of the per-issue changelog and comment lists (their documented default and cap). */
export const ISSUE_PAGE = 100;

/** GET /rest/api/3/issue/{id}/changelog, all pages, oldest first. */
export async function listChangelog(client: JiraClient, issueId: string): Promise<JiraChangelog[]> {
  const histories: JiraChangelog[] = [];
  for (let startAt = 0; ; ) {
    const data = await client.request('GET', `/rest/api/3/issue/${encodeURIComponent(issueId)}/changelog`, { query: { startAt, maxResults: ISSUE_PAGE } });
    const page = parseOne(jiraChangelogPageSchema, data, 'the changelog page');
    histories.push(...page.values);
    startAt = page.startAt + page.values.length;
    const done = page.isLast ?? (page.total === undefined ? page.values.length < ISSUE_PAGE : startAt >= page.total);
    if (done || page.values.length === 0) return histories;
  }
}

/**
 * GET /rest/api/3/issue/{id}/comment, oldest first, page by page until `enough` says the comments so
 * far are all that is needed (the timeline reads only the first agent comment).
 */
export async function listComments(client: JiraClient, issueId: string, enough: (soFar: readonly JiraComment[]) => boolean = () => false): Promise<JiraComment[]> {
  const comments: JiraComment[] = [];
  for (let startAt = 0; ; ) {
    const data = await client.request('GET', `/rest/api/3/issue/${encodeURIComponent(issueId)}/comment`, { query: { startAt, maxResults: ISSUE_PAGE, orderBy: 'created' } });
    const page = parseOne(jiraCommentPageSchema, data, 'the comment page');
    comments.push(...page.comments);
    startAt = page.startAt + page.comments.length;
    const done = page.total === undefined ? page.comments.length < ISSUE_PAGE : startAt >= page.total;
    if (done || page.comments.length === 0 || enough(comments)) return comments;
  }
}

/** GET /rest/api/3/status: every status of the site with its category. */
export async function getStatuses(client: JiraClient): Promise<Map<string, JiraStatusInfo>> {
  const list = parseOne(jiraStatusListSchema, await client.request('GET', '/rest/api/3/status'), 'the status list');
  return new Map(list.map((s) => [s.id, { name: s.name, category: s.statusCategory?.key ?? null }]));
}

/** GET /rest/api/3/myself: JQL reads date literals in this user's zone. */
export async function getMyTimeZone(client: JiraClient): Promise<string | null> {
  return parseOne(jiraMyselfSchema, await client.request('GET', '/rest/api/3/myself'), 'the current user').timeZone ?? null;
}

/**
 * How long Jira asks us to wait: Retry-After (seconds or an HTTP date, read as the rate-limited fetch
 * reads it), else X-RateLimit-Reset, which Jira sends as an ISO 8601 instant.
 */
function waitMs(headers: Headers, nowMs: number): number | undefined {
  const asked = retryAfterMs(headers, nowMs);
  if (asked !== null) return asked;
  const reset = Date.parse(headers.get('x-ratelimit-reset') ?? '');
  return Number.isNaN(reset) ? undefined : Math.max(0, reset - nowMs);
}

/**
 * Maps a failure of a Jira call to a ConnectorError; what is neither an HTTP nor a network failure
 * is a bug and is rethrown. Rate limits answer 429 with Retry-After:
 * https://developer.atlassian.com/cloud/jira/platform/rate-limiting/
 */
export function toConnectorError(error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  if (error instanceof JiraHttpError) {
    const { status } = error;
    const wait = waitMs(error.headers, Date.now());
    if (status === 429) return new ConnectorError('rate_limited', error.message, wait ?? 60_000);
    if (status === 401 || status === 403) return new ConnectorError('unauthorized', error.message);
    if (status === 404) return new ConnectorError('not_found', error.message);
    if (status === 409) return new ConnectorError('conflict', error.message);
    if (status >= 400 && status < 500) return new ConnectorError('bad_payload', error.message);
    return new ConnectorError('unavailable', error.message, wait);
  }
  // fetch rejects with TypeError("fetch failed") on network failures, with an AbortError or a
  // TimeoutError when cut short.
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError' || (error instanceof TypeError && error.message === 'fetch failed'))) {
    return new ConnectorError('unavailable', `jira: ${error.message}`);
  }
  throw error;
}

export const httpStatus = (error: unknown): number | null => (error instanceof JiraHttpError ? error.status : null);
