// The Jira connection config (zod), the JQL the sync sends (dates in the API user's zone, minute
// precision, an overlap) and the cursor's step function, alone.
import { describe, expect, it } from 'vitest';
import { advanceCursor, anchorMs, jqlDate, parseCursor, searchJql } from '../../src/connectors/jira/changes.ts';
import type { JiraCursor } from '../../src/connectors/jira/changes.ts';
import { jiraConfigSchema } from '../../src/connectors/jira/config.ts';
import type { JiraIssue } from '../../src/connectors/jira/api-types.ts';

const base = { siteUrl: 'https://acme-support.atlassian.net', email: 'sla@acme.test', apiToken: 'token', jql: 'project in (SUP, OPS)' };

describe('jiraConfigSchema', () => {
  it('applies the documented defaults', () => {
    expect(jiraConfigSchema.parse(base)).toEqual({
      ...base,
      statusMap: { 'Waiting for customer': 'pending', Pending: 'pending' },
      agents: { excludeReporter: true, accountTypes: ['atlassian'], ignoreAccountIds: [] },
      overlapMinutes: 2,
      appKey: 'sla-sync',
      moduleKey: 'sla-panel',
      notifyUsers: true,
      pageSize: 100,
      concurrency: 4,
    });
  });

  it('accepts a loopback fake and drops a trailing slash', () => {
    expect(jiraConfigSchema.parse({ ...base, siteUrl: 'https://acme-support.atlassian.net/' }).siteUrl).toBe('https://acme-support.atlassian.net');
    expect(jiraConfigSchema.parse({ ...base, siteUrl: 'http://127.0.0.1:4321' }).siteUrl).toBe('http://127.0.0.1:4321');
  });

  it.each([
    ['plain http to a real host', { siteUrl: 'http://acme.atlassian.net' }, 'siteUrl'],
    ['a site URL with a path', { siteUrl: 'https://acme.atlassian.net/jira' }, 'siteUrl'],
    ['no email', { email: 'nobody' }, 'email'],
    ['an empty token', { apiToken: '' }, 'apiToken'],
    ['a JQL with its own ORDER BY', { jql: 'project = SUP ORDER BY created DESC' }, 'jql'],
    ['an empty JQL', { jql: '  ' }, 'jql'],
    ['an unknown normalized status', { statusMap: { Blocked: 'stuck' } }, 'statusMap.Blocked'],
    ['an SLA due field that is no custom field', { slaDueFieldId: 'duedate' }, 'slaDueFieldId'],
    ['an unknown account type', { agents: { accountTypes: ['robot'] } }, 'agents.accountTypes.0'],
    ['an unknown key', { token: 'x' }, ''],
    ['a module key Connect refuses', { moduleKey: 'SLA Panel' }, 'moduleKey'],
  ])('refuses %s', (_name, change, path) => {
    const parsed = jiraConfigSchema.safeParse({ ...base, ...change });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});

describe('the search JQL', () => {
  it('writes dates in the API user\'s zone, to the minute', () => {
    const ms = Date.parse('2025-01-06T17:04:00Z');
    expect(jqlDate(ms, 'America/Los_Angeles')).toBe('2025-01-06 09:04');
    expect(jqlDate(ms, 'Australia/Sydney')).toBe('2025-01-07 04:04');
    expect(jqlDate(ms, 'UTC')).toBe('2025-01-06 17:04');
  });

  it('goes back an hour near a daylight-saving change, and 12 hours in UTC for an unknown zone', () => {
    // 2025-11-02 01:30 happens twice in Los Angeles.
    expect(jqlDate(Date.parse('2025-11-02T08:30:00Z'), 'America/Los_Angeles')).toBe('2025-11-02 00:30');
    expect(jqlDate(Date.parse('2025-01-06T17:04:00Z'), null)).toBe('2025-01-06 05:04');
    expect(jqlDate(Date.parse('2025-01-06T17:04:00Z'), 'Not/AZone')).toBe('2025-01-06 05:04');
  });

  it('starts overlapMinutes before the cursor, on a whole minute', () => {
    expect(anchorMs(null, 2)).toBeNull();
    expect(new Date(anchorMs('2025-01-06T17:04:59.999Z', 2)!).toISOString()).toBe('2025-01-06T17:02:00.000Z');
    expect(searchJql('project = SUP', null, 'UTC')).toBe('(project = SUP) ORDER BY updated ASC, key ASC');
    expect(searchJql('project = SUP OR labels = vip', Date.parse('2025-01-06T17:02:00Z'), 'UTC')).toBe('(project = SUP OR labels = vip) AND updated >= "2025-01-06 17:02" ORDER BY updated ASC, key ASC');
  });
});

const issue = (id: string, updated: string): JiraIssue => ({ id, key: `SUP-${id}`, fields: { updated } }) as unknown as JiraIssue;
const cursor = (over: Partial<JiraCursor> = {}): JiraCursor => ({ v: 1, jql: 'h', since: null, seen: {}, token: null, ...over });
const ms = (iso: string): number => Date.parse(iso);

describe('advanceCursor', () => {
  it('hands out every issue of a first page and remembers those near the new cursor', () => {
    const { fresh, next } = advanceCursor(cursor(), [issue('1', '2025-01-06T09:00:00Z'), issue('2', '2025-01-06T10:00:00Z'), issue('3', '2025-01-06T10:01:30Z')], 'tok', 2);
    expect(fresh.map((i) => i.id)).toEqual(['1', '2', '3']);
    // Progress: the next search is anchored anew (no token); 09:00 is before the 09:59 anchor.
    expect(next).toEqual({ v: 1, jql: 'h', since: '2025-01-06T10:01:30Z', seen: { '2': ms('2025-01-06T10:00:00Z'), '3': ms('2025-01-06T10:01:30Z') }, token: null });
  });

  it('skips a version already handed out, hands out a newer version of it', () => {
    const before = cursor({ since: '2025-01-06T10:01:30Z', seen: { '2': ms('2025-01-06T10:00:00Z'), '3': ms('2025-01-06T10:01:30Z') } });
    const { fresh, next } = advanceCursor(before, [issue('2', '2025-01-06T10:00:00Z'), issue('3', '2025-01-06T10:01:45Z'), issue('4', '2025-01-06T10:01:50Z')], null, 2);
    expect(fresh.map((i) => `${i.id}@${i.fields.updated}`)).toEqual(['3@2025-01-06T10:01:45Z', '4@2025-01-06T10:01:50Z']);
    expect(next.since).toBe('2025-01-06T10:01:50Z');
  });

  it('hands out an issue saved before the cursor that the index showed late (within the overlap)', () => {
    const before = cursor({ since: '2025-01-06T10:01:30Z', seen: { '3': ms('2025-01-06T10:01:30Z') } });
    const { fresh, next } = advanceCursor(before, [issue('9', '2025-01-06T10:00:10Z'), issue('3', '2025-01-06T10:01:30Z')], null, 2);
    expect(fresh.map((i) => i.id)).toEqual(['9']);
    expect(next.since).toBe('2025-01-06T10:01:30Z');
    expect(next.seen).toEqual({ '3': ms('2025-01-06T10:01:30Z'), '9': ms('2025-01-06T10:00:10Z') });
  });

  it('keeps the search token while a page moves nothing (the overlap holds more than a page), and drops it at the end', () => {
    const before = cursor({ since: '2025-01-06T10:01:30Z', seen: { '3': ms('2025-01-06T10:01:30Z'), '4': ms('2025-01-06T10:01:30Z') } });
    const middle = advanceCursor(before, [issue('3', '2025-01-06T10:01:30Z'), issue('4', '2025-01-06T10:01:30Z')], 'page-2', 2);
    expect(middle.fresh).toEqual([]);
    expect(middle.next.token).toBe('page-2');
    expect(advanceCursor(middle.next, [issue('4', '2025-01-06T10:01:30Z')], null, 2).next.token).toBeNull();
  });

  it('skips issues older than the anchor (a search widened for an unknown zone)', () => {
    const { fresh } = advanceCursor(cursor({ since: '2025-01-06T10:01:30Z' }), [issue('7', '2025-01-06T01:00:00Z')], null, 2);
    expect(fresh).toEqual([]);
  });
});

describe('parseCursor', () => {
  it('starts over for another JQL and refuses what is not a Jira cursor', () => {
    const mine = parseCursor(null, 'project = SUP');
    const stored = JSON.stringify({ ...mine, since: '2025-01-06T10:00:00Z' });
    expect(parseCursor(stored, 'project = SUP').since).toBe('2025-01-06T10:00:00Z');
    expect(parseCursor(stored, 'project = OPS').since).toBeNull();
    expect(() => parseCursor('{"v":1,"repos":{}}', 'project = SUP')).toThrow(/not a Jira cursor/);
    expect(() => parseCursor('nope', 'project = SUP')).toThrow(/not JSON/);
  });
});
