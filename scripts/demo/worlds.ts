// The demo's three tools, seeded with a quarter of tickets ending at the demo's now: the stories of
// stories.ts played into the worlds of the test fakes (Jira's service desk and software project,
// Zendesk, two GitHub repositories), each with the tool's own way of saying the same thing.
import type { Severity } from '../../src/core/types.ts';
import { FakeWorld, iso as githubIso } from '../../test/fakes/github/world.ts';
import { FakeJiraWorld } from '../../test/fakes/jira/world.ts';
import type { FakeTicket } from '../../test/fakes/zendesk/world.ts';
import { FakeZendeskWorld, iso as zendeskIso, SYSTEM_USER } from '../../test/fakes/zendesk/world.ts';
import { seededRandom } from '../../test/fakes/loopback.ts';
import { CUSTOMER_MARKS, demoPolicies, GITHUB_LABEL, GITHUB_REPOSITORIES, JIRA_PRIORITY, ZENDESK_PRIORITY } from './config.ts';
import type { Story } from './stories.ts';
import { generateStories } from './stories.ts';

export interface DemoWorldOptions {
  seed: number;
  /** The demo's now: the quarter ends here. */
  endMs: number;
  /** Tickets per tool (plus three opened just now in each, at risk). */
  tickets: { jira: number; zendesk: number; github: number };
}

export interface DemoWorlds {
  jira: FakeJiraWorld;
  zendesk: FakeZendeskWorld;
  github: FakeWorld;
}

const DAY = 86_400_000;
const PAUSE_LABEL = 'waiting-for-customer';
const SUBJECTS = [
  'Cannot log in after password reset',
  'Invoice shows the wrong VAT rate',
  'Export to CSV times out',
  'Mobile app crashes on start',
  'Dashboard shows no data since this morning',
  'SSO redirect loops',
  'Payment declined for a valid card',
  'Report totals do not match the ledger',
  'Webhook deliveries fail with 502',
  'Need access for a new team member',
  'Search results are out of date',
  'Email notifications arrive twice',
];

export function generateDemoWorlds(options: DemoWorldOptions): DemoWorlds {
  const policies = demoPolicies(options.endMs);
  const stories = (seedOffset: number, count: number, customers: Parameters<typeof generateStories>[0]['customers']) =>
    generateStories({ seed: options.seed * 31 + seedOffset, endMs: options.endMs, count, customers, policies, subjects: SUBJECTS });
  return {
    jira: jiraWorld(stories(1, options.tickets.jira, { finance: 0.2, marketing: 0.1, platform: 0.35 }), options),
    zendesk: zendeskWorld(stories(2, options.tickets.zendesk, { finance: 0.25, marketing: 0.15 }), options),
    github: githubWorld(stories(3, options.tickets.github, { finance: 0.3, marketing: 0.15 }), options),
  };
}

