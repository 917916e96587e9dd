// First-admin onboarding on a fresh install, issue 6.
import { Router } from 'express';
import type { AreaDeps } from '../deps.ts';

export function setupRoutes(_deps: AreaDeps): Router {
  const router = Router();
  return router;
}
