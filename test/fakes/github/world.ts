// The in-memory GitHub of the fake API: repositories with issues (and pull requests), their events,
// comments and labels, a deterministic clock, and a seeded generator of realistic histories.
export type AuthorAssociation = 'OWNER' | 'MEMBER' | 'COLLABORATOR' | 'CONTRIBUTOR' | 'FIRST_TIME_CONTRIBUTOR' | 'NONE';

export interface FakeUser {
  login: string;
  id: number;
  type: 'User' | 'Bot';
  /** How the user relates to every repository of the world (one organization). */
  association: AuthorAssociation;
}

export interface FakeLabel {
  id: number;
  name: string;
  color: string;
  description: string | null;
  default: boolean;
}

export type FakeEventType = 'labeled' | 'unlabeled' | 'closed' | 'reopened' | 'assigned' | 'mentioned' | 'subscribed' | 'renamed';

export interface FakeEvent {
  id: number;
  event: FakeEventType;
  actor: string;
  createdAt: string;
  label?: { name: string; color: string };
  assignee?: string;
  rename?: { from: string; to: string };
}

export interface FakeComment {
  id: number;
  user: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

export interface FakeIssue {
  id: number;
  number: number;
  title: string;
  body: string;
  user: string;
  state: 'open' | 'closed';
  stateReason: 'completed' | 'not_planned' | 'reopened' | null;
  labels: string[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  closedBy: string | null;
  isPullRequest: boolean;
  events: FakeEvent[];
  comments: FakeComment[];
}

export interface FakeRepo {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  labels: FakeLabel[];
  issues: FakeIssue[];
}

/** mulberry32: small, fast, good enough for test data; the same seed gives the same world. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const DEFAULT_COLORS: Record<string, string> = { bug: 'd73a4a', enhancement: 'a2eeef', question: 'd876e3' };

export class FakeWorld {
  readonly repos = new Map<string, FakeRepo>();
  readonly users = new Map<string, FakeUser>();
  private nextIds = { repo: 1_296_269, issue: 1_000_000_001, event: 5_000_000_001, comment: 9_000_000_001, label: 208_045_946, user: 100 };
  /** The world's clock for writes made through the API (seconds resolution, like GitHub). */
  clockMs: number;
  /** The user behind the API token: who our writes are made by. */
  tokenUser: string;

  constructor(options: { startAt?: string; tokenUser?: { login: string; association: AuthorAssociation; type?: 'User' | 'Bot' } } = {}) {
    this.clockMs = Date.parse(options.startAt ?? '2025-01-06T09:00:00Z');
    const token = options.tokenUser ?? { login: 'sla-sync-bot', association: 'MEMBER' };
    this.tokenUser = this.user(token.login, token.association, token.type ?? 'User').login;
  }

  /** Advances the clock by a second and returns it: every API write happens at a distinct second. */
  tick(seconds = 1): string {
    this.clockMs += seconds * 1000;
    return iso(this.clockMs);
  }

  user(login: string, association: AuthorAssociation = 'NONE', type: 'User' | 'Bot' = 'User'): FakeUser {
    let user = this.users.get(login.toLowerCase());
    if (!user) {
      user = { login, id: this.nextIds.user++, type, association };
      this.users.set(login.toLowerCase(), user);
    }
    return user;
  }

  addRepo(fullName: string, labels: readonly string[] = ['bug', 'enhancement', 'question']): FakeRepo {
    const [owner = '', name = ''] = fullName.split('/');
    const repo: FakeRepo = { id: this.nextIds.repo++, owner, name, fullName, labels: [], issues: [] };
    this.repos.set(fullName.toLowerCase(), repo);
    for (const label of labels) this.createRepoLabel(repo, label, DEFAULT_COLORS[label] ?? 'ededed', null, label in DEFAULT_COLORS);
    return repo;
  }

  repo(fullName: string): FakeRepo | undefined {
    return this.repos.get(fullName.toLowerCase());
  }

  createRepoLabel(repo: FakeRepo, name: string, color: string, description: string | null, isDefault = false): FakeLabel {
    const label = { id: this.nextIds.label++, name, color, description, default: isDefault };
    repo.labels.push(label);
    return label;
  }

  repoLabel(repo: FakeRepo, name: string): FakeLabel | undefined {
    return repo.labels.find((l) => l.name.toLowerCase() === name.toLowerCase());
  }

