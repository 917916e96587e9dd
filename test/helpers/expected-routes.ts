// Every route of the app and who may use it, one table per area (test/helpers/routes/*.ts), in the
// order the app mounts them. The route-walk test (test/integration/auth.test.ts) holds the app to it.
import type { Role } from '../../src/store/schema/index.ts';
import { ROLES } from '../../src/store/schema/index.ts';

export interface ExpectedRoute {
  method: string;
  path: string;
  /** null: not behind requireRole; `why` says what authenticates it instead, or why it is public. */
  roles: readonly Role[] | null;
  why?: string;
}

export const ALL: readonly Role[] = ROLES;
export const MANAGERS: readonly Role[] = ['admin', 'manager'];
export const ADMINS: readonly Role[] = ['admin'];

const { CORE_ROUTES } = await import('./routes/core.ts');
const { JIRA_CONNECT_ROUTES } = await import('./routes/jira-connect.ts');
const { ZENDESK_APP_ROUTES } = await import('./routes/zendesk-app.ts');
const { SETUP_ROUTES } = await import('./routes/setup.ts');
const { ADMIN_ROUTES } = await import('./routes/admin.ts');
const { REPORTS_ROUTES } = await import('./routes/reports.ts');

/** In mount order: assets, webhooks, Connect, Zendesk app, sign-in, setup, API, admin, reports. */
export const EXPECTED_ROUTES: ExpectedRoute[] = [...CORE_ROUTES, ...JIRA_CONNECT_ROUTES, ...ZENDESK_APP_ROUTES, ...SETUP_ROUTES, ...ADMIN_ROUTES, ...REPORTS_ROUTES];
