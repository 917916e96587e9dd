// JSON of the fake's objects, with the field sets of the OpenAPI examples (components/examples:
// issue, issue-event-for-issue, issue-comment, label, simple-user), so the connector reads real shapes.
import type { FakeComment, FakeEvent, FakeIssue, FakeLabel, FakeRepo, FakeUser, FakeWorld } from './world.ts';

export interface RenderContext {
  world: FakeWorld;
  /** REST root, e.g. http://127.0.0.1:PORT or http://127.0.0.1:PORT/api/v3. */
  apiUrl: string;
  htmlUrl: string;
}

const nodeId = (prefix: string, id: number): string => Buffer.from(`${prefix}${id}`).toString('base64');

export function userJson(ctx: RenderContext, login: string): Record<string, unknown> {
  const user: FakeUser = ctx.world.user(login);
  const url = `${ctx.apiUrl}/users/${user.login}`;
  return {
    login: user.login,
    id: user.id,
    node_id: nodeId('04:User', user.id),
    avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
    gravatar_id: '',
    url,
    html_url: `${ctx.htmlUrl}/${user.login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: user.type,
    site_admin: false,
  };
}

export function labelJson(ctx: RenderContext, repo: FakeRepo, label: FakeLabel): Record<string, unknown> {
  return {
    id: label.id,
    node_id: nodeId('010:Label', label.id),
    url: `${ctx.apiUrl}/repos/${repo.fullName}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    description: label.description,
    color: label.color,
    default: label.default,
  };
}

const reactions = (url: string): Record<string, unknown> => ({
  url: `${url}/reactions`,
  total_count: 0,
  '+1': 0,
  '-1': 0,
  laugh: 0,
  confused: 0,
  heart: 0,
  hooray: 0,
  eyes: 0,
  rocket: 0,
});

export function issueJson(ctx: RenderContext, repo: FakeRepo, issue: FakeIssue): Record<string, unknown> {
  const repoUrl = `${ctx.apiUrl}/repos/${repo.fullName}`;
  const url = `${repoUrl}/issues/${issue.number}`;
  const htmlRepo = `${ctx.htmlUrl}/${repo.fullName}`;
  const labels = issue.labels.map((name) => ctx.world.repoLabel(repo, name)).filter((l): l is FakeLabel => l !== undefined);
  const json: Record<string, unknown> = {
    url,
    repository_url: repoUrl,
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: `${htmlRepo}/${issue.isPullRequest ? 'pull' : 'issues'}/${issue.number}`,
    id: issue.id,
    node_id: nodeId(issue.isPullRequest ? '011:PullRequest' : '05:Issue', issue.id),
    number: issue.number,
    title: issue.title,
    user: userJson(ctx, issue.user),
    labels: labels.map((l) => labelJson(ctx, repo, l)),
    state: issue.state,
    locked: false,
    assignee: null,
    assignees: [],
    milestone: null,
    comments: issue.comments.length,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    closed_at: issue.closedAt,
    author_association: ctx.world.user(issue.user).association,
    active_lock_reason: null,
    body: issue.body,
    closed_by: issue.closedBy ? userJson(ctx, issue.closedBy) : null,
    reactions: reactions(url),
    timeline_url: `${url}/timeline`,
    performed_via_github_app: null,
    state_reason: issue.stateReason,
  };
  if (issue.isPullRequest) {
    json['draft'] = false;
    json['pull_request'] = {
      url: `${repoUrl}/pulls/${issue.number}`,
      html_url: `${htmlRepo}/pull/${issue.number}`,
      diff_url: `${htmlRepo}/pull/${issue.number}.diff`,
      patch_url: `${htmlRepo}/pull/${issue.number}.patch`,
      merged_at: null,
    };
  }
  return json;
}

export function eventJson(ctx: RenderContext, repo: FakeRepo, event: FakeEvent): Record<string, unknown> {
  const json: Record<string, unknown> = {
    id: event.id,
    node_id: nodeId('LE_', event.id),
    url: `${ctx.apiUrl}/repos/${repo.fullName}/issues/events/${event.id}`,
    actor: userJson(ctx, event.actor),
    event: event.event,
    commit_id: null,
    commit_url: null,
    created_at: event.createdAt,
    performed_via_github_app: null,
  };
  if (event.label) json['label'] = { name: event.label.name, color: event.label.color };
  if (event.assignee) {
    json['assignee'] = userJson(ctx, event.assignee);
    json['assigner'] = userJson(ctx, event.actor);
  }
  if (event.rename) json['rename'] = event.rename;
  return json;
}

export function commentJson(ctx: RenderContext, repo: FakeRepo, issue: FakeIssue, comment: FakeComment): Record<string, unknown> {
  const url = `${ctx.apiUrl}/repos/${repo.fullName}/issues/comments/${comment.id}`;
  return {
    id: comment.id,
    node_id: nodeId('IC_', comment.id),
    url,
    html_url: `${ctx.htmlUrl}/${repo.fullName}/issues/${issue.number}#issuecomment-${comment.id}`,
    body: comment.body,
    user: userJson(ctx, comment.user),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    issue_url: `${ctx.apiUrl}/repos/${repo.fullName}/issues/${issue.number}`,
    author_association: ctx.world.user(comment.user).association,
    performed_via_github_app: null,
    reactions: reactions(url),
  };
}
