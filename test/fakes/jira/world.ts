// The in-memory Jira Cloud site of the fake API: projects (a service desk and a software project),
// statuses with categories, priorities, users of every account type, issues with changelogs,
// public and internal comments and entity properties, a deterministic clock, and a seeded generator
// of realistic histories.
import { seededRandom } from '../loopback.ts';

export { seededRandom };

export type AccountType = 'atlassian' | 'customer' | 'app';
export type CategoryKey = 'new' | 'indeterminate' | 'done';

export interface FakeJiraUser {
  accountId: string;
  displayName: string;
  accountType: AccountType;
  email: string;
}

export interface FakeStatus {
  id: string;
  name: string;
  category: CategoryKey;
}

export interface FakePriority {
  id: string;
  name: string;
}

export interface FakeProject {
  id: string;
  key: string;
  name: string;
  serviceDesk: boolean;
  issueTypes: string[];
  components: string[];
  nextNumber: number;
}

export interface FakeChangeItem {
  field: string;
  fieldtype: 'jira' | 'custom';
  fieldId: string;
  from: string | null;
  fromString: string | null;
  to: string | null;
  toString: string | null;
}

export interface FakeHistory {
  id: string;
  author: string;
  created: number;
  items: FakeChangeItem[];
}

export interface FakeComment {
  id: string;
  author: string;
  body: string;
  created: number;
  updated: number;
  /** false for a JSM internal note. */
  jsdPublic: boolean;
  /** JSM also keeps `sd.public.comment` = { internal: true } on internal notes. */
  internalProperty: boolean;
  /** Restricted to a role (software projects). */
  visibility: { type: 'role' | 'group'; value: string } | null;
}

export interface FakeIssue {
  id: string;
  key: string;
  project: FakeProject;
  issueType: string;
  summary: string;
  reporter: string;
  assignee: string | null;
  created: number;
  updated: number;
  statusId: string;
  priorityId: string | null;
  /** What the issue was created with: the truth the connector rebuilds from the changelog. */
  initialStatusId: string;
  initialPriorityId: string | null;
  labels: string[];
  components: string[];
  organizations: string[];
  customFields: Record<string, unknown>;
  properties: Map<string, unknown>;
  histories: FakeHistory[];
  comments: FakeComment[];
}

export const STATUSES: readonly FakeStatus[] = [
  { id: '10000', name: 'To Do', category: 'new' },
  { id: '1', name: 'Open', category: 'new' },
  { id: '3', name: 'In Progress', category: 'indeterminate' },
  { id: '10001', name: 'Waiting for customer', category: 'indeterminate' },
  { id: '10002', name: 'Waiting for support', category: 'indeterminate' },
  { id: '10003', name: 'Escalated', category: 'indeterminate' },
  { id: '10004', name: 'Resolved', category: 'done' },
  { id: '10005', name: 'Done', category: 'done' },
  { id: '10006', name: 'Canceled', category: 'done' },
];

export const PRIORITIES: readonly FakePriority[] = [
  { id: '1', name: 'Highest' },
  { id: '2', name: 'High' },
  { id: '3', name: 'Medium' },
  { id: '4', name: 'Low' },
  { id: '5', name: 'Lowest' },
];

/** The site's JSM Organizations field and the "SLA due" datetime field. */
export const ORGANIZATIONS_FIELD = 'customfield_10002';
export const SLA_DUE_FIELD = 'customfield_10050';
export const CUSTOM_FIELDS: Record<string, { name: string; type: 'datetime' | 'organizations' }> = {
  [ORGANIZATIONS_FIELD]: { name: 'Organizations', type: 'organizations' },
  [SLA_DUE_FIELD]: { name: 'SLA due', type: 'datetime' },
};

export const jiraTimestamp = (ms: number): string => new Date(ms).toISOString().replace('Z', '+0000');

export class FakeJiraWorld {
  readonly users = new Map<string, FakeJiraUser>();
  readonly projects = new Map<string, FakeProject>();
  readonly issues: FakeIssue[] = [];
  readonly statuses = new Map(STATUSES.map((s) => [s.id, s]));
  readonly priorities = new Map(PRIORITIES.map((p) => [p.id, p]));
  private readonly byId = new Map<string, FakeIssue>();
  private nextIds = { issue: 10001, history: 100001, comment: 200001, user: 1 };
  /** The clock for writes made through the API (the world's "now"). */
  clockMs: number;
  /**
   * The account behind the API token; its profile's zone is the one JQL dates are read in (west of
   * UTC by default, so a literal written in UTC would start the search hours late and miss issues).
   */
  readonly apiUser: FakeJiraUser;
  readonly apiUserTimeZone: string;

