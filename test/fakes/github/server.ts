// A fake GitHub REST API on a loopback port. Every request is checked against the published OpenAPI
// description first (openapi.ts): an unknown operation answers 404, a bad parameter or body 422, and
// both are recorded in `violations` so the test fails. Then the in-memory world (world.ts) answers
// the operations the connector uses, with Link pagination, rate-limit headers and injected faults.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { checkRequest, matchOperation, responseSchema, validateSchema } from './openapi.ts';
import type { OperationSpec } from './openapi.ts';
import { commentJson, eventJson, issueJson, labelJson, userJson } from './render.ts';
import type { RenderContext } from './render.ts';
import { FakeWorld, seededRandom } from './world.ts';
import type { FakeComment, FakeEvent, FakeIssue, FakeRepo } from './world.ts';

// --- added for the webhook refresh's one-call fetch (src/connectors/github/fetch-case.ts) ---
/** An issue's timeline: its events and comments by time (GitHub lists it oldest first). */
function timelineOf(issue: FakeIssue): { at: number; id: number; event?: FakeEvent; comment?: FakeComment }[] {
  return [
    ...issue.events.map((event) => ({ at: Date.parse(event.createdAt), id: event.id, event })),
    ...issue.comments.map((comment) => ({ at: Date.parse(comment.createdAt), id: comment.id, comment })),
  ].sort((a, b) => a.at - b.at || a.id - b.id);
}
// --- end of the addition ---

export type FaultKind = 'rate_limit' | 'secondary_rate_limit' | 'server_error' | 'slow';

export interface FakeRequest {
  method: string;
  path: string;
  query: string;
  operationId: string | null;
  status: number;
  fault: FaultKind | null;
}

export interface Violation {
  method: string;
  url: string;
  problems: string[];
}

export interface RandomFaults {
  seed: number;
  /** Probability per request of each fault. */
  probability: Partial<Record<FaultKind, number>>;
  /** Only requests this accepts are faulted (default: all). */
  only?: (req: { method: string; path: string; operationId: string }) => boolean;
}

export interface FakeGithubOptions {
  world?: FakeWorld;
  /** The token the API accepts ("token X" or "Bearer X"); default "test-token". */
  token?: string;
  /** "/api/v3" to look like GitHub Enterprise Server. */
  basePath?: string;
  /** Check every JSON response against its schema too (into responseViolations); default true. */
  validateResponses?: boolean;
  /** Delay of a `slow` fault (the client should time out before it); default 5 s. */
  slowMs?: number;
  /** Retry-After of rate-limit faults, in seconds; default 1. */
  retryAfterSeconds?: number;
  /** Called with each request once answered, before the answer is sent (benchmarks time writes). */
  onRequest?: (request: FakeRequest) => void;
  /**
   * Keep each successful GET's serialized answer until the next write (benchmarks): a repeated read
   * then costs the fake only the request check, so that it is sla-sync's time that is measured.
   */
  cacheReads?: boolean;
}

const IMPLEMENTED = new Set([
  'issues/list-for-repo',
  'issues/get',
  'issues/list-events',
  'issues/list-comments',
  'issues/list-events-for-repo',
  'issues/list-comments-for-repo',
  'issues/list-labels-for-repo',
  'issues/create-label',
  'issues/list-labels-on-issue',
  'issues/add-labels',
  'issues/remove-label',
  'issues/create-comment',
  'issues/update-comment',
  // --- added for the webhook refresh's one-call fetch (src/connectors/github/fetch-case.ts) ---
  'issues/list-events-for-timeline',
]);

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
    /** The body already serialized to bytes (a cached answer: encoded once, not on every read). */
    readonly bytes?: Buffer,
  ) {}
}

const notFound = (): HttpAnswer => new HttpAnswer(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });

