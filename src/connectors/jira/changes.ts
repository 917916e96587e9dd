// Incremental sync of Jira issues (issue 4, "Sync"): pages of the enhanced JQL search ordered by
// `updated`, each issue with its status/priority history and the comments its first response needs,
// mapped into cases, with a cursor after every page (STYLE.md habit 5).
import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { ConnectorError } from '../types.ts';
import type { CaseInput, ChangePage, ConnectorContext, ExternalRef } from '../types.ts';
import type { JiraConfig } from './config.ts';
import type { JiraChangelog, JiraComment, JiraIssue } from './api-types.ts';
import {
  BASE_FIELDS,
  bulkFetchChangelogs,
  createJiraClient,
  getMyTimeZone,
  getStatuses,
  httpStatus,
  listChangelog,
  listComments,
  searchIssues,
  toConnectorError,
} from './client.ts';
import type { JiraClient } from './client.ts';
import { firstAgentComment, jiraIssueToCase } from './mapper.ts';
import type { JiraStatusInfo } from './mapper.ts';

/**
 * Where the history comes from (measured in test/integration/jira-sync.test.ts, 1,000 issues):
 * - 'expand': `expand=changelog` on the search. Jira returns at most the 40 most recent histories
 *   per issue there, so a longer one is paged again from GET /issue/{id}/changelog.
 * - 'bulkfetch': POST /changelog/bulkfetch for the page's issues, filtered to status and priority.
 * - 'hybrid': `expand=changelog`, and one bulk fetch for the issues whose changelog was cut short.
 */
export type ChangelogStrategy = 'expand' | 'bulkfetch' | 'hybrid';
/**
 * Where the comments come from: 'inline' names the `comment` field in the search (one more list
 * request only for an issue whose inline comments are cut short); 'per-issue' lists every touched
 * issue's comments with GET /issue/{id}/comment.
 */
export type CommentStrategy = 'inline' | 'per-issue';

export interface JiraFetchOptions {
  changelog: ChangelogStrategy;
  comments: CommentStrategy;
}

/**
 * Measured on the fake site (jira-sync.test.ts prints it): requests for a full sync of 1,000 issues
 * in pages of 100 / an incremental sync of 40 changed issues / 100 webhook refreshes (fetchCase):
 *   hybrid + inline comments     50 / 5 / 106  (14.3 MB read)
 *   bulkfetch + inline comments  51 / 5 / 194  (12.6 MB)
 *   expand + inline comments     94 / 6 / 109  (17.5 MB)
 *   hybrid + per-issue comments 920 / 44 / 195
 * hybrid never spends more requests than the others (a bulk fetch only for pages holding a cut-short
 * changelog, none on most refreshes); bulkfetch alone reads ~12% fewer bytes on a full sync.
 */
export const DEFAULT_FETCH_OPTIONS: JiraFetchOptions = { changelog: 'hybrid', comments: 'inline' };

/** The changelog fields the timeline reads: the bulk fetch is filtered to them. */
const HISTORY_FIELDS = ['status', 'priority'];

/**
 * Where a connection's sync stands. `since`: the largest `updated` handed out; `seen`: issue id ->
 * `updated` (ms) of every issue handed out at or after the current search anchor (see anchorMs), to
 * hand out each version once although consecutive searches overlap; `token`: the nextPageToken of
 * the current search while its pages do not move `since` (more issues share the overlap window than
 * fit a page); `jql`: a hash of the JQL it was made for (another JQL starts over).
 */
const cursorSchema = z.object({
  v: z.literal(1),
  jql: z.string(),
  since: z.string().nullable(),
  seen: z.record(z.string(), z.number()),
  token: z.string().nullable(),
});
export type JiraCursor = z.infer<typeof cursorSchema>;

const jqlHash = (jql: string): string => createHash('sha256').update(jql).digest('hex').slice(0, 16);

export function parseCursor(cursor: string | null, jql: string): JiraCursor {
  const fresh: JiraCursor = { v: 1, jql: jqlHash(jql), since: null, seen: {}, token: null };
  if (cursor === null) return fresh;
  let json: unknown;
  try {
    json = JSON.parse(cursor);
  } catch {
    throw new ConnectorError('bad_payload', 'jira: the stored cursor is not JSON');
  }
  const parsed = cursorSchema.safeParse(json);
  if (!parsed.success) throw new ConnectorError('bad_payload', `jira: the stored cursor is not a Jira cursor: ${parsed.error.message}`);
  return parsed.data.jql === fresh.jql ? parsed.data : fresh;
}

