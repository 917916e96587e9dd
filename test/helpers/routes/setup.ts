// Routes of src/web/routes/setup.ts, with who may use them (null: not behind requireRole, say why).
import type { ExpectedRoute } from '../expected-routes.ts';

export const SETUP_ROUTES: ExpectedRoute[] = [];
