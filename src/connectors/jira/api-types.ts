// Loose schemas of the Jira Cloud REST v3 objects the connector reads (STYLE.md: "a loose vendor
// schema and a strict internal model"). Only the fields we use are listed; everything else passes
// through (z.looseObject), so a new field at Atlassian never breaks a sync.
// Shapes: ../shared/vendor-specs/jira-cloud-platform-rest-v3.json, components/schemas/{IssueBean,
// SearchAndReconcileResults, Changelog, ChangeDetails, BulkChangelogResponseBean, PageBeanChangelog,
// PageOfComments, Comment, StatusDetails, User}, and the webhook payloads of
// https://developer.atlassian.com/cloud/jira/platform/webhooks/ (issue and comment events).
import { z } from 'zod';

/**
 * Jira writes "2025-01-06T09:00:00.123+0000" (no colon in the offset, which z.iso.datetime refuses).
 * Normalized to the UTC form the store and the engine use ("…Z", milliseconds only when not zero).
 */
const JIRA_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;

export function normalizeInstant(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export const jiraTimestamp = z
  .string()
  .regex(JIRA_TIMESTAMP, 'expected a Jira timestamp such as 2025-01-06T09:00:00.000+0000')
  .transform((text, ctx) => {
    const ms = Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: `not a date: ${text}` });
      return z.NEVER;
    }
    return normalizeInstant(ms);
  });

/**
 * The bulk changelog's published example carries `created` as epoch seconds (1492070429) while its
 * schema says date-time: both are accepted.
 */
const changelogTimestamp = z.union([jiraTimestamp, z.number().transform((n) => normalizeInstant(n < 1e12 ? n * 1000 : n))]);

export const jiraUserSchema = z.looseObject({
  accountId: z.string(),
  accountType: z.string().optional(),
  displayName: z.string().optional(),
});
export type JiraUser = z.infer<typeof jiraUserSchema>;

export const jiraStatusSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  /** Keys on real sites: "new" (To Do), "indeterminate" (In Progress), "done", "undefined". */
  statusCategory: z.looseObject({ key: z.string(), id: z.number().optional() }).optional(),
});
export type JiraStatus = z.infer<typeof jiraStatusSchema>;

export const jiraPrioritySchema = z.looseObject({ id: z.string().optional(), name: z.string() });

const entityPropertySchema = z.looseObject({ key: z.string(), value: z.unknown() });

export const jiraCommentSchema = z.looseObject({
  id: z.string(),
  author: jiraUserSchema.nullish(),
  created: jiraTimestamp,
  updated: jiraTimestamp.optional(),
  /** JSM: false for an internal note; absent outside service projects. */
  jsdPublic: z.boolean().optional(),
  /** Restricted to a group or a role: not seen by the customer. */
  visibility: z.looseObject({ type: z.string().optional(), value: z.string().optional() }).nullish(),
  /** With expand=properties: JSM keeps `sd.public.comment` = { internal: true } on internal notes. */
  properties: z.array(entityPropertySchema).optional(),
});
export type JiraComment = z.infer<typeof jiraCommentSchema>;

/**
 * The `comment` field of an issue: a container with `total` on real sites (the OpenAPI example
 * shows a bare list; accepted too, as a complete one).
 */
export const jiraCommentFieldSchema = z.union([
  z.looseObject({ comments: z.array(jiraCommentSchema), total: z.number().int().optional() }).transform((c) => ({ comments: c.comments, total: c.total ?? c.comments.length })),
  z.array(jiraCommentSchema).transform((comments) => ({ comments, total: comments.length })),
]);

/**
 * One change of a changelog. Read by own property: `toString` is also every object's inherited
 * method, so a schema key of that name would see a function on an item that lacks it.
 */
