// The Jira Cloud connection's configuration (issue 4, "Two ways in"): REST mode (site URL + account
// email + API token) or Connect mode (`connect: true`: requests signed with a Connect JWT, the shared
// secret of the app installed on the site). Secrets (apiToken, sharedSecret, webhookSecret) arrive
// resolved from `env:` references.
import { z } from 'zod';
import { STATUSES } from '../../core/types.ts';

/** https://<site>.atlassian.net; plain http only on loopback (the test fake). */
const siteUrl = z
  .url({ protocol: /^https?$/ })
  .transform((url) => url.replace(/\/+$/, ''))
  .refine((url) => {
    const { protocol, hostname, pathname } = new URL(url);
    return (protocol === 'https:' || hostname === '127.0.0.1' || hostname === 'localhost') && (pathname === '/' || pathname === '');
  }, 'expected https://<site>.atlassian.net (http only on loopback), without a path');

const customFieldId = z.string().regex(/^customfield_\d+$/, 'expected a custom field id such as "customfield_10050"');

/**
 * Default status names that pause the clock; the status category decides the rest (see mapper.ts).
 * Names are matched case-insensitively. Giving `statusMap` replaces this default.
 */
export const DEFAULT_STATUS_MAP = { 'Waiting for customer': 'pending', Pending: 'pending' } as const;

/** The account types whose comments can be an agent's reply (User.accountType in the OpenAPI description). */
export const ACCOUNT_TYPES = ['atlassian', 'app', 'customer', 'unknown'] as const;

export const jiraConfigSchema = z
  .object({
    siteUrl,
    /** REST mode: the Atlassian account the API token belongs to (basic auth: email + token). */
    email: z.email().optional(),
    apiToken: z.string().min(1).optional(),
    /**
     * Connect mode: sla-sync's Atlassian Connect app is installed on the site and API calls are signed
     * with a Connect JWT (src/connectors/jira/connect-auth.ts) instead of email + API token.
     */
    connect: z.boolean().optional(),
    /**
     * Connect mode: the shared secret of the app's installation. sla-sync fills it in from the
     * install of the site linked to this connection (jira_connect_tenants); set it only to override.
     */
    sharedSecret: z.string().min(1).optional(),
    /** Which issues are cases, e.g. `project in (SUP, OPS)`. The sync adds its own ORDER BY. */
    jql: z
      .string()
      .trim()
      .min(1)
      .refine((jql) => !/\border\s+by\b/i.test(jql), 'leave out ORDER BY: the sync orders by updated itself'),
    /** Jira status name -> normalized status, before the category rule (done = solved, else open / new). */
    statusMap: z.record(z.string().min(1), z.enum(STATUSES)).default({ ...DEFAULT_STATUS_MAP }),
    /**
     * Whose comments answer the customer (first response). JSM internal comments never count
     * (jsdPublic false, the sd.public.comment property, or a comment restricted to a group or role).
     */
    agents: z
      .object({
        /** The reporter commenting on their own issue is not a reply. */
        excludeReporter: z.boolean().default(true),
        /** JSM portal customers ("customer") and apps ("app", e.g. Automation) are not agents by default. */
        accountTypes: z.array(z.enum(ACCOUNT_TYPES)).min(1).default(['atlassian']),
        /** When given, only these accounts count (after the rules above). */
        accountIds: z.array(z.string().min(1)).optional(),
        /** These accounts never count (bots posting as a licensed user). */
        ignoreAccountIds: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ excludeReporter: true, accountTypes: ['atlassian'], ignoreAccountIds: [] }),
    /** A datetime custom field ("SLA due") set to the next due time, so agents can sort and JQL by it. */
    slaDueFieldId: customFieldId.optional(),
    /** JSM's Organizations field on this site, read into the case attributes when given. */
    organizationsFieldId: customFieldId.optional(),
    /** Secret of the admin webhook (Jira sends X-Hub-Signature: sha256=<hmac of the body>). */
    webhookSecret: z.string().min(1).optional(),
    /** JQL dates have minute precision: each incremental search starts this much before the cursor. */
    overlapMinutes: z.number().int().min(1).max(60).default(2),
    /** The Connect app and its issue context module: the status lozenge's property key is built from them. */
    appKey: z.string().regex(/^[a-zA-Z0-9._-]{1,64}$/).default('sla-sync'),
    moduleKey: z.string().regex(/^[a-z0-9-]{1,100}$/).default('sla-panel'),
    /**
     * Whether watchers get an email when sla-sync edits labels or the SLA due field. Turning it off
     * needs the Administer Jira or Administer Projects permission for the API user (editIssue docs).
     */
    notifyUsers: z.boolean().default(true),
    /** Issues per search page (Jira caps pages with fields at 100). */
    pageSize: z.number().int().min(1).max(100).default(100),
    /** Issues whose long changelogs or comments are fetched at once; ctx.fetch does the rate limiting. */
    concurrency: z.number().int().min(1).max(16).default(4),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.connect === true) return;
    // REST mode needs its credentials; Connect mode gets its secret from the installation.
    for (const key of ['email', 'apiToken'] as const) {
      if (cfg[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'is required in REST mode (or set connect: true to use the installed Connect app)' });
    }
  });

/** The config as the connector uses it (defaults applied). */
export type JiraConfig = z.output<typeof jiraConfigSchema>;
/** The config as written in a config file (defaults optional). */
export type JiraConfigInput = z.input<typeof jiraConfigSchema>;
