import { integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';
import { connections } from './connections.ts';

/**
 * Jira sites that installed the Atlassian Connect app (issue 4), keyed by the clientKey of the
 * `installed` lifecycle call. The shared secret signs (HS256) every later call between the site and
 * sla-sync; it is cleared on `uninstalled`. A tenant sees only the cases of its own connection.
 */
export const jiraConnectTenants = pgTable('jira_connect_tenants', {
  clientKey: text('client_key').primaryKey(),
  /** The Jira connection this site's cases belong to; null until an admin links one. */
  connectionId: integer('connection_id').references(() => connections.id, { onDelete: 'set null' }),
  baseUrl: text('base_url').notNull(),
  /** null once uninstalled: nothing signed with the old secret is accepted any more. */
  sharedSecret: text('shared_secret'),
  /** The rest of the lifecycle payload (productType, description, versions...), for the admin. */
  details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
  installedAt: timestamptz('installed_at').notNull().defaultNow(),
  uninstalledAt: timestamptz('uninstalled_at'),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
});
