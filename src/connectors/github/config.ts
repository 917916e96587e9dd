// The GitHub connection's configuration (issue 3, "GitHub connector: config"). Secrets arrive already
// resolved from `env:` references by the config loader, so here they are plain strings.
import { z } from 'zod';
import { SEVERITIES } from '../../core/types.ts';

/** "owner/name", as GitHub spells repositories; owner and name are case-insensitive at GitHub. */
const repositoryName = z
  .string()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/, 'expected "owner/name"');

/**
 * The author_association values GitHub reports on comments.
 * https://docs.github.com/en/graphql/reference/enums#commentauthorassociation
 */
export const AUTHOR_ASSOCIATIONS = [
  'COLLABORATOR',
  'CONTRIBUTOR',
  'FIRST_TIMER',
  'FIRST_TIME_CONTRIBUTOR',
  'MANNEQUIN',
  'MEMBER',
  'NONE',
  'OWNER',
] as const;

export const githubConfigSchema = z
  .object({
    /** REST root: https://api.github.com, GitHub Enterprise Server https://HOST/api/v3, or a fake. */
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .default('https://api.github.com')
      .transform((url) => url.replace(/\/+$/, '')),
    /** A personal access token or a GitHub App installation token. */
    token: z.string().min(1),
    repositories: z.array(repositoryName).min(1),
    /** Label name -> severity. Labels are matched case-insensitively, as GitHub does. */
    severityLabels: z.record(z.string().min(1), z.enum(SEVERITIES)).default({}),
    /** Raw priority of an issue with no severity label; null leaves it to the policy's default. */
    defaultPriority: z.string().min(1).nullable().default(null),
    /** While one of these labels is on an open issue, the case is `pending` (the clock pauses). */
    pauseLabels: z.array(z.string().min(1)).default(['waiting-for-customer']),
    /** Comment authors with these associations count as agents... */
    agentAssociations: z.array(z.enum(AUTHOR_ASSOCIATIONS)).default(['OWNER', 'MEMBER', 'COLLABORATOR']),
    /** ...and so do these logins, whatever their association (support staff outside the org). */
    agentLogins: z.array(z.string().min(1)).optional(),
    /** Secret of the repository or organization webhook (X-Hub-Signature-256). */
    webhookSecret: z.string().min(1).optional(),
    /** Issues whose events and comments are fetched at once; the sync's fetch does the rate limiting. */
    concurrency: z.number().int().min(1).max(32).default(8),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    for (const label of Object.keys(cfg.severityLabels)) {
      const key = label.toLowerCase();
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['severityLabels', label], message: `label "${label}" is listed twice (labels are case-insensitive)` });
      seen.add(key);
    }
  });

/** The config as the connector uses it (defaults applied). */
export type GithubConfig = z.output<typeof githubConfigSchema>;
/** The config as written in a config file (defaults optional). */
export type GithubConfigInput = z.input<typeof githubConfigSchema>;
