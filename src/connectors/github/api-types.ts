// Loose schemas of the GitHub REST objects the connector reads (STYLE.md: "a loose vendor schema and
// a strict internal model"). Only the fields we use are listed and checked; every other field is
// dropped unread (z.object strips), so a new field at GitHub never breaks a sync. Stripping rather
// than passing through (z.looseObject) matters for speed: a first sync reads every issue event of a
// repository, each carrying its whole issue, and copying those unread fields cost more than the
// rest of the parsing. Webhook payloads (below) strip too: a burst of deliveries pays for each copy.
// Shapes: @octokit/openapi api.github.com.json, components/schemas/{issue, issue-comment, label,
// labeled-issue-event, simple-user} and the webhook payloads in @octokit/webhooks-examples.
import { z } from 'zod';

/** GitHub writes "2011-04-22T13:33:48Z"; older payloads carry an offset. */
const timestamp = z.iso.datetime({ offset: true });

export const githubUserSchema = z.object({
  login: z.string(),
  id: z.number(),
  type: z.string().optional(),
});
export type GithubUser = z.infer<typeof githubUserSchema>;

/** Issue labels come as objects from the REST API, and may be bare names in some payloads. */
export const githubIssueLabelSchema = z.union([
  z.string().transform((name) => ({ name })),
  z.object({ id: z.number().optional(), name: z.string(), color: z.string().nullish() }),
]);

export const githubIssueSchema = z.object({
  id: z.number(),
  number: z.number(),
  title: z.string(),
  html_url: z.string(),
  repository_url: z.string().optional(),
  state: z.string(), // "open" | "closed"
  state_reason: z.string().nullish(),
  user: githubUserSchema.nullable(),
  /** Always in REST responses; absent from some webhook payloads (issues.pinned). */
  labels: z.array(githubIssueLabelSchema).optional(),
  comments: z.number().optional(),
  /** Present (an object) when the "issue" is a pull request. */
  pull_request: z.object({}).nullish(),
  created_at: timestamp,
  updated_at: timestamp,
  closed_at: timestamp.nullish(),
  author_association: z.string().optional(),
});
export type GithubIssue = z.infer<typeof githubIssueSchema>;

/** One of GET /repos/{owner}/{repo}/issues/{issue_number}/events; we read labeled, unlabeled, closed, reopened. */
export const githubIssueEventSchema = z.object({
  id: z.number(),
  event: z.string(),
  created_at: timestamp,
  actor: githubUserSchema.nullish(),
  label: z.object({ name: z.string(), color: z.string().nullish() }).nullish(),
});
export type GithubIssueEvent = z.infer<typeof githubIssueEventSchema>;

export const githubCommentSchema = z.object({
  id: z.number(),
  body: z.string().nullish(),
  user: githubUserSchema.nullable(),
  created_at: timestamp,
  updated_at: timestamp,
  author_association: z.string().optional(),
});
export type GithubComment = z.infer<typeof githubCommentSchema>;

/** One of GET /repos/{owner}/{repo}/issues/events: an issue event with the issue it happened to. */
export const githubRepoIssueEventSchema = githubIssueEventSchema.extend({
  issue: z.object({ number: z.number() }).nullish(),
});

/** One of GET /repos/{owner}/{repo}/issues/comments: a comment with the URL of its issue. */
export const githubRepoCommentSchema = githubCommentSchema.extend({
  issue_url: z.string(),
});

export const githubRepoLabelSchema = z.object({
  id: z.number(),
  name: z.string(),
  color: z.string().nullish(),
});
export type GithubRepoLabel = z.infer<typeof githubRepoLabelSchema>;

/** The part of a webhook payload we read; `repository` is absent only on org-level events we ignore. */
export const githubRepositoryRefSchema = z.object({
  id: z.number(),
  full_name: z.string(),
});

/**
 * The issue inside a webhook payload: only what a ref needs, since payloads vary by action (the
 * `issues.pinned` example has no state and no labels).
 */
export const webhookIssueSchema = z.object({
  id: z.number(),
  number: z.number(),
  user: githubUserSchema.nullish(),
  labels: z.array(githubIssueLabelSchema).optional(),
  pull_request: z.object({}).nullish(),
});

export const issuesWebhookPayloadSchema = z.object({
  action: z.string(),
  issue: webhookIssueSchema,
  repository: githubRepositoryRefSchema,
  /** Only on `issues.transferred`: where the issue went. */
  changes: z
    .looseObject({
      new_issue: webhookIssueSchema.optional(),
      new_repository: githubRepositoryRefSchema.optional(),
    })
    .optional(),
});

export const issueCommentWebhookPayloadSchema = z.object({
  action: z.string(),
  issue: webhookIssueSchema,
  comment: z.object({ id: z.number() }),
  repository: githubRepositoryRefSchema,
});
