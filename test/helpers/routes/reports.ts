// Routes of src/web/routes/reports.ts, with who may use them (null: not behind requireRole, say why).
import type { ExpectedRoute } from '../expected-routes.ts';
import { ADMINS, MANAGERS } from '../expected-routes.ts';

export const REPORTS_ROUTES: ExpectedRoute[] = [
  { method: 'GET', path: '/reports', roles: MANAGERS },
  { method: 'GET', path: '/api/reports/trend', roles: MANAGERS },
  { method: 'GET', path: '/api/reports/trend.csv', roles: MANAGERS },
  { method: 'GET', path: '/api/reports/breaches', roles: MANAGERS },
  { method: 'GET', path: '/api/reports/breaches.csv', roles: MANAGERS },
  { method: 'GET', path: '/api/reports/at-risk', roles: MANAGERS },
  { method: 'GET', path: '/api/reports/at-risk.csv', roles: MANAGERS },
  { method: 'GET', path: '/reports/share-links', roles: ADMINS },
  { method: 'POST', path: '/reports/share-links', roles: ADMINS },
  { method: 'POST', path: '/reports/share-links/:id/revoke', roles: ADMINS },
  { method: 'GET', path: '/sla/:token', roles: null, why: 'the customer SLA page, authenticated by its unguessable share-link token (only its SHA-256 is stored; revoked links answer 410)' },
];
