// The fake Jira itself: the OpenAPI check bites (what the real API lacks or refuses fails a test),
// auth, paging and the JQL it understands behave like Jira's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeJira } from '../fakes/jira/server.ts';
import type { FakeJira } from '../fakes/jira/server.ts';
import { generateJiraWorld } from '../fakes/jira/world.ts';

describe('the fake Jira checks requests against the OpenAPI description', () => {
  let fake: FakeJira;
  let auth: string;
  beforeAll(async () => {
    fake = await startFakeJira({ world: generateJiraWorld({ seed: 1, issuesPerProject: 30 }) });
    auth = `Basic ${Buffer.from(`${fake.email}:${fake.apiToken}`).toString('base64')}`;
  });
  afterAll(() => fake.close());

  const call = async (method: string, path: string, body?: unknown, authorization = auth) => {
    const before = fake.violations.length;
    const res = await fetch(`${fake.url}${path}`, {
      method,
      headers: { authorization, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = res.status === 204 || res.headers.get('content-length') === '0' ? null : ((await res.json().catch(() => null)) as unknown);
    return { status: res.status, json, problems: fake.violations.slice(before).flatMap((v) => v.problems) };
  };
  const search = (query: string) => `/rest/api/3/search/jql?jql=${encodeURIComponent('project = SUP')}&${query}`;

  it.each([
    ['an undeclared query parameter', 'GET', search('fields=summary&startAt=50'), undefined, 400, 'query parameter "startAt" is not declared for searchAndReconsileIssuesUsingJql'],
    ['a non-integer page size', 'GET', search('maxResults=lots'), undefined, 400, 'query parameter maxResults: "lots" is not an integer'],
    ['the removed search (deprecated)', 'GET', '/rest/api/3/search?jql=project%3DSUP', undefined, 410, 'searchForIssuesUsingJql (GET /rest/api/3/search) is deprecated'],
    ['an operation that does not exist', 'GET', '/rest/api/3/issue/SUP-1/history', undefined, 404, 'no operation GET /rest/api/3/issue/SUP-1/history in the OpenAPI description'],
    ['a bulk fetch of no issue', 'POST', '/rest/api/3/changelog/bulkfetch', { issueIdsOrKeys: [] }, 400, 'body.issueIdsOrKeys: fewer than 1 items'],
    ['a bulk fetch of 1,001 issues', 'POST', '/rest/api/3/changelog/bulkfetch', { issueIdsOrKeys: Array.from({ length: 1001 }, (_, i) => String(10001 + i)) }, 400, 'body.issueIdsOrKeys: more than 1000 items'],
    ['a bulk fetch filtered on 11 fields', 'POST', '/rest/api/3/changelog/bulkfetch', { issueIdsOrKeys: ['10001'], fieldIds: Array.from({ length: 11 }, (_, i) => `f${i}`) }, 400, 'body.fieldIds: more than 10 items'],
    ['a bulk fetch with an unknown key', 'POST', '/rest/api/3/changelog/bulkfetch', { issueIds: ['10001'] }, 400, 'body.issueIds: is not allowed'],
    ['a label operation Jira does not know', 'PUT', '/rest/api/3/issue/10001', { update: { labels: [{ append: 'x' }] } }, 400, 'body.update.labels[0].append: is not allowed'],
    ['an edit of a field not on the screen', 'PUT', '/rest/api/3/issue/10001', { fields: { duedate: '2025-01-01' } }, 400, "Field 'duedate' cannot be set. It is not on the appropriate screen, or unknown."],
    ['an SLA due in the wrong form', 'PUT', '/rest/api/3/issue/10001', { fields: { customfield_10050: '2025-03-03T17:00:00Z' } }, 400, "Date value is invalid. Expected format: yyyy-MM-dd'T'HH:mm:ss.SSSZ"],
    ['a JQL field the fake does not know', 'GET', `/rest/api/3/search/jql?jql=${encodeURIComponent('sprint in openSprints()')}`, undefined, 400, "jql: Field 'sprint' does not exist or you do not have permission to view it."],
    ['an unbounded JQL', 'GET', `/rest/api/3/search/jql?jql=${encodeURIComponent('order by key desc')}`, undefined, 400, 'jql: Unbounded JQL queries are not allowed here. Please add a search restriction to your query.'],
    ['a token of another search', 'GET', search('nextPageToken=eyJoIjoiMCIsIm8iOjEwfQ'), undefined, 400, 'nextPageToken does not belong to this search'],
  ])('refuses and records %s', async (_name, method, path, body, status, problem) => {
    const res = await call(method, path, body);
    expect(res.status).toBe(status);
    expect(res.problems).toContain(problem);
  });

  it('requires basic auth with the account email and API token', async () => {
    const res = await call('GET', '/rest/api/3/myself', undefined, `Basic ${Buffer.from(`${fake.email}:wrong`).toString('base64')}`);
    expect(res).toMatchObject({ status: 401, problems: [] });
  });

  it('pages a search with nextPageToken, returns ids only unless fields are named, and reads JQL dates in the user zone', async () => {
    const before = fake.violations.length;
    const first = await call('GET', search('maxResults=20'));
    const page = first.json as { issues: Record<string, unknown>[]; nextPageToken?: string; isLast: boolean };
    expect(page.issues).toHaveLength(20);
    expect(Object.keys(page.issues[0]!)).toEqual(['id']);
    expect(page.isLast).toBe(false);
    const second = (await call('GET', search(`maxResults=20&nextPageToken=${page.nextPageToken}`))).json as typeof page;
    expect(second.issues).toHaveLength(10);
    expect(second.isLast).toBe(true);
    expect(second.nextPageToken).toBeUndefined();

    const issue = fake.world.issue('SUP-1')!;
    // "Los Angeles local minute of `updated`": the issue is found from that minute on, not one minute later.
    const local = new Date(issue.updated - 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');
    const next = new Date(issue.updated - 8 * 3600_000 + 60_000).toISOString().slice(0, 16).replace('T', ' ');
    const at = async (when: string) =>
      ((await call('GET', `/rest/api/3/search/jql?jql=${encodeURIComponent(`key = SUP-1 AND updated >= "${when}"`)}`)).json as typeof page).issues.length;
    expect(await at(local)).toBe(1);
    expect(await at(next)).toBe(0);
    expect(fake.violations.length).toBe(before);
  });
});
