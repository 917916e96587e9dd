// JSON of the fake's objects, with the field sets of Atlassian's OpenAPI description (IssueBean,
// StatusDetails, UserDetails, Comment, Changelog, ChangeDetails) and of real responses where the
// description's examples are placeholders (status category keys are new / indeterminate / done on
// real sites; an issue's `comment` field is a container with `total`, not a bare list).
import type { FakeComment, FakeHistory, FakeIssue, FakeJiraWorld, FakeStatus } from './world.ts';
import { CUSTOM_FIELDS, ORGANIZATIONS_FIELD, jiraTimestamp } from './world.ts';

export interface RenderContext {
  world: FakeJiraWorld;
  /** http://127.0.0.1:PORT */
  siteUrl: string;
  /** How many comments an issue's `comment` field holds at most (the rest via GET .../comment). */
  inlineCommentLimit: number;
  /** How many histories `expand=changelog` on a search holds at most (the most recent). */
  searchChangelogLimit: number;
}

const CATEGORY: Record<FakeStatus['category'], { id: number; colorName: string; name: string }> = {
  new: { id: 2, colorName: 'blue-gray', name: 'To Do' },
  indeterminate: { id: 4, colorName: 'yellow', name: 'In Progress' },
  done: { id: 3, colorName: 'green', name: 'Done' },
};

const avatarUrls = (seed: string): Record<string, string> =>
  Object.fromEntries(['16x16', '24x24', '32x32', '48x48'].map((size) => [size, `https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/initials/${seed}.png?size=${size.split('x')[0]}`]));

export function userJson(ctx: RenderContext, accountId: string): Record<string, unknown> {
  const user = ctx.world.users.get(accountId);
  if (!user) throw new Error(`unknown user ${accountId}`);
  return {
    self: `${ctx.siteUrl}/rest/api/3/user?accountId=${encodeURIComponent(user.accountId)}`,
    accountId: user.accountId,
    ...(user.accountType === 'customer' ? {} : { emailAddress: user.email }),
    avatarUrls: avatarUrls(user.displayName.slice(0, 2).toUpperCase()),
    displayName: user.displayName,
    active: true,
    timeZone: 'Europe/Berlin',
    accountType: user.accountType,
  };
}

export function statusJson(ctx: RenderContext, status: FakeStatus): Record<string, unknown> {
  const category = CATEGORY[status.category];
  return {
    self: `${ctx.siteUrl}/rest/api/3/status/${status.id}`,
    description: '',
    iconUrl: `${ctx.siteUrl}/images/icons/statuses/generic.png`,
    name: status.name,
    id: status.id,
    statusCategory: { self: `${ctx.siteUrl}/rest/api/3/statuscategory/${category.id}`, id: category.id, key: status.category, colorName: category.colorName, name: category.name },
  };
}

const adf = (text: string): Record<string, unknown> => ({ type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] });

export function commentJson(ctx: RenderContext, issue: FakeIssue, comment: FakeComment): Record<string, unknown> {
  return {
    self: `${ctx.siteUrl}/rest/api/3/issue/${issue.id}/comment/${comment.id}`,
    id: comment.id,
    author: userJson(ctx, comment.author),
    body: adf(comment.body),
    updateAuthor: userJson(ctx, comment.author),
    created: jiraTimestamp(comment.created),
    updated: jiraTimestamp(comment.updated),
    ...(comment.visibility ? { visibility: { ...comment.visibility, identifier: comment.visibility.value } } : {}),
    jsdPublic: comment.jsdPublic,
  };
}

export function historyJson(ctx: RenderContext, history: FakeHistory, fieldIds?: ReadonlySet<string>): Record<string, unknown> {
  const items = fieldIds ? history.items.filter((i) => fieldIds.has(i.fieldId)) : history.items;
  return { id: history.id, author: userJson(ctx, history.author), created: jiraTimestamp(history.created), items: items.map((i) => ({ ...i })) };
}

