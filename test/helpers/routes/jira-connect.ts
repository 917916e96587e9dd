// Routes of src/web/routes/jira-connect.ts, with who may use them (null: not behind requireRole, say why).
import type { ExpectedRoute } from '../expected-routes.ts';

export const JIRA_CONNECT_ROUTES: ExpectedRoute[] = [];