  constructor(options: { startAt?: string; apiUserEmail?: string; apiUserTimeZone?: string } = {}) {
    this.clockMs = Date.parse(options.startAt ?? '2025-01-06T09:00:00Z');
    this.apiUser = this.user('sla-sync bot', 'atlassian', options.apiUserEmail ?? 'sla-sync@example.com');
    this.apiUserTimeZone = options.apiUserTimeZone ?? 'America/Los_Angeles';
  }

  /** Advances the clock and returns it: API writes happen at distinct instants. */
  tick(ms = 1000): number {
    this.clockMs += ms;
    return this.clockMs;
  }

  user(displayName: string, accountType: AccountType = 'atlassian', email = `${displayName.toLowerCase().replace(/[^a-z0-9]+/g, '.')}@example.com`): FakeJiraUser {
    for (const u of this.users.values()) if (u.displayName === displayName) return u;
    const n = this.nextIds.user++;
    const accountId = accountType === 'customer' ? `qm:${n.toString(16).padStart(8, '0')}-5c1e-4f6b-9d1a-2b7c8e9f0a1b` : `5b10ac8d82e05b22cc7d${n.toString(16).padStart(4, '0')}`;
    const user = { accountId, displayName, accountType, email };
    this.users.set(accountId, user);
    return user;
  }

  addProject(key: string, name: string, serviceDesk: boolean): FakeProject {
    const project: FakeProject = {
      id: String(10000 + this.projects.size),
      key,
      name,
      serviceDesk,
      issueTypes: serviceDesk ? ['Service Request', 'Incident'] : ['Bug', 'Task'],
      components: serviceDesk ? ['Billing', 'Login', 'Mobile'] : ['API', 'Backend', 'Web'],
      nextNumber: 1,
    };
    this.projects.set(key, project);
    return project;
  }

  status(name: string): FakeStatus {
    const found = STATUSES.find((s) => s.name === name);
    if (!found) throw new Error(`no status ${name}`);
    return found;
  }

  priority(name: string): FakePriority {
    const found = PRIORITIES.find((p) => p.name === name);
    if (!found) throw new Error(`no priority ${name}`);
    return found;
  }

  issue(idOrKey: string): FakeIssue | undefined {
    return this.byId.get(idOrKey) ?? this.issues.find((i) => i.key === idOrKey);
  }

  createIssue(
    project: FakeProject,
    init: { summary: string; reporter: string; at: number; priority?: string | null; status?: string; issueType?: string; labels?: string[]; components?: string[]; organizations?: string[] },
  ): FakeIssue {
    const issue: FakeIssue = {
      id: String(this.nextIds.issue++),
      key: `${project.key}-${project.nextNumber++}`,
      project,
      issueType: init.issueType ?? project.issueTypes[0]!,
      summary: init.summary,
      reporter: init.reporter,
      assignee: null,
      created: init.at,
      updated: init.at,
      statusId: this.status(init.status ?? (project.serviceDesk ? 'Open' : 'To Do')).id,
      priorityId: init.priority === null ? null : this.priority(init.priority ?? 'Medium').id,
      initialStatusId: '',
      initialPriorityId: null,
      labels: [...(init.labels ?? [])],
      components: [...(init.components ?? [])],
      organizations: [...(init.organizations ?? [])],
      customFields: {},
      properties: new Map(),
      histories: [],
      comments: [],
    };
    issue.initialStatusId = issue.statusId;
    issue.initialPriorityId = issue.priorityId;
    this.issues.push(issue);
    this.byId.set(issue.id, issue);
    return issue;
  }

  private history(issue: FakeIssue, author: string, at: number, items: FakeChangeItem[]): FakeHistory {
    const history = { id: String(this.nextIds.history++), author, created: at, items };
    issue.histories.push(history);
    if (at > issue.updated) issue.updated = at;
    return history;
  }

  transition(issue: FakeIssue, statusName: string, actor: string, at: number = this.tick()): void {
    const from = this.statuses.get(issue.statusId)!;
    const to = this.status(statusName);
    if (from.id === to.id) return;
    issue.statusId = to.id;
    this.history(issue, actor, at, [{ field: 'status', fieldtype: 'jira', fieldId: 'status', from: from.id, fromString: from.name, to: to.id, toString: to.name }]);
  }

  setPriority(issue: FakeIssue, name: string | null, actor: string, at: number = this.tick()): void {
    const from = issue.priorityId === null ? null : this.priorities.get(issue.priorityId)!;
    const to = name === null ? null : this.priority(name);
    if ((from?.id ?? null) === (to?.id ?? null)) return;
    issue.priorityId = to?.id ?? null;
    this.history(issue, actor, at, [{ field: 'priority', fieldtype: 'jira', fieldId: 'priority', from: from?.id ?? null, fromString: from?.name ?? null, to: to?.id ?? null, toString: to?.name ?? null }]);
  }