export class FakeGithub {
  readonly world: FakeWorld;
  readonly violations: Violation[] = [];
  readonly responseViolations: Violation[] = [];
  readonly requests: FakeRequest[] = [];
  writeCalls = 0;
  readonly faultsServed: Record<FaultKind, number> = { rate_limit: 0, secondary_rate_limit: 0, server_error: 0, slow: 0 };
  randomFaults: RandomFaults | null = null;
  private random: () => number = seededRandom(1);
  private readonly queued: { kind: FaultKind; when: (req: { method: string; path: string; operationId: string }) => boolean }[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly readCache = new Map<string, HttpAnswer>();
  private readonly server = createServer((req, res) => void this.handle(req, res));
  private port = 0;

  constructor(private readonly options: FakeGithubOptions = {}) {
    this.world = options.world ?? new FakeWorld();
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** The baseUrl to configure the connector with. */
  get url(): string {
    return `http://127.0.0.1:${this.port}${this.options.basePath ?? ''}`;
  }

  get token(): string {
    return this.options.token ?? 'test-token';
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next `count` requests that `when` accepts (default: any) get this fault. */
  injectFault(kind: FaultKind, count = 1, when: (req: { method: string; path: string; operationId: string }) => boolean = () => true): void {
    for (let i = 0; i < count; i++) this.queued.push({ kind, when });
  }

  /** Change how faults behave from now on (Retry-After seconds, delay of a slow answer). */
  setFaultTiming(timing: Pick<FakeGithubOptions, 'retryAfterSeconds' | 'slowMs'>): void {
    Object.assign(this.options, timing);
  }

  setRandomFaults(faults: RandomFaults | null): void {
    this.randomFaults = faults;
    if (faults) this.random = seededRandom(faults.seed);
  }

  /** Requests answered for one operation, e.g. count('issues/list-events'). */
  count(operationId: string): number {
    return this.requests.filter((r) => r.operationId === operationId).length;
  }

  resetCounters(): void {
    this.requests.length = 0;
    this.writeCalls = 0;
    for (const k of Object.keys(this.faultsServed) as FaultKind[]) this.faultsServed[k] = 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://fake');
    const record: FakeRequest = { method, path: url.pathname, query: url.search, operationId: null, status: 0, fault: null };
    this.requests.push(record);
    if (method !== 'GET' && method !== 'HEAD') {
      this.writeCalls++;
      this.readCache.clear();
    }

    const answer = await this.answer(req, method, url, text, record);
    record.status = answer.status;
    this.options.onRequest?.(record);
    const body = answer.status === 204 ? '' : (answer.bytes ?? JSON.stringify(answer.body));
    if (res.destroyed) return;
    res.writeHead(answer.status, {
      'content-type': 'application/json; charset=utf-8',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-request-id': `FAKE:${this.requests.length}`,
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-used': '1',
      'x-ratelimit-resource': 'core',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      ...answer.headers,
    });
    res.end(body);
  }

  private async answer(req: IncomingMessage, method: string, url: URL, text: string, record: FakeRequest): Promise<HttpAnswer> {
    const basePath = this.options.basePath ?? '';
    if (!url.pathname.startsWith(basePath)) return this.violation(method, url, 404, [`path outside ${basePath}`]);
    const path = url.pathname.slice(basePath.length) || '/';
    const match = matchOperation(method, path);
    if (!match) return this.violation(method, url, 404, [`no operation ${method} ${path} in the OpenAPI description`]);
    const { operation, pathParams } = match;
    record.operationId = operation.operationId;
    const problems = checkRequest(match, url.searchParams, { contentType: req.headers['content-type'], text });
    if (problems.length > 0) return this.violation(method, url, 422, problems);
    if (!IMPLEMENTED.has(operation.operationId)) return this.violation(method, url, 501, [`${operation.operationId} is valid but not implemented by the fake`]);

    const auth = req.headers.authorization ?? '';
    if (auth !== `token ${this.token}` && auth !== `Bearer ${this.token}`) {
      return new HttpAnswer(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
    }

    const fault = this.pickFault({ method, path, operationId: operation.operationId });
    if (fault) {
      record.fault = fault;
      this.faultsServed[fault]++;
      const faulted = await this.faultAnswer(fault);
      if (faulted) return faulted;
    }

    const cacheKey = this.options.cacheReads && method === 'GET' ? url.pathname + url.search : null;
    const cached = cacheKey === null ? undefined : this.readCache.get(cacheKey);
    if (cached) return cached;
    const answer = this.route(operation.operationId, pathParams, url, text);
    if (this.options.validateResponses !== false && answer.status < 300) this.checkResponse(operation, method, url, answer);
    if (cacheKey !== null && answer.status === 200) {
      const serialized = new HttpAnswer(answer.status, null, answer.headers, Buffer.from(JSON.stringify(answer.body)));
      this.readCache.set(cacheKey, serialized);
      return serialized;
    }
    return answer;
  }

  private violation(method: string, url: URL, status: number, problems: string[]): HttpAnswer {
    this.violations.push({ method, url: url.pathname + url.search, problems });
    const message = status === 404 ? 'Not Found' : status === 501 ? 'Not Implemented' : 'Validation Failed';
    return new HttpAnswer(status, { message, errors: problems.map((p) => ({ code: 'invalid', message: p })), documentation_url: 'https://docs.github.com/rest', status: String(status) });
  }

  private checkResponse(operation: OperationSpec, method: string, url: URL, answer: HttpAnswer): void {
    const schema = responseSchema(operation, answer.status);
    if (!schema) return;
    const problems = validateSchema(schema, answer.body, 'response');
    if (problems.length > 0) this.responseViolations.push({ method, url: url.pathname + url.search, problems: problems.slice(0, 5) });
  }

  private pickFault(req: { method: string; path: string; operationId: string }): FaultKind | null {
    const index = this.queued.findIndex((q) => q.when(req));
    if (index >= 0) return this.queued.splice(index, 1)[0]!.kind;
    const random = this.randomFaults;
    if (!random || (random.only && !random.only(req))) return null;
    for (const [kind, p] of Object.entries(random.probability) as [FaultKind, number][]) if (this.random() < p) return kind;
    return null;
  }

  /** The faulted answer; null for `slow`, which answers normally but late. */
  private async faultAnswer(kind: FaultKind): Promise<HttpAnswer | null> {
    const retryAfter = String(this.options.retryAfterSeconds ?? 1);
    const reset = String(Math.floor(Date.now() / 1000) + Number(retryAfter));
    switch (kind) {
      case 'rate_limit':
        return new HttpAnswer(
          429,
          { message: 'API rate limit exceeded for user ID 1.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api', status: '429' },
          { 'retry-after': retryAfter, 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset },
        );
      case 'secondary_rate_limit':
        return new HttpAnswer(
          403,
          {
            message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
            documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
            status: '403',
          },
          { 'retry-after': retryAfter },
        );
      case 'server_error':
        return new HttpAnswer(500, { message: 'Server Error' });
      case 'slow':
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            resolve();
          }, this.options.slowMs ?? 5000);
          this.timers.add(timer);
        });
        return null;
    }
  }

