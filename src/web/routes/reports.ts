// Manager reports (/reports) and the customer SLA page, issues 6 and 7.
import { Router } from 'express';
import type { AreaDeps } from '../deps.ts';

export function reportsRoutes(_deps: AreaDeps): Router {
  const router = Router();
  return router;
}