  /** A new issue numbered after the last one; `id` pins the id (to match a recorded webhook payload). */
  createIssue(repo: FakeRepo, init: { title: string; user: string; at: string; labels?: string[]; pullRequest?: boolean; body?: string; id?: number }): FakeIssue {
    const issue: FakeIssue = {
      id: init.id ?? this.nextIds.issue++,
      number: repo.issues.length + 1,
      title: init.title,
      body: init.body ?? '',
      user: init.user,
      state: 'open',
      stateReason: null,
      labels: [],
      createdAt: init.at,
      updatedAt: init.at,
      closedAt: null,
      closedBy: null,
      isPullRequest: init.pullRequest ?? false,
      events: [],
      comments: [],
    };
    repo.issues.push(issue);
    // GitHub records labels given at creation as `labeled` events at the creation second.
    for (const label of init.labels ?? []) this.addLabel(repo, issue, label, init.user, init.at);
    return issue;
  }

  issue(repo: FakeRepo, number: number): FakeIssue | undefined {
    return repo.issues[number - 1];
  }

  private event(issue: FakeIssue, e: Omit<FakeEvent, 'id'>, touch = true): void {
    issue.events.push({ id: this.nextIds.event++, ...e });
    if (touch && e.createdAt > issue.updatedAt) issue.updatedAt = e.createdAt;
  }

  /** Adds a label (creating the repository label, grey, when missing); false when already on. */
  addLabel(repo: FakeRepo, issue: FakeIssue, name: string, actor: string, at: string = this.tick()): boolean {
    const label = this.repoLabel(repo, name) ?? this.createRepoLabel(repo, name, 'ededed', null);
    if (issue.labels.some((l) => l.toLowerCase() === label.name.toLowerCase())) return false;
    issue.labels.push(label.name);
    this.event(issue, { event: 'labeled', actor, createdAt: at, label: { name: label.name, color: label.color } });
    return true;
  }

  removeLabel(repo: FakeRepo, issue: FakeIssue, name: string, actor: string, at: string = this.tick()): boolean {
    const index = issue.labels.findIndex((l) => l.toLowerCase() === name.toLowerCase());
    if (index < 0) return false;
    const [removed] = issue.labels.splice(index, 1);
    const color = this.repoLabel(repo, removed!)?.color ?? 'ededed';
    this.event(issue, { event: 'unlabeled', actor, createdAt: at, label: { name: removed!, color } });
    return true;
  }

  close(issue: FakeIssue, actor: string, reason: 'completed' | 'not_planned' = 'completed', at: string = this.tick()): void {
    if (issue.state === 'closed') return;
    Object.assign(issue, { state: 'closed', stateReason: reason, closedAt: at, closedBy: actor });
    this.event(issue, { event: 'closed', actor, createdAt: at });
  }

  reopen(issue: FakeIssue, actor: string, at: string = this.tick()): void {
    if (issue.state === 'open') return;
    Object.assign(issue, { state: 'open', stateReason: 'reopened', closedAt: null, closedBy: null });
    this.event(issue, { event: 'reopened', actor, createdAt: at });
  }

  comment(issue: FakeIssue, user: string, body: string, at: string = this.tick()): FakeComment {
    const comment = { id: this.nextIds.comment++, user, body, createdAt: at, updatedAt: at };
    issue.comments.push(comment);
    if (at > issue.updatedAt) issue.updatedAt = at;
    return comment;
  }

  editComment(comment: FakeComment, body: string, at: string = this.tick()): void {
    comment.body = body;
    comment.updatedAt = at;
  }

  /** Events that do not touch the timeline (assignments, mentions, subscriptions, renames). */
  noise(issue: FakeIssue, kind: 'assigned' | 'mentioned' | 'subscribed' | 'renamed', actor: string, at: string): void {
    const extra =
      kind === 'assigned' ? { assignee: actor } : kind === 'renamed' ? { rename: { from: issue.title, to: `${issue.title} (edited)` } } : {};
    if (kind === 'renamed') issue.title = `${issue.title} (edited)`;
    this.event(issue, { event: kind, actor, createdAt: at, ...extra }, kind === 'assigned' || kind === 'renamed');
  }