const MINUTE = 60_000;

/**
 * The instant a search after `since` starts at: JQL compares `updated` at minute precision, and an
 * issue saved just before the cursor may reach the search index a little late, so the search starts
 * `overlapMinutes` earlier, on a whole minute. Issues already handed out there are skipped by `seen`.
 */
export function anchorMs(since: string | null, overlapMinutes: number): number | null {
  if (since === null) return null;
  return Math.floor((Date.parse(since) - overlapMinutes * MINUTE) / MINUTE) * MINUTE;
}

/**
 * A JQL date literal for `ms`. Jira reads it in the API user's time zone (their profile's), so it is
 * written in that zone. Near a daylight-saving change a local time can name two instants: the literal
 * is then taken an hour earlier, which only widens the search. With no known zone, 12 hours earlier
 * in UTC is safe for every offset from UTC-12 to UTC+14.
 */
export function jqlDate(ms: number, timeZone: string | null): string {
  const local = timeZone ? DateTime.fromMillis(ms, { zone: timeZone }) : null;
  if (!local?.isValid) return DateTime.fromMillis(ms - 12 * 60 * MINUTE, { zone: 'UTC' }).toFormat('yyyy-MM-dd HH:mm');
  const nearChange = local.offset !== local.minus({ hours: 1 }).offset || local.offset !== local.plus({ hours: 1 }).offset;
  return (nearChange ? local.minus({ hours: 1 }) : local).toFormat('yyyy-MM-dd HH:mm');
}

export function searchJql(userJql: string, anchor: number | null, timeZone: string | null): string {
  const where = anchor === null ? `(${userJql})` : `(${userJql}) AND updated >= "${jqlDate(anchor, timeZone)}"`;
  return `${where} ORDER BY updated ASC, key ASC`;
}

/**
 * One step of the cursor: which of the page's issues are new, and the cursor after the page. A page
 * that moves `since` re-anchors the next search on it (an issue edited while we page moves to the end
 * of the `updated` order and would shift a token-paged walk, skipping one); a page that does not
 * (the overlap window holds more than a page) continues the same search with its token.
 */
export function advanceCursor(
  cursor: JiraCursor,
  issues: readonly JiraIssue[],
  nextPageToken: string | null,
  overlapMinutes: number,
): { fresh: JiraIssue[]; next: JiraCursor } {
  const anchor = anchorMs(cursor.since, overlapMinutes) ?? -Infinity;
  const seen = { ...cursor.seen };
  const fresh: JiraIssue[] = [];
  let maxMs = cursor.since === null ? -Infinity : Date.parse(cursor.since);
  let maxIso = cursor.since;
  for (const issue of issues) {
    const ms = Date.parse(issue.fields.updated);
    if (ms < anchor || seen[issue.id] === ms) continue;
    fresh.push(issue);
    seen[issue.id] = ms;
    if (ms > maxMs) {
      maxMs = ms;
      maxIso = issue.fields.updated;
    }
  }
  const progressed = maxIso !== cursor.since;
  const nextAnchor = anchorMs(maxIso, overlapMinutes) ?? -Infinity;
  const kept: Record<string, number> = {};
  for (const [id, ms] of Object.entries(seen).sort(([a], [b]) => Number(a) - Number(b))) if (ms >= nextAnchor) kept[id] = ms;
  return { fresh, next: { v: 1, jql: cursor.jql, since: maxIso, seen: kept, token: progressed ? null : nextPageToken } };
}

/** What the site tells once and the mapper needs: statuses by id, and the zone of JQL dates. */
interface SiteInfo {
  statuses: Map<string, JiraStatusInfo>;
  timeZone: string | null | undefined;
  loadedAt: number;
}

/** Per site and account, for a few minutes: every webhook refresh would otherwise list the statuses. */
const siteInfos = new Map<string, SiteInfo>();
const SITE_INFO_TTL_MS = 10 * MINUTE;

/** Forgets what sites told (tests that count requests start from nothing). */
export function forgetSiteInfo(): void {
  siteInfos.clear();
}

