// Routes of src/web/routes/reports.ts, with who may use them (null: not behind requireRole, say why).
import type { ExpectedRoute } from '../expected-routes.ts';

export const REPORTS_ROUTES: ExpectedRoute[] = [];