function jiraWorld(stories: readonly Story[], options: DemoWorldOptions): FakeJiraWorld {
  const random = seededRandom(options.seed * 31 + 11);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const world = new FakeJiraWorld({ startAt: new Date(options.endMs).toISOString() });
  const agents = ['Alice Nguyen', 'Bob Schmidt', 'Carol Diaz'].map((n) => world.user(n, 'atlassian').accountId);
  const customers = ['Dave Miller', 'Erin Brooks', 'Frank Osei', 'Gina Rossi', 'Hiro Tanaka'].map((n) => world.user(n, 'customer').accountId);
  const developers = ['Ivan Petrov', 'Jade Kim'].map((n) => world.user(n, 'atlassian').accountId);
  const sup = world.addProject('SUP', 'Support', true);
  const ops = world.addProject(CUSTOMER_MARKS.platform.jiraProject, 'Platform Operations', false);
  for (const story of stories) {
    const desk = story.customer !== 'platform';
    const project = desk ? sup : ops;
    const reporter = desk ? pick(customers) : pick(developers);
    const issue = world.createIssue(project, {
      summary: story.subject,
      reporter,
      at: story.createdAt,
      priority: JIRA_PRIORITY[story.severity],
      issueType: desk ? pick(['Service Request', 'Incident']) : pick(['Bug', 'Task']),
      labels: story.customer === 'marketing' ? [CUSTOMER_MARKS.marketing.label] : [],
      organizations: story.customer === 'finance' ? [CUSTOMER_MARKS.finance.jiraOrganization] : desk && random() < 0.5 ? [pick(['Sales', 'Legal', 'People'])] : [],
    });
    const agent = pick(agents);
    const done = desk ? 'Resolved' : 'Done';
    for (const step of story.steps) {
      switch (step.kind) {
        case 'reply':
          world.comment(issue, agent, pick(['Thanks, looking into it now.', 'Could you send the logs from the last hour?', 'We found the cause and are rolling out a fix.']), { at: step.at });
          if (step.pause) world.transition(issue, 'Waiting for customer', agent, step.at);
          else if (world.statuses.get(issue.statusId)!.category === 'new') world.transition(issue, 'In Progress', agent, step.at);
          break;
        case 'customer':
          world.comment(issue, reporter, step.reopen ? 'It is happening again.' : 'Here you go.', { at: step.at });
          if (step.resume) world.transition(issue, 'Waiting for support', agent, step.at);
          if (step.reopen) world.transition(issue, desk ? 'Open' : 'To Do', reporter, step.at);
          break;
        case 'note':
          world.comment(issue, agent, 'Internal: checking with the backend team.', desk ? { internal: true, at: step.at } : { restrictedTo: 'Developers', at: step.at });
          break;
        case 'priority':
          world.setPriority(issue, JIRA_PRIORITY[step.severity], agent, step.at);
          break;
        case 'solve':
          world.transition(issue, done, agent, step.at);
          break;
      }
    }
  }
  world.clockMs = Math.max(world.clockMs, ...world.issues.map((i) => i.updated)) + 1000;
  return world;
}

function zendeskWorld(stories: readonly Story[], options: DemoWorldOptions): FakeZendeskWorld {
  const random = seededRandom(options.seed * 31 + 12);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const world = new FakeZendeskWorld({ startAt: new Date(options.endMs).toISOString() });
  const agents = ['Kim Agent', 'Luis Agent', 'Mia Agent', 'Noor Agent'].map((n) => world.addUser(n, 'agent'));
  const requesters = Array.from({ length: 40 }, (_, i) => world.addUser(`Requester ${i + 1}`, 'end-user'));
  const otherOrganizations = [7002, 7003, null];
  for (const story of stories) {
    const requester = pick(requesters);
    const agent = pick(agents);
    const ticket = world.createTicket({
      at: zendeskIso(story.createdAt),
      requesterId: requester.id,
      subject: story.subject,
      priority: ZENDESK_PRIORITY[story.severity],
      type: pick(['question', 'incident', 'problem', 'task'] as const),
      tags: story.customer === 'marketing' ? [CUSTOMER_MARKS.marketing.label] : [],
      organizationId: story.customer === 'finance' ? CUSTOMER_MARKS.finance.zendeskOrganization : pick(otherOrganizations),
      groupId: 360_100_001,
      channel: pick(['web', 'email'] as const),
    });
    for (const step of story.steps) {
      const at = zendeskIso(step.at);
      switch (step.kind) {
        case 'reply':
          world.update(ticket, { authorId: agent.id, at, status: step.pause ? 'pending' : 'open', assigneeId: agent.id, comment: { authorId: agent.id, body: step.pause ? 'Could you send us a screenshot?' : 'We are on it.', public: true } });
          break;
        case 'customer':
          // Zendesk reopens a pending or solved ticket when the requester writes.
          world.update(ticket, { authorId: requester.id, at, ...(step.resume || step.reopen ? { status: 'open' as const } : {}), comment: { authorId: requester.id, body: step.reopen ? 'It is back.' : 'Here it is.', public: true } });
          break;
        case 'note':
          world.update(ticket, { authorId: agent.id, at, comment: { authorId: agent.id, body: 'Internal: checking with engineering.', public: false } });
          break;
        case 'priority':
          world.update(ticket, { authorId: agent.id, at, priority: ZENDESK_PRIORITY[step.severity] });
          break;
        case 'solve':
          world.update(ticket, { authorId: agent.id, at, status: 'solved', comment: { authorId: agent.id, body: 'Fixed: closing this, reply if it comes back.', public: true } });
          break;
      }
    }
  }
  // Zendesk's default automation: solved tickets untouched for four days are closed.
  for (const ticket of world.tickets.values() as Iterable<FakeTicket>) {
    const closeAt = Date.parse(ticket.updatedAt) + 4 * DAY;
    if (ticket.status === 'solved' && closeAt < options.endMs) world.update(ticket, { authorId: SYSTEM_USER, at: zendeskIso(closeAt), status: 'closed', channel: 'rule' });
  }
  world.clockMs = Math.max(world.clockMs, ...[...world.tickets.values()].map((t) => Date.parse(t.updatedAt))) + 1000;
  return world;
}