  private render(): RenderContext {
    return { world: this.world, apiUrl: this.url, htmlUrl: 'https://github.com' };
  }

  private route(operationId: string, params: Record<string, string>, url: URL, text: string): HttpAnswer {
    const repo = this.world.repo(`${params['owner']}/${params['repo']}`);
    if (!repo) return notFound();
    const q = url.searchParams;
    const ctx = this.render();
    const issue = params['issue_number'] ? this.world.issue(repo, Number(params['issue_number'])) : undefined;
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    const needIssue = (): FakeIssue | HttpAnswer => issue ?? notFound();

    switch (operationId) {
      case 'issues/list-for-repo': {
        const state = q.get('state') ?? 'open';
        const sort = q.get('sort') ?? 'created';
        const direction = q.get('direction') ?? 'desc';
        const since = q.get('since');
        const sinceMs = since ? Date.parse(since) : -Infinity;
        const key = (i: FakeIssue): number => (sort === 'updated' ? Date.parse(i.updatedAt) : sort === 'comments' ? i.comments.length : Date.parse(i.createdAt));
        const items = repo.issues
          .filter((i) => (state === 'all' || i.state === state) && Date.parse(i.updatedAt) >= sinceMs)
          .sort((a, b) => (key(a) - key(b) || a.number - b.number) * (direction === 'asc' ? 1 : -1));
        return this.page(url, items, (i) => issueJson(ctx, repo, i));
      }
      case 'issues/get': {
        const found = needIssue();
        return found instanceof HttpAnswer ? found : new HttpAnswer(200, issueJson(ctx, repo, found));
      }
      case 'issues/list-events': {
        const found = needIssue();
        if (found instanceof HttpAnswer) return found;
        return this.page(url, [...found.events].sort((a, b) => a.id - b.id), (e) => eventJson(ctx, repo, e));
      }
      // --- added for the webhook refresh's one-call fetch (src/connectors/github/fetch-case.ts) ---
      // The issue's events and comments in one list, oldest first (comments as `commented` items).
      case 'issues/list-events-for-timeline': {
        const found = needIssue();
        if (found instanceof HttpAnswer) return found;
        return this.page(url, timelineOf(found), (item) => (item.comment ? { ...commentJson(ctx, repo, found, item.comment), event: 'commented', actor: userJson(ctx, item.comment.user) } : eventJson(ctx, repo, item.event!)));
      }
      // --- end of the addition ---
      case 'issues/list-comments': {
        const found = needIssue();
        if (found instanceof HttpAnswer) return found;
        const since = q.get('since');
        const comments = found.comments.filter((c) => !since || Date.parse(c.updatedAt) >= Date.parse(since)).sort((a, b) => a.id - b.id);
        return this.page(url, comments, (c) => commentJson(ctx, repo, found, c));
      }
      case 'issues/list-events-for-repo': {
        // Newest first, as GitHub lists them; each event carries its issue.
        const events = repo.issues.flatMap((i) => i.events.map((e) => ({ issue: i, event: e }))).sort((a, b) => b.event.id - a.event.id);
        return this.page(url, events, ({ issue: i, event }) => ({ ...eventJson(ctx, repo, event), issue: issueJson(ctx, repo, i) }));
      }
      case 'issues/list-comments-for-repo': {
        const sort = q.get('sort');
        const since = q.get('since');
        const sinceMs = since ? Date.parse(since) : -Infinity;
        // By id unless sorted; `direction` applies only with `sort`, descending by default.
        const key = (c: FakeComment): number => (sort === 'updated' ? Date.parse(c.updatedAt) : sort === 'created' ? Date.parse(c.createdAt) : 0);
        const sign = sort && (q.get('direction') ?? 'desc') === 'desc' ? -1 : 1;
        const comments = repo.issues
          .flatMap((i) => i.comments.filter((c) => Date.parse(c.updatedAt) >= sinceMs).map((c) => ({ issue: i, comment: c })))
          .sort((a, b) => sign * (key(a.comment) - key(b.comment) || a.comment.id - b.comment.id));
        return this.page(url, comments, ({ issue: i, comment }) => commentJson(ctx, repo, i, comment));
      }
      case 'issues/list-labels-for-repo':
        return this.page(url, repo.labels, (l) => labelJson(ctx, repo, l));
      case 'issues/list-labels-on-issue': {
        const found = needIssue();
        if (found instanceof HttpAnswer) return found;
        return this.page(url, this.issueLabels(repo, found), (l) => labelJson(ctx, repo, l));
      }
      case 'issues/create-label': {
        const b = body as { name: string; color?: string; description?: string };
        if (this.world.repoLabel(repo, b.name)) {
          return new HttpAnswer(422, { message: 'Validation Failed', errors: [{ resource: 'Label', code: 'already_exists', field: 'name' }], status: '422' });
        }
        const label = this.world.createRepoLabel(repo, b.name, (b.color ?? 'ededed').replace(/^#/, ''), b.description ?? null);
        return new HttpAnswer(201, labelJson(ctx, repo, label), { location: `${this.url}/repos/${repo.fullName}/labels/${encodeURIComponent(label.name)}` });
      }
      case 'issues/add-labels': {
        const found = needIssue();
        if (found instanceof HttpAnswer) return found;
        const raw = Array.isArray(body) ? body : ((body as { labels?: unknown[] } | undefined)?.labels ?? []);
        const names = raw.map((l) => (typeof l === 'string' ? l : String((l as { name: unknown }).name)));
        const at = this.world.tick();
        for (const name of names) this.world.addLabel(repo, found, name, this.world.tokenUser, at);
        return new HttpAnswer(200, this.issueLabels(repo, found).map((l) => labelJson(ctx, repo, l)));
      }
      case 'issues/remove-label': {
        const found = needIssue();
        if (found instanceof HttpAnswer) return found;
        if (!this.world.removeLabel(repo, found, params['name'] ?? '', this.world.tokenUser)) {
          return new HttpAnswer(404, { message: 'Label does not exist', documentation_url: 'https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue', status: '404' });
        }
        return new HttpAnswer(200, this.issueLabels(repo, found).map((l) => labelJson(ctx, repo, l)));
      }
      case 'issues/create-comment': {
        const found = needIssue();
        if (found instanceof HttpAnswer) return found;
        const comment = this.world.comment(found, this.world.tokenUser, (body as { body: string }).body);
        return new HttpAnswer(201, commentJson(ctx, repo, found, comment), { location: `${this.url}/repos/${repo.fullName}/issues/comments/${comment.id}` });
      }
      case 'issues/update-comment': {
        const found = this.world.findComment(repo, Number(params['comment_id']));
        if (!found) return notFound();
        this.world.editComment(found.comment, (body as { body: string }).body);
        return new HttpAnswer(200, commentJson(ctx, repo, found.issue, found.comment));
      }
      default:
        return notFound();
    }
  }

  private issueLabels(repo: FakeRepo, issue: FakeIssue) {
    return issue.labels.map((name) => this.world.repoLabel(repo, name)!).filter(Boolean);
  }

  /** One page of a list, with GitHub's Link header (first/prev/next/last as they apply). */
  private page<T>(url: URL, items: readonly T[], render: (item: T) => unknown): HttpAnswer {
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30)));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const link = (n: number, rel: string): string => {
      const target = new URL(`http://127.0.0.1:${this.port}${url.pathname}`);
      url.searchParams.forEach((v, k) => target.searchParams.set(k, v));
      target.searchParams.set('page', String(n));
      return `<${target.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, 'prev'));
    if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
    if (page > 1) links.push(link(1, 'first'));
    return new HttpAnswer(200, slice.map(render), links.length ? { link: links.join(', ') } : {});
  }
}

export async function startFakeGithub(options: FakeGithubOptions = {}): Promise<FakeGithub> {
  return new FakeGithub(options).listen();
}
