// Admin configuration page (/admin), issue 6.
import { Router } from 'express';
import type { AreaDeps } from '../deps.ts';

export function adminRoutes(_deps: AreaDeps): Router {
  const router = Router();
  return router;
}
