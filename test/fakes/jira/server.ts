// A fake Jira Cloud REST API (v3) on a loopback port. Every request is checked against Atlassian's
// published OpenAPI description first (openapi.ts): an unknown operation answers 404, a deprecated one
// 410 (Atlassian removes them: /rest/api/3/search is gone), a bad parameter or body 400, and all are
// recorded in `violations` so the test fails. Then the in-memory site (world.ts) answers the
// operations the connector uses: the enhanced JQL search with nextPageToken paging, the bulk and
// per-issue changelogs, comments, statuses, the current user, editIssue and setIssueProperty, with
// basic auth, injected faults, and counts of requests, bytes and write calls. With `connect`, it also
// accepts a Connect app's JWT (`Authorization: JWT ...`, qsh checked) and answers the bulk
// permission check apps make for a user (getBulkPermissions).
import { createHash } from 'node:crypto';
import { createQueryStringHash, decodeSymmetric, fromMethodAndUrl, SymmetricAlgorithm } from 'atlassian-jwt';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultPlan, LoopbackServer } from '../loopback.ts';
import type { FaultTarget, RandomFaults } from '../loopback.ts';
import type { OperationSpec } from '../openapi.ts';
import { JqlError, runJql } from './jql.ts';
import { jiraOpenApi } from './openapi.ts';
import { commentJson, historyJson, issueJson, myselfJson, statusJson } from './render.ts';
import type { RenderContext } from './render.ts';
import { CUSTOM_FIELDS, FakeJiraWorld } from './world.ts';
import type { FakeIssue } from './world.ts';

export type JiraFaultKind = 'rate_limit' | 'server_error' | 'slow';

export interface FakeJiraRequest {
  method: string;
  path: string;
  query: string;
  operationId: string | null;
  status: number;
  fault: JiraFaultKind | null;
  /** Bytes of the response body. */
  bytes: number;
}

export interface Violation {
  method: string;
  url: string;
  problems: string[];
}

type FaultFilter = (req: FaultTarget) => boolean;
export type RandomJiraFaults = RandomFaults<JiraFaultKind>;

export interface FakeJiraOptions {
  world?: FakeJiraWorld;
  /** The account and API token basic auth accepts; default sla-sync@example.com / "test-token". */
  email?: string;
  apiToken?: string;
  /** Check every JSON response against its schema too (into responseViolations); default true. */
  validateResponses?: boolean;
  /** Delay of a `slow` fault; default 5 s. */
  slowMs?: number;
  /** Retry-After of rate-limit faults, in seconds; default 1. */
  retryAfterSeconds?: number;
  /** Comments an issue's `comment` field holds at most; default 50 (the rest via GET .../comment). */
  inlineCommentLimit?: number;
  /** Histories `expand=changelog` returns per issue on a search (Atlassian: 40). */
  searchChangelogLimit?: number;
  /** Changelogs per bulk fetch page at most, whatever maxResults asks; default 1000. */
  bulkChangelogCap?: number;
  /** Whether the API user may set notifyUsers=false (Administer Jira / Administer Projects); default true. */
  apiUserIsAdmin?: boolean;
  /** The installed Connect app whose JWTs (HS256, iss = app key, qsh) authenticate like basic auth. */
  connect?: { appKey: string; sharedSecret: string };
  /** Account ids with the Administer Jira global permission (getBulkPermissions); default none. */
  siteAdmins?: readonly string[];
}

/** Operations the fake answers; a valid operation outside this list is a 501 violation. */
const IMPLEMENTED = new Set([
  'searchAndReconsileIssuesUsingJql',
  'getBulkChangelogs',
  'getChangeLogs',
  'getComments',
  'getStatuses',
  'getCurrentUser',
  'editIssue',
  'setIssueProperty',
  'getBulkPermissions',
]);
/**
 * Nulls real responses carry where the description's schema says string: a change item's from/to
 * (the description's own getChangeLogs example shows `"from":null`).
 */
const KNOWN_NULLS = /\.items\[\d+\]\.(from|fromString|to|toString): null is not allowed$/;
/** POSTs that only read. */
const READ_ONLY_POSTS = new Set(['getBulkChangelogs', 'searchAndReconsileIssuesUsingJqlPost', 'getCommentsByIds', 'getBulkPermissions']);

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

