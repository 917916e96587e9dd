// The routes of the first slice (health, webhooks, sign-in, JSON API). Each area of the app keeps
// its own table in this folder; expected-routes.ts joins them for the route-walk test.
import type { ExpectedRoute } from '../expected-routes.ts';
import { ALL, MANAGERS } from '../expected-routes.ts';

export const CORE_ROUTES: ExpectedRoute[] = [
  { method: 'GET', path: '/healthz', roles: null, why: 'liveness probe, reads no data' },
  { method: 'GET', path: '/assets/vendor/chart.umd.min.js', roles: null, why: 'a static library file, no data' },
  { method: 'POST', path: '/webhooks/:source/:connection', roles: null, why: 'authenticated by the vendor signature' },
  { method: 'GET', path: '/signin', roles: null, why: 'the sign-in form' },
  { method: 'POST', path: '/signin', roles: null, why: 'signing in' },
  { method: 'POST', path: '/signout', roles: ALL },
  { method: 'GET', path: '/', roles: ALL },
  { method: 'GET', path: '/api/me', roles: ALL },
  { method: 'GET', path: '/api/reports/compliance', roles: MANAGERS },
  { method: 'GET', path: '/api/reports/compliance.csv', roles: MANAGERS },
  { method: 'GET', path: '/api/cases/:id/explain', roles: ALL },
  { method: 'GET', path: '/api/cases/:id/sla', roles: ALL },
  { method: 'GET', path: '/cases/:id', roles: ALL },
];
