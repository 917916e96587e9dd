// Zendesk sidebar app API and iframe, issue 5.
import { Router } from 'express';
import type { AreaDeps } from '../deps.ts';

export function zendeskAppRoutes(_deps: AreaDeps): Router {
  const router = Router();
  return router;
}
