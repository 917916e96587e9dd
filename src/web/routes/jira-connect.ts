// Atlassian Connect app: descriptor, lifecycle, JWT, issue panel, admin page module, issue 4.
import { Router } from 'express';
import type { AreaDeps } from '../deps.ts';

export function jiraConnectRoutes(_deps: AreaDeps): Router {
  const router = Router();
  return router;
}
