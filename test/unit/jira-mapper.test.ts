// The Jira mapper alone, on real-shaped payloads: an issue as the enhanced search returns it (fields,
// comment container), its changelog as GET /issue/{id}/changelog pages it, the site's statuses; then
// a table of the rules (initial values from the first from-values, internal comments, the agent rule,
// status mapping, reconciliation). Also the loose schemas on Atlassian's published examples.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jiraConfigSchema } from '../../src/connectors/jira/config.ts';
import type { JiraConfig } from '../../src/connectors/jira/config.ts';
import {
  jiraBulkChangelogPageSchema,
  jiraChangeItemSchema,
  jiraChangelogPageSchema,
  jiraCommentPageSchema,
  jiraIssueSchema,
  jiraMyselfSchema,
  jiraStatusListSchema,
  jiraTimestamp,
} from '../../src/connectors/jira/api-types.ts';
import type { JiraChangelog, JiraComment, JiraIssue } from '../../src/connectors/jira/api-types.ts';
import { isAgentComment, isInternalComment, jiraIssueRef, jiraIssueToCase, normalizeJiraStatus } from '../../src/connectors/jira/mapper.ts';
import type { JiraStatusInfo } from '../../src/connectors/jira/mapper.ts';
import { responseExample } from '../fakes/jira/openapi.ts';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/jira/${name}`, import.meta.url), 'utf8'));

const SITE = 'https://acme-support.atlassian.net';
const cfg: JiraConfig = jiraConfigSchema.parse({ siteUrl: SITE, email: 'sla@acme.test', apiToken: 't', jql: 'project = SUP', organizationsFieldId: 'customfield_10002' });
const issue = jiraIssueSchema.parse(fixture('issue-sup-42.json'));
const changelog = jiraChangelogPageSchema.parse(fixture('changelog-sup-42.json')).values;
const statuses = new Map(jiraStatusListSchema.parse(fixture('statuses.json')).map((s) => [s.id, { name: s.name, category: s.statusCategory?.key ?? null }]));
const comments = issue.fields.comment!.comments;
const ALICE = '5b10ac8d82e05b22cc7d4ef5';
const DANA = 'qm:1c7e0f5b-0e2d-4c3a-9b1f-7a2d3e4f5a6b:5e8f3a2b1c0d9e8f7a6b5c4d';
const AUTOMATION = '557058:f58131cb-b67d-43c7-b30d-6b58d40bd077';

const map = (over: { issue?: JiraIssue; histories?: JiraChangelog[]; comments?: JiraComment[]; statuses?: Map<string, JiraStatusInfo>; config?: JiraConfig } = {}) =>
  jiraIssueToCase(
    { siteUrl: SITE, issue: over.issue ?? issue, histories: over.histories ?? changelog, comments: over.comments ?? comments, statuses: over.statuses ?? statuses },
    over.config ?? cfg,
  );

describe('jiraIssueToCase on SUP-42 (search fields, paged changelog, JSM comments)', () => {
  it('maps the issue, rebuilds the timeline from the changelog and finds the first public agent reply', () => {
    expect(map()).toEqual({
      externalId: '10042',
      externalKey: 'SUP-42',
      url: 'https://acme-support.atlassian.net/browse/SUP-42',
      title: 'Invoices page times out for the whole team',
      rawPriority: 'High',
      status: 'solved',
      createdAt: '2025-03-03T09:12:45.317Z',
      updatedAt: '2025-03-03T16:55:30.900Z',
      events: [
        // Open and Medium at creation: the first status and priority changes' from-values.
        { at: '2025-03-03T09:12:45.317Z', type: 'created', status: 'new', rawPriority: 'Medium', rawStatus: 'Open' },
        { at: '2025-03-03T10:05:12.004Z', type: 'priority', rawPriority: 'High' },
        { at: '2025-03-03T10:31:08.220Z', type: 'status', status: 'open', rawStatus: 'In Progress' },
        // The internal note (09:40), the customer (10:45) and Automation (10:50) are no reply; the
        // public reply and "Waiting for customer" share an instant: the reply first.
        { at: '2025-03-03T11:02:44Z', type: 'agent_reply', author: ALICE },
        { at: '2025-03-03T11:02:44Z', type: 'status', status: 'pending', rawStatus: 'Waiting for customer' },
        { at: '2025-03-03T13:15:09.870Z', type: 'status', status: 'open', rawStatus: 'Waiting for support' },
        { at: '2025-03-03T16:55:30.900Z', type: 'status', status: 'solved', rawStatus: 'Resolved' },
      ],
      attributes: { projectKey: 'SUP', issueType: 'Incident', labels: ['vip'], reporterAccountId: DANA, components: ['Billing'], organizations: ['Globex'] },
    });
  });

  it('reads the same timeline from the bulk changelog (filtered to status and priority, any order)', () => {
    const bulk = changelog
      .map((h) => ({ ...h, items: h.items.filter((i) => i.fieldId === 'status' || i.fieldId === 'priority') }))
      .filter((h) => h.items.length > 0)
      .reverse();
    expect(map({ histories: bulk })).toEqual(map());
  });

  it('needs comments only up to the first agent reply', () => {
    expect(map({ comments: comments.slice(0, 4) }).events).toEqual(map().events);
  });

  it('leaves organizations out when the connection names no Organizations field', () => {
    expect(map({ config: { ...cfg, organizationsFieldId: undefined } }).attributes).toEqual({ projectKey: 'SUP', issueType: 'Incident', labels: ['vip'], reporterAccountId: DANA, components: ['Billing'] });
  });
});

/** A small issue for the table below: Open/Medium at 09:00, no comments. */
function small(fields: Partial<JiraIssue['fields']> = {}): JiraIssue {
  return {
    ...issue,
    fields: {
      ...issue.fields,
      status: { id: '1', name: 'Open', statusCategory: { key: 'new' } },
      priority: { id: '3', name: 'Medium' },
      created: '2025-03-03T09:00:00Z',
      updated: '2025-03-03T09:00:00Z',
      comment: { comments: [], total: 0 },
      ...fields,
    },
  };
}
const history = (id: string, created: string, ...items: { field: string; from: string | null; fromString: string | null; to: string | null; toString: string | null }[]): JiraChangelog => ({
  id,
  created,
  items: items.map((i) => jiraChangeItemSchema.parse({ ...i, fieldtype: 'jira', fieldId: i.field })),
});
const comment = (id: string, created: string, author: { accountId: string; accountType?: string }, extra: Partial<JiraComment> = {}): JiraComment => ({ id, created, author, ...extra });
const agent = { accountId: ALICE, accountType: 'atlassian' };

describe('jiraIssueToCase rules', () => {
  it('takes the current status and priority at creation when nothing changed', () => {
    const c = map({ issue: small(), histories: [], comments: [] });
    expect(c.events).toEqual([{ at: '2025-03-03T09:00:00Z', type: 'created', status: 'new', rawPriority: 'Medium', rawStatus: 'Open' }]);
    expect(c.status).toBe('new');
  });

  it('takes the initial priority from the first change even when it was empty, and folds changes at the creation instant', () => {
    const c = map({
      issue: small({ priority: { id: '1', name: 'Highest' }, updated: '2025-03-03T10:00:00Z' }),
      histories: [
        history('2', '2025-03-03T10:00:00Z', { field: 'priority', from: '2', fromString: 'High', to: '1', toString: 'Highest' }),
        // Automation setting a priority in the creation's instant: part of `created`.
        history('1', '2025-03-03T09:00:00Z', { field: 'priority', from: null, fromString: null, to: '2', toString: 'High' }),
      ],
      comments: [],
    });
    expect(c.events).toEqual([
      { at: '2025-03-03T09:00:00Z', type: 'created', status: 'new', rawPriority: 'High', rawStatus: 'Open' },
      { at: '2025-03-03T10:00:00Z', type: 'priority', rawPriority: 'Highest' },
    ]);
  });

  it('emits a status event only when the normalized status changes, with the current name of a renamed status', () => {
    const renamed = new Map(statuses);
    renamed.set('3', { name: 'Working on it', category: 'indeterminate' });
    const c = map({
      issue: small({ status: { id: '10002', name: 'Waiting for support', statusCategory: { key: 'indeterminate' } }, updated: '2025-03-03T11:00:00Z' }),
      histories: [
        history('1', '2025-03-03T10:00:00Z', { field: 'status', from: '1', fromString: 'Open', to: '3', toString: 'In Progress' }),
        history('2', '2025-03-03T11:00:00Z', { field: 'status', from: '3', fromString: 'In Progress', to: '10002', toString: 'Waiting for support' }),
      ],
      comments: [],
      statuses: renamed,
    });
    expect(c.events.slice(1)).toEqual([{ at: '2025-03-03T10:00:00Z', type: 'status', status: 'open', rawStatus: 'Working on it' }]);
  });

  it('falls back to the changelog names for a status the site list lacks', () => {
    const c = map({
      issue: small({ status: { id: '99999', name: 'Pending', statusCategory: { key: 'indeterminate' } }, updated: '2025-03-03T10:00:00Z' }),
      histories: [history('1', '2025-03-03T10:00:00Z', { field: 'status', from: '1', fromString: 'Open', to: '99999', toString: 'Pending' })],
      comments: [],
    });
    expect(c.events.slice(1)).toEqual([{ at: '2025-03-03T10:00:00Z', type: 'status', status: 'pending', rawStatus: 'Pending' }]);
  });

  it('reconciles at `updated` when the changelog does not end where Jira is now', () => {
    const c = map({
      issue: small({ status: { id: '10004', name: 'Resolved', statusCategory: { key: 'done' } }, priority: { id: '5', name: 'Lowest' }, updated: '2025-03-04T08:00:00.250Z' }),
      histories: [
        history('1', '2025-03-03T10:00:00Z', { field: 'status', from: '1', fromString: 'Open', to: '3', toString: 'In Progress' }),
        history('2', '2025-03-03T10:30:00Z', { field: 'priority', from: '3', fromString: 'Medium', to: '2', toString: 'High' }),
      ],
      comments: [],
    });
    expect(c.events.slice(3)).toEqual([
      { at: '2025-03-04T08:00:00.250Z', type: 'priority', rawPriority: 'Lowest' },
      { at: '2025-03-04T08:00:00.250Z', type: 'status', status: 'solved', rawStatus: 'Resolved' },
    ]);
  });

  it('places a reply dated before the issue (an import) at its creation', () => {
    const c = map({ issue: small({ updated: '2025-03-03T09:30:00Z' }), histories: [], comments: [comment('1', '2025-03-02T12:00:00Z', agent)] });
    expect(c.events[1]).toEqual({ at: '2025-03-03T09:00:00Z', type: 'agent_reply', author: ALICE });
  });

  it.each<[string, Partial<JiraConfig['agents']>, JiraComment, boolean]>([
    ['a public comment by a licensed user', {}, comment('1', '2025-03-03T10:00:00Z', agent, { jsdPublic: true }), true],
    ['a comment with no jsdPublic (not a service project)', {}, comment('1', '2025-03-03T10:00:00Z', agent), true],
    ['a JSM internal note (jsdPublic false)', {}, comment('1', '2025-03-03T10:00:00Z', agent, { jsdPublic: false }), false],
    ['an internal note known by its sd.public.comment property', {}, comment('1', '2025-03-03T10:00:00Z', agent, { properties: [{ key: 'sd.public.comment', value: { internal: true } }] }), false],
    ['a comment restricted to a role', {}, comment('1', '2025-03-03T10:00:00Z', agent, { visibility: { type: 'role', value: 'Developers' } }), false],
    ['a comment by the reporter, a licensed user', {}, comment('1', '2025-03-03T10:00:00Z', { accountId: DANA, accountType: 'atlassian' }), false],
    ['...unless the reporter may answer', { excludeReporter: false }, comment('1', '2025-03-03T10:00:00Z', { accountId: DANA, accountType: 'atlassian' }), true],
    ['a portal customer who is not the reporter', {}, comment('1', '2025-03-03T10:00:00Z', { accountId: 'qm:other', accountType: 'customer' }), false],
    ['Automation for Jira', {}, comment('1', '2025-03-03T10:00:00Z', { accountId: AUTOMATION, accountType: 'app' }), false],
    ['...when apps count', { accountTypes: ['atlassian', 'app'] }, comment('1', '2025-03-03T10:00:00Z', { accountId: AUTOMATION, accountType: 'app' }), true],
    ['an ignored bot account', { ignoreAccountIds: [ALICE] }, comment('1', '2025-03-03T10:00:00Z', agent), false],
    ['an agent outside the allow-list', { accountIds: ['someone-else'] }, comment('1', '2025-03-03T10:00:00Z', agent), false],
    ['an agent on the allow-list', { accountIds: [ALICE] }, comment('1', '2025-03-03T10:00:00Z', agent), true],
    ['a comment with no author (deleted user)', {}, comment('1', '2025-03-03T10:00:00Z', agent, { author: null }), false],
  ])('agent rule: %s', (_name, agents, c, counts) => {
    const config = { ...cfg, agents: { ...cfg.agents, ...agents } };
    expect(isAgentComment(c, DANA, config)).toBe(counts);
    const mapped = map({ issue: small({ reporter: { accountId: DANA }, updated: '2025-03-03T10:00:00Z' }), histories: [], comments: [c], config });
    expect(mapped.events.some((e) => e.type === 'agent_reply')).toBe(counts);
  });

  it('counts only the first agent reply, by time then id', () => {
    const c = map({
      issue: small({ updated: '2025-03-03T12:00:00Z' }),
      histories: [],
      comments: [comment('30', '2025-03-03T11:00:00Z', agent), comment('20', '2025-03-03T10:00:00Z', agent), comment('10', '2025-03-03T10:00:00Z', agent, { jsdPublic: false })],
    });
    expect(c.events.filter((e) => e.type === 'agent_reply')).toEqual([{ at: '2025-03-03T10:00:00Z', type: 'agent_reply', author: ALICE }]);
  });

  it.each<[string, JiraStatusInfo, Record<string, string> | undefined, string]>([
    ['category done', { name: 'Closed', category: 'done' }, undefined, 'solved'],
    ['category new', { name: 'To Do', category: 'new' }, undefined, 'new'],
    ['category indeterminate', { name: 'In Progress', category: 'indeterminate' }, undefined, 'open'],
    ['no category', { name: 'Mystery', category: null }, undefined, 'open'],
    ['"Waiting for customer" by default', { name: 'Waiting for Customer', category: 'indeterminate' }, undefined, 'pending'],
    ['a configured name, case-insensitively', { name: 'ON HOLD', category: 'indeterminate' }, { 'On hold': 'on_hold' }, 'on_hold'],
    ['a configured done status', { name: 'Closed', category: 'done' }, { Closed: 'closed' }, 'closed'],
    ['a map that replaces the default', { name: 'Waiting for customer', category: 'indeterminate' }, { Closed: 'closed' }, 'open'],
  ])('status: %s', (_name, status, statusMap, expected) => {
    const config = statusMap ? jiraConfigSchema.parse({ siteUrl: SITE, email: 'a@b.test', apiToken: 't', jql: 'project = SUP', statusMap }) : cfg;
    expect(normalizeJiraStatus(status, config)).toBe(expected);
  });

  it('knows internal comments', () => {
    expect(comments.filter(isInternalComment).map((c) => c.id)).toEqual(['10401']);
  });

  it('makes refs from webhook issues, with project and labels when given', () => {
    expect(jiraIssueRef({ id: '10042', key: 'SUP-42', fields: { project: { key: 'SUP' }, labels: ['vip'] } })).toEqual({ externalId: '10042', externalKey: 'SUP-42', attributes: { projectKey: 'SUP', labels: ['vip'] } });
    expect(jiraIssueRef({ id: '10042', key: 'SUP-42' })).toEqual({ externalId: '10042', externalKey: 'SUP-42', attributes: {} });
  });
});

describe('the loose Jira schemas', () => {
  it.each([
    ['2025-03-03T09:12:45.317+0000', '2025-03-03T09:12:45.317Z'],
    ['2025-03-03T09:12:45.000+0000', '2025-03-03T09:12:45Z'],
    ['2025-03-03T11:12:45.000+0200', '2025-03-03T09:12:45Z'],
    ['2025-03-03T04:12:45.000-05:00', '2025-03-03T09:12:45Z'],
    ['2025-03-03T09:12:45Z', '2025-03-03T09:12:45Z'],
  ])('normalizes the Jira timestamp %s', (text, iso) => {
    expect(jiraTimestamp.parse(text)).toBe(iso);
  });

  it('refuses what is not a timestamp', () => {
    expect(jiraTimestamp.safeParse('2025-03-03 09:12').success).toBe(false);
  });

  it('reads a change item without toString as null, not as the inherited method', () => {
    expect(jiraChangeItemSchema.parse({ field: 'status', fieldId: 'status', from: '1', fromString: 'Open' })).toEqual({ field: 'status', fieldId: 'status', fromId: '1', fromName: 'Open', toId: null, toName: null });
  });

  it("parses the responses of Atlassian's published examples", () => {
    const comments = jiraCommentPageSchema.parse(responseExample('getComments'));
    expect(comments.comments[0]).toMatchObject({ id: '10000', created: '2021-01-17T12:34:00Z', visibility: { type: 'role' } });
    expect(isInternalComment(comments.comments[0]!)).toBe(true);
    expect(jiraChangelogPageSchema.parse(responseExample('getChangeLogs')).values).toHaveLength(2);
    // The bulk example carries epoch seconds where its schema says date-time.
    const bulk = jiraBulkChangelogPageSchema.parse(responseExample('getBulkChangelogs'));
    expect(bulk.issueChangeLogs[0]!.changeHistories[0]!.created).toBe('2017-04-13T08:00:29Z');
    expect(bulk.nextPageToken).toBe('UxAQBFRF');
    expect(jiraStatusListSchema.parse(responseExample('getStatuses')).map((s) => s.name)).toEqual(['In Progress', 'Closed']);
    expect(jiraMyselfSchema.parse(responseExample('getCurrentUser')).timeZone).toBe('Australia/Sydney');
  });
});