/** The fields an issue has, each rendered only when asked for (the enhanced search returns only ids otherwise). */
export function issueFieldsJson(ctx: RenderContext, issue: FakeIssue, wanted: ReadonlySet<string>): Record<string, unknown> {
  const { world, siteUrl } = ctx;
  const all = wanted.has('*all') || wanted.has('*navigable');
  const want = (field: string): boolean => all || wanted.has(field);
  const fields: Record<string, unknown> = {};
  if (want('summary')) fields['summary'] = issue.summary;
  if (want('status')) fields['status'] = statusJson(ctx, world.statuses.get(issue.statusId)!);
  if (want('priority')) {
    const p = issue.priorityId === null ? null : world.priorities.get(issue.priorityId)!;
    fields['priority'] = p ? { self: `${siteUrl}/rest/api/3/priority/${p.id}`, iconUrl: `${siteUrl}/images/icons/priorities/${p.name.toLowerCase()}.svg`, name: p.name, id: p.id } : null;
  }
  if (want('created')) fields['created'] = jiraTimestamp(issue.created);
  if (want('updated')) fields['updated'] = jiraTimestamp(issue.updated);
  if (want('reporter')) fields['reporter'] = userJson(ctx, issue.reporter);
  if (want('assignee')) fields['assignee'] = issue.assignee ? userJson(ctx, issue.assignee) : null;
  if (want('issuetype')) {
    const id = String(10000 + issue.project.issueTypes.indexOf(issue.issueType));
    fields['issuetype'] = { self: `${siteUrl}/rest/api/3/issuetype/${id}`, id, description: '', iconUrl: `${siteUrl}/images/icons/issuetypes/task.svg`, name: issue.issueType, subtask: false, hierarchyLevel: 0 };
  }
  if (want('project')) {
    const p = issue.project;
    fields['project'] = { self: `${siteUrl}/rest/api/3/project/${p.id}`, id: p.id, key: p.key, name: p.name, projectTypeKey: p.serviceDesk ? 'service_desk' : 'software', simplified: false, avatarUrls: avatarUrls(p.key) };
  }
  if (want('labels')) fields['labels'] = [...issue.labels];
  if (want('components')) fields['components'] = issue.components.map((name, i) => ({ self: `${siteUrl}/rest/api/3/component/${issue.project.id}${i}`, id: `${issue.project.id}${i}`, name }));
  if (want('comment')) {
    const comments = [...issue.comments].sort((a, b) => a.created - b.created || Number(a.id) - Number(b.id));
    const shown = comments.slice(0, ctx.inlineCommentLimit);
    fields['comment'] = { comments: shown.map((c) => commentJson(ctx, issue, c)), self: `${siteUrl}/rest/api/3/issue/${issue.id}/comment`, maxResults: shown.length, total: comments.length, startAt: 0 };
  }
  for (const [fieldId, def] of Object.entries(CUSTOM_FIELDS)) {
    if (!want(fieldId)) continue;
    if (def.type === 'organizations') {
      fields[fieldId] =
        issue.project.serviceDesk && fieldId === ORGANIZATIONS_FIELD
          ? issue.organizations.map((name, i) => ({ id: String(i + 1), name, _links: { self: `${siteUrl}/rest/servicedeskapi/organization/${i + 1}` } }))
          : null;
    } else fields[fieldId] = (issue.customFields[fieldId] as string | null | undefined) ?? null;
  }
  return fields;
}

export function issueJson(ctx: RenderContext, issue: FakeIssue, wanted: ReadonlySet<string>, expandChangelog: boolean): Record<string, unknown> {
  const json: Record<string, unknown> = {
    expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
    id: issue.id,
    self: `${ctx.siteUrl}/rest/api/3/issue/${issue.id}`,
    key: issue.key,
    fields: issueFieldsJson(ctx, issue, wanted),
  };
  if (expandChangelog) {
    // Most recent first, cut at the limit; `total` tells the real count.
    const recent = [...issue.histories].sort((a, b) => b.created - a.created || Number(b.id) - Number(a.id)).slice(0, ctx.searchChangelogLimit);
    json['changelog'] = { startAt: 0, maxResults: recent.length, total: issue.histories.length, histories: recent.map((h) => historyJson(ctx, h)) };
  }
  return json;
}

export function myselfJson(ctx: RenderContext): Record<string, unknown> {
  const user = ctx.world.apiUser;
  return {
    self: `${ctx.siteUrl}/rest/api/3/user?accountId=${user.accountId}`,
    accountId: user.accountId,
    accountType: 'atlassian',
    emailAddress: user.email,
    avatarUrls: avatarUrls('SL'),
    displayName: user.displayName,
    active: true,
    timeZone: ctx.world.apiUserTimeZone,
    locale: 'en_US',
  };
}