const errorAnswer = (status: number, ...messages: string[]): HttpAnswer => new HttpAnswer(status, { errorMessages: messages, errors: {} });
const issueNotFound = (): HttpAnswer => errorAnswer(404, 'Issue does not exist or you do not have permission to see it.');

/** A page token: the request it belongs to (hashed) and where the next page starts. */
const tokenFor = (request: string, offset: number): string => Buffer.from(JSON.stringify({ h: hash(request), o: offset })).toString('base64url');
const hash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);
function offsetOf(token: string | null | undefined, request: string): number | null {
  if (!token) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { h?: unknown; o?: unknown };
    return parsed.h === hash(request) && typeof parsed.o === 'number' ? parsed.o : null;
  } catch {
    return null;
  }
}

export class FakeJira {
  readonly world: FakeJiraWorld;
  readonly violations: Violation[] = [];
  readonly responseViolations: Violation[] = [];
  readonly requests: FakeJiraRequest[] = [];
  writeCalls = 0;
  private readonly faults = new FaultPlan<JiraFaultKind>(['rate_limit', 'server_error', 'slow']);
  private readonly server = new LoopbackServer((req, res) => this.handle(req, res));

  constructor(private readonly options: FakeJiraOptions = {}) {
    this.world = options.world ?? new FakeJiraWorld();
  }

  get faultsServed(): Record<JiraFaultKind, number> {
    return this.faults.served;
  }

  /** The siteUrl to configure the connector with. */
  get url(): string {
    return this.server.url;
  }

  get email(): string {
    return this.options.email ?? this.world.apiUser.email;
  }

  get apiToken(): string {
    return this.options.apiToken ?? 'test-token';
  }

  async listen(): Promise<this> {
    await this.server.listen();
    return this;
  }

  async close(): Promise<void> {
    await this.server.close();
  }

  /** The next `count` requests that `when` accepts (default: any) get this fault. */
  injectFault(kind: JiraFaultKind, count = 1, when: FaultFilter = () => true): void {
    this.faults.inject(kind, count, when);
  }

  setFaultTiming(timing: Pick<FakeJiraOptions, 'retryAfterSeconds' | 'slowMs'>): void {
    Object.assign(this.options, timing);
  }

  setRandomFaults(faults: RandomJiraFaults | null): void {
    this.faults.setRandom(faults);
  }

  /** Answered requests for one operation, e.g. count('getBulkChangelogs'); all requests without one. */
  count(operationId?: string): number {
    return operationId === undefined ? this.requests.length : this.requests.filter((r) => r.operationId === operationId).length;
  }

  /** Response bytes, for one operation or all. */
  bytes(operationId?: string): number {
    return this.requests.filter((r) => operationId === undefined || r.operationId === operationId).reduce((n, r) => n + r.bytes, 0);
  }

  resetCounters(): void {
    this.requests.length = 0;
    this.writeCalls = 0;
    this.faults.resetCounts();
  }

