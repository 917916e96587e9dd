// The GitHub connection config (zod) and the sync cursor's step function, alone.
import { describe, expect, it } from 'vitest';
import { advanceCursor, parseCursor } from '../../src/connectors/github/changes.ts';
import { githubIssueSchema } from '../../src/connectors/github/api-types.ts';
import { githubConfigSchema } from '../../src/connectors/github/config.ts';

describe('githubConfigSchema', () => {
  it('applies the documented defaults', () => {
    expect(githubConfigSchema.parse({ token: 'ghp_x', repositories: ['octo/repo'] })).toEqual({
      baseUrl: 'https://api.github.com',
      token: 'ghp_x',
      repositories: ['octo/repo'],
      severityLabels: {},
      defaultPriority: null,
      pauseLabels: ['waiting-for-customer'],
      agentAssociations: ['OWNER', 'MEMBER', 'COLLABORATOR'],
      concurrency: 8,
    });
  });

  it('accepts GitHub Enterprise Server and loopback base URLs, without a trailing slash', () => {
    expect(githubConfigSchema.parse({ token: 't', repositories: ['o/r'], baseUrl: 'https://ghe.example.com/api/v3/' }).baseUrl).toBe('https://ghe.example.com/api/v3');
    expect(githubConfigSchema.parse({ token: 't', repositories: ['o/r'], baseUrl: 'http://127.0.0.1:4321' }).baseUrl).toBe('http://127.0.0.1:4321');
  });

  it.each([
    ['a repository without owner', { repositories: ['repo'] }, 'repositories.0'],
    ['no repository', { repositories: [] }, 'repositories'],
    ['an unknown severity', { severityLabels: { P1: 'S9' } }, 'severityLabels.P1'],
    ['one label twice in two cases', { severityLabels: { P1: 'S1', p1: 'S2' } }, 'severityLabels.p1'],
    ['an unknown association', { agentAssociations: ['MAINTAINER'] }, 'agentAssociations.0'],
    ['a misspelt field', { pauseLabel: ['x'] }, ''],
    ['a base URL that is no URL', { baseUrl: 'api.github.com' }, 'baseUrl'],
  ])('refuses %s', (_name, fields, path) => {
    const result = githubConfigSchema.safeParse({ token: 't', repositories: ['o/r'], ...fields });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});

const issueAt = (id: number, updatedAt: string) =>
  githubIssueSchema.parse({ id, number: id, title: 't', html_url: 'h', state: 'open', user: null, labels: [], created_at: '2025-01-01T00:00:00Z', updated_at: updatedAt });

describe('advanceCursor', () => {
  const start = { since: null, page: 1, seen: [] };

  it('moves to the last updated_at of the page and remembers the ids handed out at that second', () => {
    const page = [issueAt(1, '2025-01-01T10:00:00Z'), issueAt(2, '2025-01-01T11:00:00Z'), issueAt(3, '2025-01-01T11:00:00Z')];
    const { fresh, next } = advanceCursor(start, page, false);
    expect(fresh.map((i) => i.id)).toEqual([1, 2, 3]);
    expect(next).toEqual({ since: '2025-01-01T11:00:00Z', page: 1, seen: [2, 3] });
  });

  it('drops what came back from the second before the cursor and what was handed out at its second', () => {
    const rc = { since: '2025-01-01T11:00:00Z', page: 1, seen: [2, 3] };
    const page = [issueAt(9, '2025-01-01T10:59:59Z'), issueAt(2, '2025-01-01T11:00:00Z'), issueAt(4, '2025-01-01T11:00:00Z'), issueAt(5, '2025-01-01T12:00:00Z')];
    const { fresh, next } = advanceCursor(rc, page, false);
    expect(fresh.map((i) => i.id)).toEqual([4, 5]);
    expect(next).toEqual({ since: '2025-01-01T12:00:00Z', page: 1, seen: [5] });
  });

  it('turns the page while a full page shares the cursor second, and starts from page 1 again at the end', () => {
    const rc = { since: '2025-01-01T11:00:00Z', page: 1, seen: [1] };
    const full = advanceCursor(rc, [issueAt(1, '2025-01-01T11:00:00Z'), issueAt(2, '2025-01-01T11:00:00Z')], true);
    expect(full.next).toEqual({ since: '2025-01-01T11:00:00Z', page: 2, seen: [1, 2] });
    const end = advanceCursor(full.next, [issueAt(3, '2025-01-01T11:00:00Z')], false);
    expect(end.fresh.map((i) => i.id)).toEqual([3]);
    expect(end.next).toEqual({ since: '2025-01-01T11:00:00Z', page: 1, seen: [1, 2, 3] });
  });

  it('parses its own cursors and refuses others', () => {
    expect(parseCursor(null)).toEqual({ v: 1, repos: {} });
    expect(parseCursor('{"v":1,"repos":{"o/r":{"since":null,"page":1,"seen":[]}}}').repos['o/r']).toEqual(start);
    expect(() => parseCursor('2025-01-01')).toThrow(/not JSON|not a GitHub cursor/);
    expect(() => parseCursor('{"v":2,"repos":{}}')).toThrow(/not a GitHub cursor/);
  });
});
