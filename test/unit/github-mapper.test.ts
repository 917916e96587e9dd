// The GitHub mapper alone, on the published REST shapes (test/fixtures/github/openapi-examples.json
// holds the OpenAPI examples; each case varies the fields it is about).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { githubCommentSchema, githubIssueEventSchema, githubIssueSchema } from '../../src/connectors/github/api-types.ts';
import type { GithubComment, GithubIssue, GithubIssueEvent } from '../../src/connectors/github/api-types.ts';
import { githubConfigSchema } from '../../src/connectors/github/config.ts';
import { SLA_COMMENT_MARKER, githubIssueToCase, githubPriorityFromLabels, isPullRequest } from '../../src/connectors/github/mapper.ts';
import type { SourceEvent } from '../../src/connectors/types.ts';

const examples = JSON.parse(readFileSync(new URL('../fixtures/github/openapi-examples.json', import.meta.url), 'utf8')) as {
  issue: Record<string, unknown>;
  labeledEvent: Record<string, unknown>;
  comment: Record<string, unknown>;
  label: Record<string, unknown>;
};

const cfg = githubConfigSchema.parse({
  token: 't',
  repositories: ['octocat/Hello-World'],
  severityLabels: { P1: 'S1', 'priority: critical': 'S1', 'severity/1': 'S1', P2: 'S2', P3: 'S3', P4: 'S4' },
  defaultPriority: 'P3',
});

const T0 = '2025-03-03T09:00:00Z';
const at = (minutes: number): string => new Date(Date.parse(T0) + minutes * 60_000).toISOString().replace('.000Z', 'Z');
const user = (login: string) => ({ ...(examples.issue['user'] as object), login, id: login.length * 1000 + login.charCodeAt(0) });

function issue(fields: { labels?: string[]; state?: 'open' | 'closed'; updatedMin?: number; closedMin?: number; author?: string; pr?: boolean } = {}): GithubIssue {
  const raw: Record<string, unknown> = structuredClone(examples.issue);
  if (!fields.pr) delete raw['pull_request'];
  Object.assign(raw, {
    id: 4242,
    number: 12,
    title: 'Login fails',
    user: user(fields.author ?? 'reporter'),
    author_association: 'NONE',
    labels: (fields.labels ?? []).map((name, i) => ({ ...examples.label, id: 900 + i, name })),
    state: fields.state ?? 'open',
    state_reason: fields.state === 'closed' ? 'completed' : null,
    created_at: T0,
    updated_at: at(fields.updatedMin ?? 600),
    closed_at: fields.closedMin === undefined ? null : at(fields.closedMin),
  });
  return githubIssueSchema.parse(raw);
}

let nextId = 1;
function event(kind: string, minutes: number, label?: string): GithubIssueEvent {
  const raw: Record<string, unknown> = { ...structuredClone(examples.labeledEvent), id: nextId++, event: kind, created_at: at(minutes) };
  if (label) raw['label'] = { name: label, color: 'ededed' };
  else delete raw['label'];
  return githubIssueEventSchema.parse(raw);
}

function comment(login: string, association: string, minutes: number, body = 'Looking into it'): GithubComment {
  return githubCommentSchema.parse({ ...structuredClone(examples.comment), id: nextId++, user: user(login), author_association: association, body, created_at: at(minutes), updated_at: at(minutes) });
}

const map = (i: GithubIssue, events: GithubIssueEvent[] = [], comments: GithubComment[] = [], config = cfg) =>
  githubIssueToCase({ repository: 'octocat/Hello-World', issue: i, events, comments }, config);

