// Jira sites that installed the Connect app (issue 4): the install lifecycle stores each site's
// clientKey and shared secret; an uninstall clears the secret. A tenant is linked to one Jira
// connection, whose cases are the only ones it can see.
import { and, desc, eq, isNotNull, sql } from 'drizzle-orm';
import type { Db } from './db.ts';
import { toIsoInstant, toIsoInstantOrNull } from './instants.ts';
import { listConnections } from './connections-repo.ts';
import type { Connection } from './connections-repo.ts';
import { jiraConnectTenants } from './schema/index.ts';

export interface JiraConnectTenant {
  clientKey: string;
  connectionId: number | null;
  baseUrl: string;
  /** null once uninstalled. */
  sharedSecret: string | null;
  details: Record<string, unknown>;
  installedAt: string;
  uninstalledAt: string | null;
  updatedAt: string;
}

type Row = typeof jiraConnectTenants.$inferSelect;

const toTenant = (row: Row): JiraConnectTenant => ({
  clientKey: row.clientKey,
  connectionId: row.connectionId,
  baseUrl: row.baseUrl,
  sharedSecret: row.sharedSecret,
  details: row.details,
  installedAt: toIsoInstant(row.installedAt),
  uninstalledAt: toIsoInstantOrNull(row.uninstalledAt),
  updatedAt: toIsoInstant(row.updatedAt),
});

export async function getJiraConnectTenant(db: Db, clientKey: string): Promise<JiraConnectTenant | null> {
  const [row] = await db.select().from(jiraConnectTenants).where(eq(jiraConnectTenants.clientKey, clientKey));
  return row ? toTenant(row) : null;
}

export async function listJiraConnectTenants(db: Db): Promise<JiraConnectTenant[]> {
  const rows = await db.select().from(jiraConnectTenants).orderBy(jiraConnectTenants.baseUrl, jiraConnectTenants.clientKey);
  return rows.map(toTenant);
}

/**
 * Stores an installation (first install or re-install): the new shared secret and payload replace
 * the old; a link to a connection is kept, or made to `connectionId` when there was none.
 */
export async function saveJiraConnectInstall(
  db: Db,
  input: { clientKey: string; baseUrl: string; sharedSecret: string; details: Record<string, unknown>; connectionId: number | null },
  now: Date,
): Promise<JiraConnectTenant> {
  const [row] = await db
    .insert(jiraConnectTenants)
    .values({ ...input, installedAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: jiraConnectTenants.clientKey,
      set: {
        baseUrl: input.baseUrl,
        sharedSecret: input.sharedSecret,
        details: input.details,
        connectionId: sql`coalesce(${jiraConnectTenants.connectionId}, ${input.connectionId})`,
        installedAt: now,
        uninstalledAt: null,
        updatedAt: now,
      },
    })
    .returning();
  return toTenant(row!);
}

/** Uninstalled: the secret is gone, so nothing signed with it is accepted any more. */
export async function markJiraConnectUninstalled(db: Db, clientKey: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(jiraConnectTenants)
    .set({ sharedSecret: null, uninstalledAt: now, updatedAt: now })
    .where(eq(jiraConnectTenants.clientKey, clientKey))
    .returning({ clientKey: jiraConnectTenants.clientKey });
  return rows.length > 0;
}

/** Links the tenant to a connection (or unlinks it, null); false when there is no such tenant. */
export async function linkJiraConnectTenant(db: Db, clientKey: string, connectionId: number | null, now: Date): Promise<boolean> {
  const rows = await db
    .update(jiraConnectTenants)
    .set({ connectionId, updatedAt: now })
    .where(eq(jiraConnectTenants.clientKey, clientKey))
    .returning({ clientKey: jiraConnectTenants.clientKey });
  return rows.length > 0;
}

/**
 * The shared secret a Connect-mode connection signs its API calls with: that of the installed site
 * linked to it (the most recent install, should two be linked).
 */
export async function connectSharedSecretFor(db: Db, connectionId: number): Promise<string | null> {
  const [row] = await db
    .select({ sharedSecret: jiraConnectTenants.sharedSecret })
    .from(jiraConnectTenants)
    .where(and(eq(jiraConnectTenants.connectionId, connectionId), isNotNull(jiraConnectTenants.sharedSecret)))
    .orderBy(desc(jiraConnectTenants.installedAt))
    .limit(1);
  return row?.sharedSecret ?? null;
}

const siteOf = (url: string): string | null => {
  try {
    const { origin } = new URL(url);
    return origin.toLowerCase();
  } catch {
    return null;
  }
};

/** The Jira connections whose siteUrl is this site (scheme, host and port compared). */
export async function jiraConnectionsForSite(db: Db, baseUrl: string): Promise<Connection[]> {
  const site = siteOf(baseUrl);
  if (site === null) return [];
  return (await listConnections(db)).filter((c) => c.source === 'jira' && typeof c.config['siteUrl'] === 'string' && siteOf(c.config['siteUrl']) === site);
}
