// Routes of src/web/routes/admin.ts, with who may use them (null: not behind requireRole, say why).
import type { ExpectedRoute } from '../expected-routes.ts';
import { ADMINS } from '../expected-routes.ts';

export const ADMIN_ROUTES: ExpectedRoute[] = [
  { method: 'GET', path: '/admin', roles: ADMINS },
  { method: 'GET', path: '/admin/connections', roles: ADMINS },
  { method: 'GET', path: '/admin/connections/new', roles: ADMINS },
  { method: 'POST', path: '/admin/connections', roles: ADMINS },
  { method: 'GET', path: '/admin/connections/:id', roles: ADMINS },
  { method: 'POST', path: '/admin/connections/:id', roles: ADMINS },
  { method: 'POST', path: '/admin/connections/:id/test', roles: ADMINS },
  { method: 'POST', path: '/admin/connections/:id/enabled', roles: ADMINS },
  { method: 'GET', path: '/admin/connections/:id/delete', roles: ADMINS },
  { method: 'POST', path: '/admin/connections/:id/delete', roles: ADMINS },
  { method: 'POST', path: '/admin/connections/:id/sync', roles: ADMINS },
  { method: 'GET', path: '/admin/connections/:id/mapping', roles: ADMINS },
  { method: 'POST', path: '/admin/connections/:id/mapping', roles: ADMINS },
  { method: 'GET', path: '/admin/policies', roles: ADMINS },
  { method: 'GET', path: '/admin/policies/new', roles: ADMINS },
  { method: 'POST', path: '/admin/policies', roles: ADMINS },
  { method: 'GET', path: '/admin/policies/:id', roles: ADMINS },
  { method: 'POST', path: '/admin/policies/:id', roles: ADMINS },
  { method: 'GET', path: '/admin/policies/:id/delete', roles: ADMINS },
  { method: 'POST', path: '/admin/policies/:id/delete', roles: ADMINS },
  { method: 'GET', path: '/admin/audit', roles: ADMINS },
  { method: 'GET', path: '/admin/jobs', roles: ADMINS },
];