async function siteInfo(client: JiraClient, cfg: JiraConfig, needZone: boolean): Promise<SiteInfo> {
  const key = `${cfg.siteUrl}|${cfg.email}`;
  let info = siteInfos.get(key);
  if (!info || Date.now() - info.loadedAt > SITE_INFO_TTL_MS) {
    info = { statuses: await getStatuses(client), timeZone: undefined, loadedAt: Date.now() };
    if (siteInfos.size > 100) siteInfos.clear();
    siteInfos.set(key, info);
  }
  if (needZone && info.timeZone === undefined) info.timeZone = await getMyTimeZone(client);
  return info;
}

/** A status the list did not have (created since): the list is read again, once per call. */
async function knowAllStatuses(client: JiraClient, info: SiteInfo, histories: Iterable<readonly JiraChangelog[]>): Promise<void> {
  for (const list of histories) {
    for (const h of list) {
      for (const item of h.items) {
        if ((item.fieldId ?? item.field).toLowerCase() !== 'status') continue;
        for (const id of [item.fromId, item.toId]) {
          if (id !== null && !info.statuses.has(id)) {
            info.statuses = await getStatuses(client);
            return;
          }
        }
      }
    }
  }
}

/** Runs `fn` over `items`, `limit` at a time; every started call settles before a failure is thrown. */
async function inBatches<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += limit) {
    const settled = await Promise.allSettled(items.slice(i, i + limit).map(fn));
    for (const s of settled) {
      if (s.status === 'rejected') throw s.reason;
      results.push(s.value);
    }
  }
  return results;
}

/** What `expand=changelog` on a search returns at most per issue (Atlassian's enhanced search migration notes). */
const SEARCH_CHANGELOG_LIMIT = 40;

/** A changelog the search cut short: its total says so, or (without a total) it is as long as the cut. */
const truncated = (issue: JiraIssue): boolean => {
  const log = issue.changelog;
  if (!log) return true;
  return log.total === undefined ? log.histories.length >= SEARCH_CHANGELOG_LIMIT : log.total > log.histories.length;
};

/** Nothing changed since creation: no history, no comment. */
const untouched = (issue: JiraIssue): boolean => issue.fields.updated === issue.fields.created;

async function historiesOf(client: JiraClient, cfg: JiraConfig, issues: readonly JiraIssue[], strategy: ChangelogStrategy): Promise<Map<string, JiraChangelog[] | null>> {
  const out = new Map<string, JiraChangelog[] | null>();
  let bulk: JiraIssue[] = [];
  if (strategy === 'bulkfetch') bulk = issues.filter((i) => !untouched(i));
  else {
    for (const issue of issues) if (!truncated(issue)) out.set(issue.id, issue.changelog!.histories);
    const long = issues.filter(truncated);
    if (strategy === 'hybrid') bulk = long;
    else {
      const lists = await inBatches(long, cfg.concurrency, async (issue) => listChangelog(client, issue.id).catch(goneAsNull));
      long.forEach((issue, i) => out.set(issue.id, lists[i]!));
    }
  }
  if (bulk.length > 0) {
    const fetched = await bulkFetchChangelogs(client, bulk.map((i) => i.id), HISTORY_FIELDS);
    for (const issue of bulk) out.set(issue.id, fetched.get(issue.id) ?? []);
  }
  for (const issue of issues) if (!out.has(issue.id)) out.set(issue.id, []);
  return out;
}

/** An issue deleted (or moved out of sight) between the search and its details: left out. */
function goneAsNull(error: unknown): null {
  if (httpStatus(error) === 404) return null;
  throw error;
}

async function commentsOf(client: JiraClient, cfg: JiraConfig, issues: readonly JiraIssue[], strategy: CommentStrategy): Promise<Map<string, JiraComment[] | null>> {
  const out = new Map<string, JiraComment[] | null>();
  const toList: JiraIssue[] = [];
  for (const issue of issues) {
    const inline = issue.fields.comment;
    if (strategy === 'inline' && inline && inline.comments.length >= inline.total) out.set(issue.id, inline.comments);
    else if (strategy === 'per-issue' && untouched(issue)) out.set(issue.id, []);
    else toList.push(issue);
  }
  const lists = await inBatches(toList, cfg.concurrency, async (issue) => {
    const reporter = issue.fields.reporter?.accountId ?? null;
    // Oldest first, only as far as the first agent comment: the only one the timeline reads.
    return listComments(client, issue.id, (soFar) => firstAgentComment(soFar, reporter, cfg) !== undefined).catch(goneAsNull);
  });
  toList.forEach((issue, i) => out.set(issue.id, lists[i]!));
  return out;
}

