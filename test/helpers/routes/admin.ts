// Routes of src/web/routes/admin.ts, with who may use them (null: not behind requireRole, say why).
import type { ExpectedRoute } from '../expected-routes.ts';

export const ADMIN_ROUTES: ExpectedRoute[] = [];
