// Routes of src/web/routes/zendesk-app.ts, with who may use them (null: not behind requireRole, say why).
import type { ExpectedRoute } from '../expected-routes.ts';

export const ZENDESK_APP_ROUTES: ExpectedRoute[] = [];