  private render(): RenderContext {
    return {
      world: this.world,
      siteUrl: this.url,
      inlineCommentLimit: this.options.inlineCommentLimit ?? 50,
      searchChangelogLimit: this.options.searchChangelogLimit ?? 40,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://fake');
    const record: FakeJiraRequest = { method, path: url.pathname, query: url.search, operationId: null, status: 0, fault: null, bytes: 0 };
    this.requests.push(record);

    const answer = await this.answer(req, method, url, text, record);
    record.status = answer.status;
    const body = answer.body === undefined ? '' : JSON.stringify(answer.body);
    record.bytes = Buffer.byteLength(body);
    if (res.destroyed) return;
    res.writeHead(answer.status, {
      ...(body ? { 'content-type': 'application/json;charset=UTF-8' } : {}),
      'x-arequestid': `fake-${this.requests.length}`,
      ...answer.headers,
    });
    res.end(body);
  }

  private async answer(req: IncomingMessage, method: string, url: URL, text: string, record: FakeJiraRequest): Promise<HttpAnswer> {
    const api = jiraOpenApi();
    const match = api.matchOperation(method, url.pathname);
    if (!match) return this.violation(method, url, 404, [`no operation ${method} ${url.pathname} in the OpenAPI description`]);
    const { operation, pathParams } = match;
    record.operationId = operation.operationId;
    if (operation.deprecated) return this.violation(method, url, 410, [`${operation.operationId} (${method} ${operation.template}) is deprecated`]);
    const problems = api.checkRequest(match, url.searchParams, { contentType: req.headers['content-type'], text });
    if (problems.length > 0) return this.violation(method, url, 400, problems);
    if (!IMPLEMENTED.has(operation.operationId)) return this.violation(method, url, 501, [`${operation.operationId} is valid but not implemented by the fake`]);

    const expected = `Basic ${Buffer.from(`${this.email}:${this.apiToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected && !this.connectJwtIsValid(req.headers.authorization, method, url)) {
      return errorAnswer(401, 'Client must be authenticated to access this resource.');
    }

    const fault = this.faults.pick({ method, path: url.pathname, operationId: operation.operationId });
    if (fault) {
      record.fault = fault;
      const faulted = await this.faultAnswer(fault);
      if (faulted) return faulted;
    }

    const answer = this.route(operation.operationId, pathParams, url, text, method);
    if (answer.status < 300 && method !== 'GET' && !READ_ONLY_POSTS.has(operation.operationId)) this.writeCalls++;
    if (this.options.validateResponses !== false && answer.status < 300) this.checkResponse(operation, method, url, answer);
    return answer;
  }

  /** A Connect app's request JWT: signed with its shared secret, issued by its key, unexpired, qsh of this request. */
  private connectJwtIsValid(header: string | undefined, method: string, url: URL): boolean {
    const app = this.options.connect;
    const token = /^JWT (\S+)$/.exec(header ?? '')?.[1];
    if (!app || !token) return false;
    try {
      const claims = decodeSymmetric(token, app.sharedSecret, SymmetricAlgorithm.HS256) as { iss?: unknown; exp?: unknown; qsh?: unknown };
      const qsh = createQueryStringHash(fromMethodAndUrl(method, url.pathname + url.search), false, this.url);
      return claims.iss === app.appKey && typeof claims.exp === 'number' && claims.exp * 1000 > Date.now() && claims.qsh === qsh;
    } catch {
      return false;
    }
  }

  private violation(method: string, url: URL, status: number, problems: string[]): HttpAnswer {
    this.violations.push({ method, url: url.pathname + url.search, problems });
    return errorAnswer(status, ...problems);
  }

  private checkResponse(operation: OperationSpec, method: string, url: URL, answer: HttpAnswer): void {
    const schema = jiraOpenApi().responseSchema(operation, answer.status);
    if (!schema || answer.body === undefined) return;
    const problems = jiraOpenApi().validateSchema(schema, answer.body, 'response').filter((p) => !KNOWN_NULLS.test(p));
    if (problems.length > 0) this.responseViolations.push({ method, url: url.pathname + url.search, problems: problems.slice(0, 5) });
  }

  /** The faulted answer; null for `slow`, which answers normally but late. */
  private async faultAnswer(kind: JiraFaultKind): Promise<HttpAnswer | null> {
    const seconds = this.options.retryAfterSeconds ?? 1;
    switch (kind) {
      case 'rate_limit':
        // https://developer.atlassian.com/cloud/jira/platform/rate-limiting/: 429, Retry-After in seconds,
        // X-RateLimit-Reset as an ISO 8601 instant.
        return new HttpAnswer(429, undefined, {
          'retry-after': String(seconds),
          'x-ratelimit-reset': new Date(Date.now() + seconds * 1000).toISOString(),
          'x-ratelimit-nearlimit': 'true',
        });
      case 'server_error':
        return errorAnswer(500, 'Internal server error');
      case 'slow':
        await this.server.sleep(this.options.slowMs ?? 5000);
        return null;
    }
  }

  private route(operationId: string, params: Record<string, string>, url: URL, text: string, method: string): HttpAnswer {
    const q = url.searchParams;
    const ctx = this.render();
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    const issue = params['issueIdOrKey'] ? this.world.issue(params['issueIdOrKey']) : undefined;

    switch (operationId) {
      case 'searchAndReconsileIssuesUsingJql':
        return this.search(url, ctx, method);
      case 'getBulkChangelogs':
        return this.bulkChangelogs(url, ctx, body as { issueIdsOrKeys: string[]; fieldIds?: string[]; maxResults?: number; nextPageToken?: string }, method);
      case 'getChangeLogs': {
        if (!issue) return issueNotFound();
        const startAt = Number(q.get('startAt') ?? 0);
        const maxResults = Math.min(100, Number(q.get('maxResults') ?? 100));
        const all = [...issue.histories].sort((a, b) => a.created - b.created || Number(a.id) - Number(b.id));
        const values = all.slice(startAt, startAt + maxResults);
        const isLast = startAt + values.length >= all.length;
        const self = `${this.url}/rest/api/3/issue/${issue.key}/changelog?startAt=${startAt}&maxResults=${maxResults}`;
        return new HttpAnswer(200, {
          self,
          ...(isLast ? {} : { nextPage: `${this.url}/rest/api/3/issue/${issue.key}/changelog?startAt=${startAt + values.length}&maxResults=${maxResults}` }),
          maxResults,
          startAt,
          total: all.length,
          isLast,
          values: values.map((h) => historyJson(ctx, h)),
        });
      }
      case 'getComments': {
        if (!issue) return issueNotFound();
        const startAt = Number(q.get('startAt') ?? 0);
        const maxResults = Math.min(100, Number(q.get('maxResults') ?? 100));
        const desc = q.get('orderBy') === '-created';
        const all = [...issue.comments].sort((a, b) => (a.created - b.created || Number(a.id) - Number(b.id)) * (desc ? -1 : 1));
        const page = all.slice(startAt, startAt + maxResults);
        return new HttpAnswer(200, { startAt, maxResults, total: all.length, comments: page.map((c) => commentJson(ctx, issue, c)) });
      }
      case 'getStatuses':
        return new HttpAnswer(200, [...this.world.statuses.values()].map((s) => statusJson(ctx, s)));
      case 'getCurrentUser':
        return new HttpAnswer(200, myselfJson(ctx));
      case 'editIssue':
        if (!issue) return issueNotFound();
        return this.editIssue(issue, q, body ?? {});
      case 'setIssueProperty': {
        if (!issue) return issueNotFound();
        const key = params['propertyKey']!;
        if (key.length > 255) return this.violation(method, url, 400, ['the property key is longer than 255 characters']);
        if (Buffer.byteLength(text) > 32768) return this.violation(method, url, 400, ['the property value is longer than 32768 bytes']);
        const existed = issue.properties.has(key);
        issue.properties.set(key, JSON.parse(text) as unknown); // entity properties do not touch `updated`
        return new HttpAnswer(existed ? 200 : 201, undefined);
      }
      case 'getBulkPermissions': {
        // Apps may ask for any user's global permissions from their server (the operation's description).
        const request = (body ?? {}) as { accountId?: string; globalPermissions?: string[] };
        const accountId = request.accountId ?? this.world.apiUser.accountId;
        const granted = (this.options.siteAdmins ?? []).includes(accountId) ? ['ADMINISTER'] : [];
        return new HttpAnswer(200, { globalPermissions: (request.globalPermissions ?? []).filter((p) => granted.includes(p)), projectPermissions: [] });
      }
      default:
        return errorAnswer(404, 'Not Found');
    }
  }

  private search(url: URL, ctx: RenderContext, method: string): HttpAnswer {
    const q = url.searchParams;
    const jql = q.get('jql') ?? '';
    const fields = new Set(q.getAll('fields').flatMap((f) => f.split(',')).map((f) => f.trim()).filter(Boolean));
    if (fields.size === 0) fields.add('id');
    const expand = (q.get('expand') ?? '').split(',').map((e) => e.trim());
    const reconcile = q.getAll('reconcileIssues').flatMap((v) => v.split(','));
    if (reconcile.length > 50) return this.violation(method, url, 400, ['reconcileIssues accepts at most 50 ids']);
    const onlyIds = [...fields].every((f) => f === 'id' || f === 'key');
    // Pages carry at most 100 issues with fields, 5000 with ids only (the parameter's description).
    const maxResults = Math.min(Number(q.get('maxResults') ?? 50), onlyIds ? 5000 : 100);
    let issues: FakeIssue[];
    try {
      issues = runJql(jql, this.world);
    } catch (error) {
      if (error instanceof JqlError) return this.violation(method, url, 400, [`jql: ${error.message}`]);
      throw error;
    }
    const request = JSON.stringify([jql, [...fields].sort(), expand.sort(), maxResults]);
    const offset = offsetOf(q.get('nextPageToken'), request);
    if (offset === null) return this.violation(method, url, 400, ['nextPageToken does not belong to this search']);
    const page = issues.slice(offset, offset + maxResults);
    const isLast = offset + page.length >= issues.length;
    const withChangelog = expand.includes('changelog');
    return new HttpAnswer(200, {
      issues: page.map((i) => (onlyIds ? { id: i.id, ...(fields.has('key') ? { key: i.key } : {}) } : issueJson(ctx, i, fields, withChangelog))),
      ...(isLast ? {} : { nextPageToken: tokenFor(request, offset + page.length) }),
      isLast,
    });
  }

  private bulkChangelogs(url: URL, ctx: RenderContext, body: { issueIdsOrKeys: string[]; fieldIds?: string[]; maxResults?: number; nextPageToken?: string }, method: string): HttpAnswer {
    const { nextPageToken, ...request } = body;
    const offset = offsetOf(nextPageToken, JSON.stringify(request));
    if (offset === null) return this.violation(method, url, 400, ['nextPageToken does not belong to this request']);
    const fieldIds = body.fieldIds && body.fieldIds.length > 0 ? new Set(body.fieldIds) : undefined;
    const issues = [...new Set(body.issueIdsOrKeys)].map((k) => this.world.issue(k)).filter((i): i is FakeIssue => i !== undefined);
    // Oldest changelog first, then the smallest issue id (the operation's description).
    const entries = issues
      .flatMap((issue) => issue.histories.filter((h) => !fieldIds || h.items.some((i) => fieldIds.has(i.fieldId))).map((history) => ({ issue, history })))
      .sort((a, b) => a.history.created - b.history.created || Number(a.issue.id) - Number(b.issue.id) || Number(a.history.id) - Number(b.history.id));
    const size = Math.min(body.maxResults ?? 1000, this.options.bulkChangelogCap ?? 1000);
    const page = entries.slice(offset, offset + size);
    const groups = new Map<string, Record<string, unknown>[]>();
    for (const { issue, history } of page) {
      const list = groups.get(issue.id) ?? [];
      list.push(historyJson(ctx, history, fieldIds));
      groups.set(issue.id, list);
    }
    const isLast = offset + page.length >= entries.length;
    return new HttpAnswer(200, {
      issueChangeLogs: [...groups].map(([issueId, changeHistories]) => ({ issueId, changeHistories })),
      ...(isLast ? {} : { nextPageToken: tokenFor(JSON.stringify(request), offset + page.length) }),
    });
  }

  /** editIssue: label operations and fields the fake's screens have (labels, SLA due). */
  private editIssue(issue: FakeIssue, q: URLSearchParams, body: Record<string, unknown>): HttpAnswer {
    if (q.get('notifyUsers') === 'false' && this.options.apiUserIsAdmin === false) {
      return errorAnswer(403, 'To discard the user notification either admin or project admin permissions are required.');
    }
    const errors: Record<string, string> = {};
    const update = (body['update'] ?? {}) as Record<string, { add?: unknown; remove?: unknown; set?: unknown }[]>;
    const fields = (body['fields'] ?? {}) as Record<string, unknown>;
    for (const key of new Set([...Object.keys(update), ...Object.keys(fields)])) {
      if (key !== 'labels' && !CUSTOM_FIELDS[key]) errors[key] = `Field '${key}' cannot be set. It is not on the appropriate screen, or unknown.`;
      if (key in update && key in fields) errors[key] = `Field '${key}' is given in both update and fields.`;
    }
    for (const [fieldId, value] of Object.entries(fields)) {
      if (CUSTOM_FIELDS[fieldId]?.type === 'datetime' && value !== null && (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$/.test(value))) {
        errors[fieldId] = "Date value is invalid. Expected format: yyyy-MM-dd'T'HH:mm:ss.SSSZ";
      }
    }
    if (Object.keys(errors).length > 0) {
      this.violations.push({ method: 'PUT', url: `/rest/api/3/issue/${issue.id}`, problems: Object.values(errors) });
      return new HttpAnswer(400, { errorMessages: [], errors });
    }
    const add: string[] = [];
    const remove: string[] = [];
    for (const op of update['labels'] ?? []) {
      if (typeof op.add === 'string') add.push(op.add);
      if (typeof op.remove === 'string') remove.push(op.remove);
    }
    const { labels, ...custom } = fields;
    this.world.edit(issue, { add, remove, ...(Array.isArray(labels) ? { set: labels as string[] } : {}), fields: custom as Record<string, string | null> }, this.world.apiUser.accountId);
    return new HttpAnswer(204, undefined);
  }
}

export async function startFakeJira(options: FakeJiraOptions = {}): Promise<FakeJira> {
  return new FakeJira(options).listen();
}