  assign(issue: FakeIssue, accountId: string | null, actor: string, at: number = this.tick()): void {
    const from = issue.assignee;
    issue.assignee = accountId;
    const name = (id: string | null) => (id === null ? null : (this.users.get(id)?.displayName ?? null));
    this.history(issue, actor, at, [{ field: 'assignee', fieldtype: 'jira', fieldId: 'assignee', from, fromString: name(from), to: accountId, toString: name(accountId) }]);
  }

  editLabels(issue: FakeIssue, ops: { add?: string[]; remove?: string[] }, actor: string, at: number = this.tick()): boolean {
    return this.edit(issue, ops, actor, at);
  }

  /** One edit (editIssue): label operations and field values, recorded as one changelog entry. */
  edit(issue: FakeIssue, change: { add?: string[]; remove?: string[]; set?: string[]; fields?: Record<string, string | null> }, actor: string, at: number = this.tick()): boolean {
    const items: FakeChangeItem[] = [];
    const before = [...issue.labels];
    let labels = change.set ? [...change.set] : [...issue.labels];
    for (const l of change.remove ?? []) labels = labels.filter((x) => x !== l);
    for (const l of change.add ?? []) if (!labels.includes(l)) labels.push(l);
    if (before.join(' ') !== labels.join(' ')) {
      issue.labels = labels;
      items.push({ field: 'labels', fieldtype: 'jira', fieldId: 'labels', from: null, fromString: before.join(' '), to: null, toString: labels.join(' ') });
    }
    for (const [fieldId, value] of Object.entries(change.fields ?? {})) {
      const previous = (issue.customFields[fieldId] as string | null | undefined) ?? null;
      if (previous === value) continue;
      issue.customFields[fieldId] = value;
      items.push({ field: CUSTOM_FIELDS[fieldId]?.name ?? fieldId, fieldtype: 'custom', fieldId, from: previous, fromString: previous, to: value, toString: value });
    }
    if (items.length === 0) return false;
    this.history(issue, actor, at, items);
    return true;
  }

  rename(issue: FakeIssue, summary: string, actor: string, at: number = this.tick()): void {
    const before = issue.summary;
    issue.summary = summary;
    this.history(issue, actor, at, [{ field: 'summary', fieldtype: 'jira', fieldId: 'summary', from: null, fromString: before, to: null, toString: summary }]);
  }

  comment(issue: FakeIssue, author: string, body: string, options: { internal?: boolean; restrictedTo?: string; at?: number } = {}): FakeComment {
    const at = options.at ?? this.tick();
    const comment: FakeComment = {
      id: String(this.nextIds.comment++),
      author,
      body,
      created: at,
      updated: at,
      jsdPublic: !options.internal,
      internalProperty: options.internal === true,
      visibility: options.restrictedTo ? { type: 'role', value: options.restrictedTo } : null,
    };
    issue.comments.push(comment);
    if (at > issue.updated) issue.updated = at;
    return comment;
  }
}

export interface GenerateJiraOptions {
  seed: number;
  /** Issues per project; the site has a service desk (SUP) and a software project (OPS). */
  issuesPerProject: number;
  startAt?: string;
  apiUserTimeZone?: string;
  /** Every Nth issue gets a changelog longer than a search's 40 and a changelog page's 100. */
  longChangelogEvery?: number;
  /** Every Nth issue gets more comments than a page before its first agent reply. */
  longCommentsEvery?: number;
  /** This many issues get a label within one minute at the end (a bulk edit): exercises the cursor. */
  bulkSameMinute?: number;
}

export const PROJECT_KEYS = ['SUP', 'OPS'] as const;

