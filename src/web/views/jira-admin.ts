// The Connect app's admin page module inside Jira (issue 4 "In Jira", issue 6 item 1): this site's
// installation status and a link out to sla-sync's own admin pages (a new tab: the admin
// configuration is not an iframe page). And, for sla-sync admins signed in to sla-sync itself,
// the list of installed Jira sites with the connection each is linked to.
import type { Connection } from '../../store/connections-repo.ts';
import type { JiraConnectTenant } from '../../store/jira-connect-tenants-repo.ts';
import type { SyncCursor } from '../../store/sync-cursors-repo.ts';
import { CSRF_FIELD } from '../auth/csrf.ts';
import { CONNECT_ALL_JS } from '../jira-connect/middleware.ts';
import type { PageOptions } from './html.ts';
import { html, page } from './html.ts';

export interface JiraAdminStatus {
  tenant: JiraConnectTenant;
  connection: Connection | null;
  sync: SyncCursor | null;
  /** sla-sync's public URL, for the links out. */
  baseUrl: string;
}

export function jiraAdminPage(s: JiraAdminStatus): string {
  const { tenant, connection, sync } = s;
  return page(
    'sla-sync',
    html`<h1>sla-sync</h1>
<table id="tenant-status">
<tr><th>This site</th><td>${tenant.baseUrl}</td></tr>
<tr><th>Installed</th><td>${tenant.installedAt}</td></tr>
<tr><th>Connection</th><td id="linked-connection">${
      connection
        ? html`<strong>${connection.name}</strong>${connection.enabled ? '' : ' (paused)'}`
        : html`<span class="warning">not linked yet</span>: an sla-sync admin links this site to its Jira connection on <a href="${s.baseUrl}/jira/tenants" target="_blank" rel="noopener">Jira sites</a>.`
    }</td></tr>
<tr><th>Last sync</th><td id="last-sync">${
      sync?.lastRunAt ? html`${sync.lastRunAt}${sync.lastError ? html`<br><span class="sync-error">${sync.lastError}</span>` : ' (no errors)'}` : html`<span class="muted">never</span>`
    }</td></tr>
</table>
<p>Policies, priority mappings and connections are configured in sla-sync itself:
<a id="open-admin" class="button" href="${s.baseUrl}/admin" target="_blank" rel="noopener">Open sla-sync admin</a> (opens a new tab; sign in there).</p>`,
    { bodyClass: 'embedded', scripts: [CONNECT_ALL_JS] },
  );
}

export function jiraAdminRefusal(title: string, message: string): string {
  return page(title, html`<h1>${title}</h1><p role="alert">${message}</p>`, { bodyClass: 'embedded', scripts: [CONNECT_ALL_JS] });
}

export interface JiraTenantsView {
  tenants: JiraConnectTenant[];
  /** The Jira connections a site can be linked to. */
  connections: Connection[];
  options: PageOptions;
  error?: string;
}

export function jiraTenantsPage(v: JiraTenantsView): string {
  const byId = new Map(v.connections.map((c) => [c.id, c]));
  return page(
    'Jira sites',
    html`<h1>Jira sites with the Connect app</h1>
${v.error ? html`<p role="alert" class="form-errors">${v.error}</p>` : ''}
${
  v.tenants.length === 0
    ? html`<p class="muted">No Jira site has installed the app yet. Install it from <code>${'/atlassian-connect.json'}</code> on this server.</p>`
    : html`<div class="table-wrap"><table id="tenants"><thead><tr><th>Site</th><th>Status</th><th>Connection</th></tr></thead><tbody>
${v.tenants.map(
  (t) => html`<tr data-client-key="${t.clientKey}"><td>${t.baseUrl}</td><td>${t.sharedSecret === null ? html`<span class="muted">uninstalled ${t.uninstalledAt ?? ''}</span>` : html`installed ${t.installedAt}`}</td><td>
<form method="post" action="/jira/tenants/${encodeURIComponent(t.clientKey)}/link" class="inline-form">
<input type="hidden" name="${CSRF_FIELD}" value="${v.options.csrfToken ?? ''}">
<select name="connection" aria-label="Connection of ${t.baseUrl}"><option value="">(not linked)</option>${v.connections.map((c) => html`<option value="${c.name}"${t.connectionId === c.id ? ' selected' : ''}>${c.name}</option>`)}</select>
<button type="submit">Link</button>
</form>${t.connectionId !== null && !byId.has(t.connectionId) ? html`<br><span class="warning">linked to a connection that is not a Jira connection</span>` : ''}</td></tr>`,
)}
</tbody></table></div>`
}
<p class="muted">A site is linked on install when exactly one Jira connection has its site URL. Its issue panel shows only that connection's cases.</p>`,
    v.options,
  );
}
