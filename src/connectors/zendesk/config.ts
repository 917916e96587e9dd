// The Zendesk connection's configuration (issue 5, "Connection"). Secrets (`apiToken`, `oauthToken`,
// `webhookSecret`, `sidebarSecret`) arrive already resolved from `env:` references by the config loader.
import { z } from 'zod';
import { SEVERITIES, STATUSES } from '../../core/types.ts';
import type { Severity, Status } from '../../core/types.ts';

/** Ticket statuses as Zendesk reports them; `deleted` appears only in the incremental export. */
export const ZENDESK_STATUSES = ['new', 'open', 'pending', 'hold', 'solved', 'closed', 'deleted'] as const;
export type ZendeskStatus = (typeof ZENDESK_STATUSES)[number];

/** Zendesk's priorities; a ticket with none has `priority: null` ("-" in the agent UI). */
export const ZENDESK_PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;

/** new stays `new` (the engine treats it as open but reports it); hold is the engine's on_hold. */
export const DEFAULT_STATUS_MAP: Record<ZendeskStatus, Status> = {
  new: 'new',
  open: 'open',
  pending: 'pending',
  hold: 'on_hold',
  solved: 'solved',
  closed: 'closed',
  deleted: 'closed',
};

/** The obvious mapping, seeded as the connection's priority mapping; the admin's own mapping wins. */
export const DEFAULT_PRIORITY_SEVERITIES: Record<(typeof ZENDESK_PRIORITIES)[number], Severity> = {
  urgent: 'S1',
  high: 'S2',
  normal: 'S3',
  low: 'S4',
};

export const zendeskConfigSchema = z
  .object({
    /** "acme" for https://acme.zendesk.com. */
    subdomain: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i, 'expected the subdomain alone, e.g. "acme" for acme.zendesk.com')
      .optional(),
    /** Instead of a subdomain: the full root URL (a proxy, a host-mapped domain, or a loopback fake). */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** With apiToken: Basic auth as "{email}/token:{apiToken}". */
    email: z.email().optional(),
    apiToken: z.string().min(1).optional(),
    /** Instead of email + apiToken: an OAuth access token (Bearer). */
    oauthToken: z.string().min(1).optional(),
    /** The webhook's signing secret (X-Zendesk-Webhook-Signature). */
    webhookSecret: z.string().min(1).optional(),
    /**
     * The sidebar app's per-install secret (issue 5 item 6): Zendesk's proxy sends it as
     * `Authorization: Bearer <secret>` from the app's secure setting, and it signs the app's
     * short-lived explanation links. Without it (or shorter than 16 characters, see
     * src/web/zendesk-app/auth.ts) the sidebar API refuses this connection.
     */
    sidebarSecret: z.string().min(1).optional(),
    /** Zendesk status -> engine status; merged over DEFAULT_STATUS_MAP. */
    statusMap: z.partialRecord(z.enum(ZENDESK_STATUSES), z.enum(STATUSES)).default({}),
    /** Zendesk priority -> severity implied for a new connection (see DEFAULT_PRIORITY_SEVERITIES). */
    prioritySeverities: z.partialRecord(z.enum(ZENDESK_PRIORITIES), z.enum(SEVERITIES)).optional(),
    /**
     * Who counts as an agent for the first reply. When given, exactly these user ids (no user lookup);
     * otherwise every user whose role is in agentRoles, listed from the users API once per sync.
     */
    agentIds: z.array(z.number().int().positive()).optional(),
    agentRoles: z.array(z.enum(['agent', 'admin'])).min(1).default(['agent', 'admin']),
    /** Id of a ticket text field "SLA due" to keep set to the next deadline; none by default. */
    slaDueFieldId: z.number().int().positive().optional(),
    /** Zendesk's published limit on the incremental export endpoints: 10 requests a minute. */
    incrementalPerMinute: z.number().int().min(1).max(1000).default(10),
    /** The window that limit counts over. Zendesk's is a minute; shorter only against a fake. */
    incrementalWindowSeconds: z.number().positive().max(3600).default(60),
    /** The first sync starts here (ISO instant); default: the whole history of the account. */
    syncFrom: z.iso.datetime({ offset: true }).optional(),
    /** Page sizes of the two exports (Zendesk's maximum, 1000, spends the fewest requests). */
    ticketsPerPage: z.number().int().min(1).max(1000).default(1000),
    eventsPerPage: z.number().int().min(1).max(1000).default(1000),
    /**
     * How a changed ticket's history from before the sync's window is fetched: re-reading the ticket
     * event export from the ticket's creation, its audits (one request per ticket), or whichever
     * the estimate says costs fewer requests (see changes.ts, planBackfill).
     */
    backfill: z.enum(['auto', 'events', 'audits']).default('auto'),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if ((cfg.subdomain === undefined) === (cfg.baseUrl === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['subdomain'], message: 'give either subdomain or baseUrl' });
    }
    const basic = cfg.email !== undefined || cfg.apiToken !== undefined;
    if (basic && cfg.oauthToken !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['oauthToken'], message: 'give either email + apiToken or oauthToken, not both' });
    } else if (!basic && cfg.oauthToken === undefined) {
      ctx.addIssue({ code: 'custom', path: ['apiToken'], message: 'give email + apiToken, or oauthToken' });
    } else if (basic && (cfg.email === undefined || cfg.apiToken === undefined)) {
      ctx.addIssue({ code: 'custom', path: [cfg.email === undefined ? 'email' : 'apiToken'], message: 'an API token needs the email of its user, and the email its apiToken' });
    }
  })
  .transform((cfg) => ({
    ...cfg,
    baseUrl: (cfg.baseUrl ?? `https://${cfg.subdomain}.zendesk.com`).replace(/\/+$/, ''),
    statusMap: { ...DEFAULT_STATUS_MAP, ...cfg.statusMap } as Record<ZendeskStatus, Status>,
  }));

/** The config as the connector uses it (defaults applied, baseUrl resolved). */
export type ZendeskConfig = z.output<typeof zendeskConfigSchema>;
/** The config as written in a config file. */
export type ZendeskConfigInput = z.input<typeof zendeskConfigSchema>;
