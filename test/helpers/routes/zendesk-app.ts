// Routes of src/web/routes/zendesk-app.ts, with who may use them (null: not behind requireRole, say why).
import type { ExpectedRoute } from '../expected-routes.ts';

const WHY = 'the Zendesk sidebar app: the connection\'s sidebar secret (Bearer, through Zendesk\'s proxy) or a link signed with it, as the agent role';

export const ZENDESK_APP_ROUTES: ExpectedRoute[] = [
  { method: 'GET', path: '/zendesk-app/api/connections/:connection/tickets/:ticketId/sla', roles: null, why: WHY },
  { method: 'GET', path: '/zendesk-app/api/connections/:connection/tickets/:ticketId/explain', roles: null, why: WHY },
  { method: 'GET', path: '/zendesk-app/connections/:connection/tickets/:ticketId/explain', roles: null, why: WHY },
];
