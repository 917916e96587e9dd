// Routes of src/web/routes/jira-connect.ts, with who may use them (null: not behind requireRole, say why).
import type { ExpectedRoute } from '../expected-routes.ts';
import { ADMINS } from '../expected-routes.ts';

export const JIRA_CONNECT_ROUTES: ExpectedRoute[] = [
  { method: 'GET', path: '/atlassian-connect.json', roles: null, why: 'the public app descriptor Jira installs from' },
  { method: 'GET', path: '/jira/icon.svg', roles: null, why: 'the panel icon, a static image' },
  { method: 'POST', path: '/jira/lifecycle/installed', roles: null, why: 'Connect lifecycle: RS256 JWT verified against Atlassian’s install key (signed-install)' },
  { method: 'POST', path: '/jira/lifecycle/uninstalled', roles: null, why: 'Connect lifecycle: RS256 JWT verified against Atlassian’s install key (signed-install)' },
  { method: 'POST', path: '/jira/webhooks', roles: null, why: 'Connect JWT (HS256, the site’s shared secret, qsh)' },
  { method: 'GET', path: '/jira/panel', roles: null, why: 'Connect JWT (HS256, qsh of the iframe URL); the tenant sees only its connection’s cases' },
  { method: 'GET', path: '/jira/explain', roles: null, why: 'Connect JWT (HS256, qsh of the link the panel signed)' },
  { method: 'GET', path: '/jira/sla', roles: null, why: 'Connect JWT or context JWT' },
  { method: 'GET', path: '/jira/explain.json', roles: null, why: 'Connect JWT or context JWT' },
  { method: 'GET', path: '/jira/admin', roles: null, why: 'Connect JWT, and the Jira user must be a site admin (checked with Jira)' },
  { method: 'GET', path: '/jira/tenants', roles: ADMINS },
  { method: 'POST', path: '/jira/tenants/:clientKey/link', roles: ADMINS },
];