  findComment(repo: FakeRepo, commentId: number): { issue: FakeIssue; comment: FakeComment } | undefined {
    for (const issue of repo.issues) {
      const comment = issue.comments.find((c) => c.id === commentId);
      if (comment) return { issue, comment };
    }
    return undefined;
  }
}

export interface GenerateOptions {
  seed: number;
  repositories: readonly string[];
  issuesPerRepo: number;
  /** Share of pull requests among the items (skipped by the connector). */
  pullRequestShare?: number;
  startAt?: string;
  /** This many issues get a label at one same second at the end (a bulk edit): exercises the cursor. */
  bulkSameSecond?: number;
  /** Every Nth issue gets more than a page of events and of comments. */
  longThreadEvery?: number;
}

export const PRIORITY_LABELS = ['P1', 'P2', 'P3', 'P4', 'priority: critical', 'severity/1'] as const;
export const PAUSE_LABEL = 'waiting-for-customer';

/** A seeded world: issues with priority changes, pauses, closes, reopens and comments by all kinds of people. */
export function generateWorld(options: GenerateOptions): FakeWorld {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const world = new FakeWorld({ startAt: options.startAt ?? '2025-01-06T09:00:00Z' });
  const members = [world.user('octocat', 'OWNER'), world.user('alice', 'MEMBER'), world.user('bob', 'MEMBER'), world.user('carol', 'COLLABORATOR')];
  const outsiders = [
    world.user('dave', 'NONE'),
    world.user('erin', 'NONE'),
    world.user('frank', 'CONTRIBUTOR'),
    world.user('gina', 'FIRST_TIME_CONTRIBUTOR'),
    world.user('dependabot[bot]', 'NONE', 'Bot'),
  ];
  const everyone = [...members, ...outsiders];
  let t = world.clockMs;

  for (const fullName of options.repositories) {
    const repo = world.addRepo(fullName, ['bug', 'enhancement', 'question', 'triaged', ...PRIORITY_LABELS, PAUSE_LABEL]);
    for (let n = 0; n < options.issuesPerRepo; n++) {
      t += Math.floor(random() * 90 * 60) * 1000 + 1000;
      const author = random() < 0.2 ? pick(members) : pick(outsiders);
      const isPr = random() < (options.pullRequestShare ?? 0.15);
      const initial: string[] = [];
      if (random() < 0.5) initial.push(pick(PRIORITY_LABELS));
      if (random() < 0.3) initial.push(pick(['bug', 'enhancement', 'question']));
      if (random() < 0.05) initial.push(PAUSE_LABEL);
      const issue = world.createIssue(repo, { title: `${isPr ? 'Change' : 'Problem'} ${n + 1} in ${repo.name}`, user: author.login, at: iso(t), labels: initial, pullRequest: isPr });

      let at = t;
      const later = (): string => iso((at += Math.floor(random() * 3000 * 60) * 1000 + 1000));
      const steps = Math.floor(random() * 7);
      for (let s = 0; s < steps; s++) {
        const roll = random();
        const actor = pick(members).login;
        if (roll < 0.3) world.comment(issue, pick([...everyone, world.user(author.login)]).login, pick(['Any update?', 'Looking into it.', 'Thanks!', 'Can you share logs?']), later());
        else if (roll < 0.45) {
          const when = later();
          const old = issue.labels.find((l) => (PRIORITY_LABELS as readonly string[]).includes(l));
          if (old) world.removeLabel(repo, issue, old, actor, when);
          world.addLabel(repo, issue, pick(PRIORITY_LABELS), actor, when);
        } else if (roll < 0.6) {
          if (issue.labels.includes(PAUSE_LABEL)) world.removeLabel(repo, issue, PAUSE_LABEL, actor, later());
          else world.addLabel(repo, issue, PAUSE_LABEL, actor, later());
        } else if (roll < 0.75) {
          if (issue.state === 'open') world.close(issue, actor, random() < 0.2 ? 'not_planned' : 'completed', later());
          else world.reopen(issue, actor, later());
        } else world.noise(issue, pick(['assigned', 'mentioned', 'subscribed', 'renamed'] as const), actor, later());
      }
      if (options.longThreadEvery && n % options.longThreadEvery === options.longThreadEvery - 1) {
        for (let k = 0; k < 130; k++) world.noise(issue, 'subscribed', pick(everyone).login, later());
        for (let k = 0; k < 120; k++) world.comment(issue, author.login, `+1 (${k})`, later());
        world.comment(issue, pick(members).login, 'Fixed on main.', later());
      }
    }
  }
  world.clockMs = Math.max(world.clockMs, ...[...world.repos.values()].flatMap((r) => r.issues.map((i) => Date.parse(i.updatedAt)))) + 86_400_000;

  if (options.bulkSameSecond) {
    // A bulk edit: many issues labeled within one second, more than a page of them.
    const at = world.tick();
    const repo = world.repo(options.repositories[0]!)!;
    for (const issue of repo.issues.slice(0, options.bulkSameSecond)) world.addLabel(repo, issue, 'triaged', 'octocat', at);
  }
  return world;
}