export function searchFields(cfg: JiraConfig, options: JiraFetchOptions): string[] {
  return [...BASE_FIELDS, ...(options.comments === 'inline' ? ['comment'] : []), ...(cfg.organizationsFieldId ? [cfg.organizationsFieldId] : [])];
}

/** The cases of one page of issues: their histories and comments fetched, then mapped. */
async function casesOf(client: JiraClient, cfg: JiraConfig, info: SiteInfo, issues: readonly JiraIssue[], options: JiraFetchOptions): Promise<CaseInput[]> {
  if (issues.length === 0) return [];
  const [histories, comments] = await Promise.all([historiesOf(client, cfg, issues, options.changelog), commentsOf(client, cfg, issues, options.comments)]);
  await knowAllStatuses(client, info, [...histories.values()].filter((h): h is JiraChangelog[] => h !== null));
  const cases: CaseInput[] = [];
  for (const issue of issues) {
    const h = histories.get(issue.id);
    const c = comments.get(issue.id);
    if (!h || !c) {
      client.ctx.log('jira: an issue went away during the sync; left out', { key: issue.key });
      continue;
    }
    cases.push(jiraIssueToCase({ siteUrl: cfg.siteUrl, issue, histories: h, comments: c, statuses: info.statuses }, cfg));
  }
  return cases;
}

export async function* fetchJiraChanges(
  cfg: JiraConfig,
  cursor: string | null,
  ctx: ConnectorContext,
  options: JiraFetchOptions = DEFAULT_FETCH_OPTIONS,
): AsyncGenerator<ChangePage> {
  let state = parseCursor(cursor, cfg.jql);
  const client = createJiraClient(cfg, ctx);
  const fields = searchFields(cfg, options);
  const expandChangelog = options.changelog !== 'bulkfetch';
  for (;;) {
    ctx.signal?.throwIfAborted();
    let page: ChangePage;
    let last: boolean;
    try {
      const info = await siteInfo(client, cfg, state.since !== null);
      const jql = searchJql(cfg.jql, anchorMs(state.since, cfg.overlapMinutes), info.timeZone ?? null);
      const query = { jql, fields, expandChangelog, maxResults: cfg.pageSize };
      const result = await searchIssues(client, { ...query, nextPageToken: state.token ?? undefined }).catch(async (error: unknown) => {
        // A stored token that expired (they live 7 days): the same search again from its start.
        if (state.token === null || httpStatus(error) !== 400) throw error;
        return searchIssues(client, query);
      });
      const { fresh, next } = advanceCursor(state, result.issues, result.nextPageToken, cfg.overlapMinutes);
      const cases = await casesOf(client, cfg, info, fresh, options);
      const changed = JSON.stringify(next) !== JSON.stringify(state);
      state = next;
      last = result.nextPageToken === null;
      page = { cases, nextCursor: JSON.stringify(state) };
      if (cases.length === 0 && !changed) break;
    } catch (error) {
      throw toConnectorError(error);
    }
    yield page;
    if (last) break;
  }
}

/** One issue, fresh (after a webhook); null when gone or outside the connection's JQL. */
export async function fetchJiraCase(cfg: JiraConfig, ref: ExternalRef, ctx: ConnectorContext, options: JiraFetchOptions = DEFAULT_FETCH_OPTIONS): Promise<CaseInput | null> {
  if (!/^\d+$/.test(ref.externalId)) return null;
  try {
    const client = createJiraClient(cfg, ctx);
    const info = await siteInfo(client, cfg, false);
    // The connection's own JQL decides whether the issue is one of its cases. A webhook arrives
    // right after the edit, before the search index may have it: reconcileIssues asks the search
    // for read-after-write consistency on this issue.
    // https://developer.atlassian.com/cloud/jira/platform/search-and-reconcile/
    const { issues } = await searchIssues(client, {
      jql: `(${cfg.jql}) AND id = ${ref.externalId}`,
      fields: searchFields(cfg, options),
      expandChangelog: options.changelog !== 'bulkfetch',
      maxResults: 1,
      reconcileIssues: [ref.externalId],
    });
    const issue = issues.find((i) => i.id === ref.externalId);
    if (!issue) return null;
    const [found] = await casesOf(client, cfg, info, [issue], options);
    return found ?? null;
  } catch (error) {
    throw toConnectorError(error);
  }
}
