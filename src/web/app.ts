// The web app (issue 3 part): webhooks and health. Later issues add Jira Connect, the Zendesk
// sidebar, admin pages, reports and the JSON API to this same app.
import express from 'express';
import type { Express } from 'express';
import { errorHandler, HttpError } from './errors.ts';
import type { WebhookDeps } from './routes/webhooks.ts';
import { webhookRoutes } from './routes/webhooks.ts';

export type AppDeps = WebhookDeps;

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, database: deps.handle.kind });
  });
  app.use(webhookRoutes(deps));
  app.use((req, _res, next) => next(new HttpError(404, 'not_found', `no route ${req.method} ${req.path}`)));
  app.use(errorHandler);
  return app;
}
