// The Connect app descriptor (atlassian-connect.json at the repository root, issue 4), served with
// the configured baseUrl and app key, and the app's settings read from the environment once.
// Descriptor shape: "Connect app descriptor" and the Jira module pages (Issue context, Admin page,
// Webhook) on developer.atlassian.com/cloud/jira/platform.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DEFAULT_INSTALL_KEYS_URL } from './install-keys.ts';

const DESCRIPTOR_FILE = fileURLToPath(new URL('../../../atlassian-connect.json', import.meta.url));

/** The parts of the descriptor the app itself relies on; the rest is served as written. */
const descriptorSchema = z.looseObject({
  key: z.string().regex(/^[a-zA-Z0-9._-]{1,64}$/),
  baseUrl: z.string(),
  vendor: z.looseObject({ name: z.string(), url: z.string() }),
  lifecycle: z.object({ installed: z.string(), uninstalled: z.string() }),
  modules: z.looseObject({
    jiraIssueContexts: z.array(z.looseObject({ key: z.string(), target: z.looseObject({ url: z.string() }) })).min(1),
    adminPages: z.array(z.looseObject({ key: z.string(), url: z.string() })).min(1),
    webhooks: z.array(z.object({ event: z.string(), url: z.string() })),
  }),
});
export type ConnectDescriptor = z.output<typeof descriptorSchema>;

let cached: ConnectDescriptor | undefined;

/** The descriptor as written in the repository (read and checked once). */
export function descriptorTemplate(): ConnectDescriptor {
  cached ??= descriptorSchema.parse(JSON.parse(readFileSync(DESCRIPTOR_FILE, 'utf8')));
  return cached;
}

/** The descriptor Jira installs: this app's baseUrl (and vendor link), and the configured key. */
export function descriptorFor(baseUrl: string, appKey: string): ConnectDescriptor {
  const template = descriptorTemplate();
  return { ...template, key: appKey, baseUrl, vendor: { ...template.vendor, url: baseUrl } };
}

/** The issue context module whose status lozenge the writeback sets (statusPropertyKey). */
export const panelModuleKey = (): string => descriptorTemplate().modules.jiraIssueContexts[0]!.key;

const settingsSchema = z.object({
  /** The app key, when one sla-sync serves another key than the descriptor's (a staging app). */
  SLA_SYNC_CONNECT_APP_KEY: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,64}$/, 'an app key of letters, digits, ".", "_" and "-" (at most 64)')
    .optional(),
  /** Where lifecycle signing keys are fetched by kid. */
  SLA_SYNC_CONNECT_INSTALL_KEYS_URL: z.url({ protocol: /^https?$/ }).optional(),
});

export interface ConnectSettings {
  appKey: string;
  installKeysUrl: string;
}

/** The Connect settings from the environment; a bad value throws naming the variable. */
export function connectSettings(env: NodeJS.ProcessEnv): ConnectSettings {
  const parsed = settingsSchema.safeParse({
    SLA_SYNC_CONNECT_APP_KEY: env['SLA_SYNC_CONNECT_APP_KEY'] || undefined,
    SLA_SYNC_CONNECT_INSTALL_KEYS_URL: env['SLA_SYNC_CONNECT_INSTALL_KEYS_URL'] || undefined,
  });
  if (!parsed.success) throw new Error(`invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return {
    appKey: parsed.data.SLA_SYNC_CONNECT_APP_KEY ?? descriptorTemplate().key,
    installKeysUrl: parsed.data.SLA_SYNC_CONNECT_INSTALL_KEYS_URL ?? DEFAULT_INSTALL_KEYS_URL,
  };
}