function githubWorld(stories: readonly Story[], options: DemoWorldOptions): FakeWorld {
  const random = seededRandom(options.seed * 31 + 13);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const world = new FakeWorld({ startAt: githubIso(options.endMs) });
  const members = [world.user('octocat', 'OWNER'), world.user('alice', 'MEMBER'), world.user('bob', 'MEMBER'), world.user('carol', 'COLLABORATOR')];
  const reporters = [world.user('dave', 'NONE'), world.user('erin', 'NONE'), world.user('frank', 'CONTRIBUTOR'), world.user('gina', 'FIRST_TIME_CONTRIBUTOR')];
  const labels = ['bug', 'enhancement', 'question', 'triaged', ...Object.values(GITHUB_LABEL), PAUSE_LABEL, CUSTOMER_MARKS.marketing.label];
  const [support, finance] = GITHUB_REPOSITORIES.map((name) => world.addRepo(name, labels));
  for (const story of stories) {
    const repo = story.customer === 'finance' ? finance! : support!;
    const author = pick(reporters).login;
    const agent = pick(members).login;
    const initial = [GITHUB_LABEL[story.severity], ...(story.customer === 'marketing' ? [CUSTOMER_MARKS.marketing.label] : []), ...(random() < 0.4 ? [pick(['bug', 'question'])] : [])];
    const issue = world.createIssue(repo, { title: story.subject, user: author, at: githubIso(story.createdAt), labels: initial });
    let current: Severity = story.severity;
    for (const step of story.steps) {
      const at = githubIso(step.at);
      switch (step.kind) {
        case 'reply':
          if (issue.labels.includes(PAUSE_LABEL) && !step.pause) world.removeLabel(repo, issue, PAUSE_LABEL, agent, at);
          world.comment(issue, agent, step.pause ? 'Could you share the exact error message?' : 'Thanks for the report, we are on it.', at);
          if (step.pause) world.addLabel(repo, issue, PAUSE_LABEL, agent, at);
          break;
        case 'customer':
          if (step.reopen) world.reopen(issue, author, at);
          world.comment(issue, author, step.reopen ? 'Still happening on the latest release.' : 'Here is the full stack trace.', at);
          if (step.resume) world.removeLabel(repo, issue, PAUSE_LABEL, agent, at);
          break;
        case 'note':
          // No internal notes on GitHub: triage labels it instead (not a reply).
          world.addLabel(repo, issue, 'triaged', agent, at);
          break;
        case 'priority':
          world.removeLabel(repo, issue, GITHUB_LABEL[current], agent, at);
          world.addLabel(repo, issue, GITHUB_LABEL[step.severity], agent, at);
          current = step.severity;
          break;
        case 'solve':
          world.close(issue, agent, 'completed', at);
          break;
      }
    }
  }
  world.clockMs = Math.max(world.clockMs, ...[...world.repos.values()].flatMap((r) => r.issues.map((i) => Date.parse(i.updatedAt)))) + 1000;
  return world;
}