export const jiraChangeItemSchema = z.looseObject({ field: z.string() }).transform((raw) => {
  const text = (key: string): string | null => {
    const value: unknown = Object.hasOwn(raw, key) ? (raw as Record<string, unknown>)[key] : null;
    return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;
  };
  return { field: raw.field, fieldId: text('fieldId'), fromId: text('from'), fromName: text('fromString'), toId: text('to'), toName: text('toString') };
});
export type JiraChangeItem = z.output<typeof jiraChangeItemSchema>;

export const jiraChangelogSchema = z.looseObject({
  id: z.string(),
  created: changelogTimestamp,
  author: jiraUserSchema.nullish(),
  items: z.array(jiraChangeItemSchema),
});
export type JiraChangelog = z.output<typeof jiraChangelogSchema>;

export const jiraIssueFieldsSchema = z.looseObject({
  summary: z.string(),
  status: jiraStatusSchema,
  priority: jiraPrioritySchema.nullish(),
  created: jiraTimestamp,
  updated: jiraTimestamp,
  reporter: jiraUserSchema.nullish(),
  issuetype: z.looseObject({ name: z.string() }).nullish(),
  project: z.looseObject({ key: z.string(), id: z.string().optional() }),
  labels: z.array(z.string()).default([]),
  components: z.array(z.looseObject({ name: z.string() })).default([]),
  comment: jiraCommentFieldSchema.optional(),
});

export const jiraIssueSchema = z.looseObject({
  id: z.string(),
  key: z.string(),
  fields: jiraIssueFieldsSchema,
  /** With expand=changelog: the most recent histories first, cut short on long ones (total tells). */
  changelog: z.looseObject({ histories: z.array(jiraChangelogSchema), total: z.number().int().optional() }).optional(),
});
export type JiraIssue = z.output<typeof jiraIssueSchema>;

/** GET /rest/api/3/search/jql. Issues are checked one by one (see client.ts). */
export const jiraSearchPageSchema = z.looseObject({
  issues: z.array(z.unknown()).default([]),
  /** Absent (or null) on the last page. */
  nextPageToken: z.string().nullish(),
  isLast: z.boolean().optional(),
});

/** POST /rest/api/3/changelog/bulkfetch. */
export const jiraBulkChangelogPageSchema = z.looseObject({
  issueChangeLogs: z.array(z.looseObject({ issueId: z.string(), changeHistories: z.array(jiraChangelogSchema).default([]) })).default([]),
  nextPageToken: z.string().nullish(),
});

/** GET /rest/api/3/issue/{issueIdOrKey}/changelog (PageBeanChangelog). */
export const jiraChangelogPageSchema = z.looseObject({
  values: z.array(jiraChangelogSchema).default([]),
  startAt: z.number().int().default(0),
  total: z.number().int().optional(),
  isLast: z.boolean().optional(),
});

/** GET /rest/api/3/issue/{issueIdOrKey}/comment (PageOfComments). */
export const jiraCommentPageSchema = z.looseObject({
  comments: z.array(jiraCommentSchema).default([]),
  startAt: z.number().int().default(0),
  total: z.number().int().optional(),
});

/** GET /rest/api/3/status. */
export const jiraStatusListSchema = z.array(jiraStatusSchema);

/** GET /rest/api/3/myself: the zone JQL date literals are read in. */
export const jiraMyselfSchema = z.looseObject({ accountId: z.string(), timeZone: z.string().nullish() });

/** JSM's Organizations field value. */
export const jiraOrganizationsSchema = z.array(z.looseObject({ name: z.string() }));

/** The part of an issue or comment webhook payload we read. */
export const jiraWebhookPayloadSchema = z.looseObject({
  webhookEvent: z.string(),
  timestamp: z.number().optional(),
  issue: z.looseObject({
    id: z.union([z.string(), z.number().transform(String)]),
    key: z.string(),
    fields: z
      .looseObject({
        project: z.looseObject({ key: z.string() }).optional(),
        labels: z.array(z.string()).optional(),
      })
      .optional(),
  }),
  comment: z.looseObject({ id: z.string() }).optional(),
});
export type JiraWebhookPayload = z.output<typeof jiraWebhookPayloadSchema>;
