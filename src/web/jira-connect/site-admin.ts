// Which sla-sync role a Jira user has inside Jira (issue 6 item 1: Connect requests "mapped to the
// same roles"). A session cookie cannot be relied on in a third-party iframe, so the role is decided
// per request from the JWT's user (`sub`): Jira site administrators (the Administer Jira global
// permission) are admins; every other user Jira shows the panel to is an agent (the panel and its
// "why" page are read-only views of one issue's case).
//
// The check asks the site, from the server, with the app's own Connect JWT:
// POST /rest/api/3/permissions/check { accountId, globalPermissions: ["ADMINISTER"] }. Its
// description: "Connect apps can make a call from the app server to the product to obtain permission
// details for any user, without admin permission." (GET /mypermissions would report the permissions
// of the app's own user, not of the person looking at the page.)
import { z } from 'zod';
import { createJiraClient, toConnectorError } from '../../connectors/jira/client.ts';
import { ConnectorError } from '../../connectors/types.ts';
import type { Role } from '../../store/schema/index.ts';

const grantsSchema = z.looseObject({ globalPermissions: z.array(z.string()) });

export type SiteRole = { ok: true; role: Extract<Role, 'admin' | 'agent'> } | { ok: false; error: ConnectorError };

export async function jiraUserRole(input: {
  siteUrl: string;
  appKey: string;
  sharedSecret: string;
  accountId: string;
  fetch?: typeof fetch;
}): Promise<SiteRole> {
  const client = createJiraClient(
    { siteUrl: input.siteUrl.replace(/\/+$/, ''), connect: true, sharedSecret: input.sharedSecret, appKey: input.appKey },
    { fetch: input.fetch ?? ((url, init) => fetch(url, { ...init, signal: AbortSignal.timeout(10_000) })), log: () => undefined },
  );
  try {
    const answer = await client.request('POST', '/rest/api/3/permissions/check', { body: { accountId: input.accountId, globalPermissions: ['ADMINISTER'] } });
    const grants = grantsSchema.parse(answer);
    return { ok: true, role: grants.globalPermissions.includes('ADMINISTER') ? 'admin' : 'agent' };
  } catch (error) {
    if (error instanceof z.ZodError) return { ok: false, error: new ConnectorError('bad_payload', 'jira: the permission check answered no grants') };
    return { ok: false, error: toConnectorError(error) };
  }
}