describe('githubIssueToCase', () => {
  it('maps an untouched issue: ids, key, url, attributes, created with the default priority', () => {
    const c = map(issue({ updatedMin: 0 }));
    expect(c).toMatchObject({
      externalId: '4242',
      externalKey: 'octocat/Hello-World#12',
      url: 'https://github.com/octocat/Hello-World/issues/1347',
      title: 'Login fails',
      status: 'open',
      rawPriority: 'P3',
      createdAt: T0,
      attributes: { repository: 'octocat/Hello-World', number: 12, labels: [], authorLogin: 'reporter' },
    });
    expect(c.events).toEqual([{ at: T0, type: 'created', status: 'open', rawPriority: 'P3' }]);
  });

  it('folds labels given at creation (labeled events at the creation second) into `created`', () => {
    const c = map(issue({ labels: ['P2', 'bug'] }), [event('labeled', 0, 'P2'), event('labeled', 0, 'bug')]);
    expect(c.events).toEqual([{ at: T0, type: 'created', status: 'open', rawPriority: 'P2' }]);
  });

  it('takes a label with no event at all as there since creation (events not fetched)', () => {
    expect(map(issue({ labels: ['P1'], updatedMin: 0 })).events).toEqual([{ at: T0, type: 'created', status: 'open', rawPriority: 'P1' }]);
  });

  it('takes a label whose first event is `unlabeled` as there since creation', () => {
    const c = map(issue({ labels: [] }), [event('unlabeled', 30, 'P1')]);
    expect(c.events).toEqual([
      { at: T0, type: 'created', status: 'open', rawPriority: 'P1' },
      { at: at(30), type: 'priority', rawPriority: 'P3' },
    ]);
    expect(c.rawPriority).toBe('P3');
  });

  it('emits one priority event when the priority is raised by swapping labels in one second', () => {
    const c = map(issue({ labels: ['P1'] }), [event('labeled', 0, 'P3'), event('unlabeled', 45, 'P3'), event('labeled', 45, 'P1')]);
    expect(c.events).toEqual([
      { at: T0, type: 'created', status: 'open', rawPriority: 'P3' },
      { at: at(45), type: 'priority', rawPriority: 'P1' },
    ]);
  });

  it('uses the highest severity among priority labels, matched case-insensitively, in the config spelling', () => {
    expect(githubPriorityFromLabels(['P3', 'Priority: Critical'], cfg)).toBe('priority: critical');
    expect(githubPriorityFromLabels(['p1', 'severity/1'], cfg)).toBe('P1'); // same severity: first in the config wins
    expect(githubPriorityFromLabels(['bug'], cfg)).toBe('P3');
    expect(githubPriorityFromLabels(['bug'], { ...cfg, defaultPriority: null })).toBeNull();
    const c = map(issue({ labels: ['P4', 'severity/1'] }), [event('labeled', 0, 'P4'), event('labeled', 10, 'severity/1')]);
    expect(c.events.at(-1)).toEqual({ at: at(10), type: 'priority', rawPriority: 'severity/1' });
  });

  it('is pending while a pause label is on, open again when it comes off', () => {
    const c = map(issue({ labels: [] }), [event('labeled', 60, 'Waiting-For-Customer'), event('unlabeled', 180, 'Waiting-For-Customer')]);
    expect(c.events.slice(1)).toEqual([
      { at: at(60), type: 'status', status: 'pending' },
      { at: at(180), type: 'status', status: 'open' },
    ]);
    expect(c.status).toBe('open');
  });

  it('starts pending when filed with a pause label, and reports pending now', () => {
    const c = map(issue({ labels: ['waiting-for-customer'] }), [event('labeled', 0, 'waiting-for-customer')]);
    expect(c.events).toEqual([{ at: T0, type: 'created', status: 'pending', rawPriority: 'P3' }]);
    expect(c.status).toBe('pending');
  });

  it('closes (also as not planned) and reopens; a pause label put on while closed applies at reopening', () => {
    const c = map(issue({ labels: ['waiting-for-customer'] }), [event('closed', 100), event('labeled', 200, 'waiting-for-customer'), event('reopened', 300)]);
    expect(c.events.slice(1)).toEqual([
      { at: at(100), type: 'status', status: 'closed' },
      { at: at(300), type: 'status', status: 'pending' },
    ]);
    const closed = map(issue({ state: 'closed', closedMin: 500, updatedMin: 500 }), [event('closed', 100), event('reopened', 300), event('closed', 500)]);
    expect(closed.events.slice(1).map((e) => [e.at, e.type === 'status' && e.status])).toEqual([
      [at(100), 'closed'],
      [at(300), 'open'],
      [at(500), 'closed'],
    ]);
    expect(closed.status).toBe('closed');
  });

  it('counts the first agent comment only, never the author\'s own, an outsider\'s, or sla-sync\'s status comment', () => {
    const c = map(
      issue({ author: 'maintainer-filed' }),
      [],
      [
        comment('someone', 'NONE', 5),
        comment('maintainer-filed', 'MEMBER', 10), // the author is a member: still not an answer
        comment('sla-sync-bot', 'MEMBER', 12, `${SLA_COMMENT_MARKER}\n### SLA status`),
        comment('alice', 'COLLABORATOR', 20),
        comment('bob', 'OWNER', 30),
      ],
    );
    expect(c.events.filter((e) => e.type === 'agent_reply')).toEqual([{ at: at(20), type: 'agent_reply', author: 'alice' }]);
  });

  it('counts an agent\'s reply that quotes the status comment (the marker not at its start)', () => {
    const c = map(issue(), [], [comment('sla-sync-bot', 'MEMBER', 12, `${SLA_COMMENT_MARKER}\n### SLA status`), comment('alice', 'MEMBER', 20, `> ${SLA_COMMENT_MARKER}\n> ### SLA status\n\nLooking at it now.`)]);
    expect(c.events.filter((e) => e.type === 'agent_reply')).toEqual([{ at: at(20), type: 'agent_reply', author: 'alice' }]);
  });

  it('counts listed agent logins whatever their association, and only the listed associations', () => {
    const config = { ...cfg, agentLogins: ['Support-Contractor'], agentAssociations: ['OWNER' as const] };
    const comments = [comment('member-not-agent', 'MEMBER', 5), comment('support-contractor', 'NONE', 8)];
    expect(map(issue(), [], comments, config).events.filter((e) => e.type === 'agent_reply')).toEqual([{ at: at(8), type: 'agent_reply', author: 'support-contractor' }]);
  });

  it('orders "close with comment" as reply then close, and ties by id whatever the input order', () => {
    const events = [event('closed', 50)];
    const c = map(issue({ state: 'closed', closedMin: 50, updatedMin: 50 }), [...events].reverse(), [comment('alice', 'MEMBER', 50)]);
    expect(c.events.map((e: SourceEvent) => e.type)).toEqual(['created', 'agent_reply', 'status']);
  });

  it('ignores events that do not touch the timeline (assigned, mentioned, subscribed, renamed)', () => {
    const c = map(issue(), [event('assigned', 5), event('mentioned', 6), event('subscribed', 7), event('renamed', 8)]);
    expect(c.events).toHaveLength(1);
  });

  it('moves anything dated before the issue to its creation', () => {
    const c = map(issue({ labels: ['P1'] }), [event('labeled', -5, 'P1')], [comment('alice', 'MEMBER', -1)]);
    expect(c.events).toEqual([
      { at: T0, type: 'created', status: 'open', rawPriority: 'P1' },
      { at: T0, type: 'agent_reply', author: 'alice' },
    ]);
  });

  it('reconciles with the labels and state GitHub reports now when events do not explain them', () => {
    // P1 was added, then the label was deleted from the repository (no unlabeled event); the close
    // event is missing too.
    const c = map(issue({ labels: [], state: 'closed', closedMin: 700, updatedMin: 720 }), [event('labeled', 10, 'P1')]);
    expect(c.events).toEqual([
      { at: T0, type: 'created', status: 'open', rawPriority: 'P3' },
      { at: at(10), type: 'priority', rawPriority: 'P1' },
      { at: at(700), type: 'priority', rawPriority: 'P3' },
      { at: at(700), type: 'status', status: 'closed' },
    ]);
    expect(c.rawPriority).toBe('P3');
  });

  it('keeps the timeline in time order with `created` first', () => {
    const c = map(issue({ labels: ['P2'] }), [event('labeled', 90, 'P2'), event('labeled', 30, 'waiting-for-customer'), event('unlabeled', 60, 'waiting-for-customer')], [comment('bob', 'MEMBER', 45)]);
    const times = c.events.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(c.events.map((e) => e.type)).toEqual(['created', 'status', 'agent_reply', 'status', 'priority']);
  });

  it('recognizes pull requests by their pull_request field (the spec example is one)', () => {
    expect(isPullRequest(issue({ pr: true }))).toBe(true);
    expect(isPullRequest(issue())).toBe(false);
  });
});