/** A seeded site: transitions (Waiting for customer, Done, reopens), priority changes, public and internal comments by every kind of account. */
export function generateJiraWorld(options: GenerateJiraOptions): FakeJiraWorld {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const world = new FakeJiraWorld({ startAt: options.startAt ?? '2025-01-06T09:00:00Z', ...(options.apiUserTimeZone ? { apiUserTimeZone: options.apiUserTimeZone } : {}) });
  const agents = ['Alice Agent', 'Bob Agent', 'Carol Lead'].map((n) => world.user(n, 'atlassian').accountId);
  const customers = ['Dave Customer', 'Erin Customer', 'Frank Customer', 'Gina Customer'].map((n) => world.user(n, 'customer').accountId);
  const automation = world.user('Automation for Jira', 'app').accountId;
  const sup = world.addProject('SUP', 'Support', true);
  const ops = world.addProject('OPS', 'Operations', false);
  const organizations = ['Acme Corp', 'Globex', 'Initech'];
  let t = world.clockMs;

  for (let n = 0; n < options.issuesPerProject; n++) {
    for (const project of [sup, ops]) {
      t += Math.floor(random() * 45 * 60_000) + 1000 + Math.floor(random() * 1000);
      const desk = project.serviceDesk;
      const reporter = desk ? pick(customers) : random() < 0.7 ? pick(agents) : pick(customers);
      const priority = random() < 0.05 ? null : pick(PRIORITIES).name;
      const issue = world.createIssue(project, {
        summary: `${desk ? 'Request' : 'Problem'} ${n + 1} in ${project.key}`,
        reporter,
        at: t,
        priority,
        issueType: pick(project.issueTypes),
        labels: random() < 0.3 ? [pick(['vip', 'billing', 'outage'])] : [],
        components: random() < 0.5 ? [pick(project.components)] : [],
        organizations: desk && random() < 0.7 ? [pick(organizations)] : [],
      });
      let at = t;
      const later = (): number => (at += Math.floor(random() * 2000 * 60_000) + 1000 + Math.floor(random() * 1000));
      // Automation raising the priority at creation (same instant): folds into the created event.
      if (random() < 0.05) world.setPriority(issue, 'Highest', automation, t);
      const done = desk ? 'Resolved' : 'Done';
      const open = desk ? 'Open' : 'To Do';
      const steps = Math.floor(random() * 8);
      for (let s = 0; s < steps; s++) {
        const roll = random();
        const agent = pick(agents);
        const current = world.statuses.get(issue.statusId)!.name;
        if (roll < 0.2) {
          // An agent's public reply; at a service desk it often sets Waiting for customer at once.
          const when = later();
          world.comment(issue, agent, pick(['Looking into it.', 'Could you send the logs?', 'Fixed, please check.']), { at: when });
          if (desk && random() < 0.6 && current !== done) world.transition(issue, 'Waiting for customer', agent, when);
        } else if (roll < 0.3) {
          world.comment(issue, agent, 'Internal: checking with the backend team.', desk ? { internal: true, at: later() } : { restrictedTo: 'Developers', at: later() });
        } else if (roll < 0.42) {
          const when = later();
          world.comment(issue, reporter, 'Any update?', { at: when });
          if (desk && current === 'Waiting for customer') world.transition(issue, 'Waiting for support', automation, when);
        } else if (roll < 0.46) world.comment(issue, pick([...customers, automation]), 'Thanks, received.', { at: later() });
        else if (roll < 0.56) world.setPriority(issue, pick(PRIORITIES).name, agent, later());
        else if (roll < 0.66) world.transition(issue, 'In Progress', agent, later());
        else if (roll < 0.74) world.transition(issue, current === done ? open : done, agent, later()); // resolve, or reopen
        else if (roll < 0.78) world.transition(issue, desk ? 'Canceled' : 'Done', agent, later());
        else if (roll < 0.88) world.assign(issue, agent, agent, later());
        else if (roll < 0.94) world.editLabels(issue, { add: [pick(['needs-info', 'regression', 'vip'])] }, agent, later());
        else world.rename(issue, `${issue.summary} (edited)`, agent, later());
      }
      const index = issue.project === sup ? 2 * n : 2 * n + 1;
      // Busy threads happen within hours, not months: minutes apart.
      const soon = (): number => (at += Math.floor(random() * 20 * 60_000) + 1000 + Math.floor(random() * 1000));
      if (options.longChangelogEvery && index % options.longChangelogEvery === options.longChangelogEvery - 1) {
        for (let k = 0; k < 130; k++) world.assign(issue, pick(agents), pick(agents), soon());
        for (let k = 0; k < 25; k++) {
          world.transition(issue, 'Waiting for customer', pick(agents), soon());
          world.transition(issue, 'In Progress', pick(agents), soon());
        }
        world.setPriority(issue, pick(PRIORITIES).name, pick(agents), soon());
      }
      if (options.longCommentsEvery && index % options.longCommentsEvery === options.longCommentsEvery - 1) {
        for (let k = 0; k < 120; k++) world.comment(issue, reporter, `Still broken (${k})`, { at: soon() });
        world.comment(issue, pick(agents), 'Internal: escalating.', desk ? { internal: true, at: soon() } : { restrictedTo: 'Developers', at: soon() });
        world.comment(issue, pick(agents), 'Fixed on our side.', { at: soon() });
      }
    }
  }
  world.clockMs = Math.max(world.clockMs, ...world.issues.map((i) => i.updated)) + 86_400_000;
  if (options.bulkSameMinute) {
    // A bulk edit: many issues labelled within one minute, more than a page of them.
    const start = Math.floor(world.clockMs / 60_000) * 60_000;
    world.issues.slice(0, options.bulkSameMinute).forEach((issue, i) => world.editLabels(issue, { add: ['triaged'] }, agents[0]!, start + i * 37));
    world.clockMs = start + 60_000;
  }
  return world;
}
