// Routes of src/web/routes/setup.ts, with who may use them (null: not behind requireRole, say why).
import type { ExpectedRoute } from '../expected-routes.ts';

export const SETUP_ROUTES: ExpectedRoute[] = [
  { method: 'GET', path: '/setup', roles: null, why: 'the first-admin form of a fresh install, before any user exists; redirects to /signin once one does' },
  { method: 'POST', path: '/setup', roles: null, why: 'creates the first admin only while no user exists (double-submit CSRF token); creates nothing once one does' },
];
