// The web app: health, webhooks (authenticated by their signatures), sign-in, and the JSON API
// behind sessions or API tokens (issue 6). Later issues add Jira Connect, the Zendesk sidebar,
// admin pages and reports to this same app.
import express from 'express';
import type { Express } from 'express';
import helmet from 'helmet';
import { authenticate } from './auth/authenticate.ts';
import { csrfProtection } from './auth/csrf.ts';
import type { SignInPolicy } from './auth/sign-in.ts';
import { DEFAULT_SIGN_IN_POLICY } from './auth/sign-in.ts';
import { errorHandler, HttpError } from './errors.ts';
import type { AreaDeps } from './deps.ts';
import { adminRoutes } from './routes/admin.ts';
import { adminAgreementRoutes } from './routes/admin-agreements.ts';
import { apiRoutes } from './routes/api.ts';
import { assetRoutes } from './routes/assets.ts';
import { authRoutes } from './routes/auth.ts';
import { caseRoutes } from './routes/cases.ts';
import { jiraConnectRoutes } from './routes/jira-connect.ts';
import { reportsRoutes } from './routes/reports.ts';
import { setupRoutes } from './routes/setup.ts';
import { zendeskAppRoutes } from './routes/zendesk-app.ts';
import type { WebhookDeps } from './routes/webhooks.ts';
import { webhookRoutes } from './routes/webhooks.ts';

export interface AppDeps extends WebhookDeps {
  /** The clock (sessions, rate limits, explain); Date.now by default. */
  now?: () => number;
  /** Sign-in rate limits and session lifetime; DEFAULT_SIGN_IN_POLICY for what is not given. */
  signIn?: Partial<SignInPolicy>;
  /**
   * express's "trust proxy": set it when a TLS-terminating proxy sits in front, so that req.ip is
   * the client's (per-address rate limits) and cookies get Secure from X-Forwarded-Proto.
   */
  trustProxy?: boolean | number | string;
  /** The job queue, for pages that queue work (admin saves, syncs) or show dead letters. */
  queue?: AreaDeps['queue'];
  /** The app's public URL (descriptor, manifest and share links); http://127.0.0.1:3000 by default. */
  baseUrl?: string;
}

export function createApp(deps: AppDeps): Express {
  const now = deps.now ?? Date.now;
  const db = deps.handle.db;
  const area: AreaDeps = {
    handle: deps.handle,
    db,
    now,
    baseUrl: (deps.baseUrl ?? 'http://127.0.0.1:3000').replace(/\/+$/, ''),
    ...(deps.queue ? { queue: deps.queue } : {}),
    ...(deps.env ? { env: deps.env } : {}),
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  // Helmet's defaults (CSP default-src 'self', frame-ancestors 'self', nosniff, HSTS, ...), less
  // upgrade-insecure-requests: on a plain-http install (the embedded default, 127.0.0.1) it would
  // send the sign-in form to an https:// URL nothing answers.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, database: deps.handle.kind });
  });
  // Before any body parser: the signature is checked on the raw bytes.
  app.use(assetRoutes());
  app.use(webhookRoutes(deps));
  // Inside Jira and Zendesk the vendors' signed requests authenticate (their own middleware).
  app.use(jiraConnectRoutes(area, deps));
  app.use(zendeskAppRoutes(area));
  app.use(authenticate({ db, now }));
  app.use(express.urlencoded({ extended: false, limit: '64kb' }));
  app.use(express.json({ limit: '1mb' }));
  app.use(csrfProtection({ exempt: ['/signin'] }));
  app.use(authRoutes({ db, now, signIn: { ...DEFAULT_SIGN_IN_POLICY, ...deps.signIn } }));
  app.use(setupRoutes(area));
  app.use(apiRoutes({ db, now }));
  app.use(caseRoutes(area));
  app.use(adminRoutes(area));
  app.use(adminAgreementRoutes(area));
  app.use(reportsRoutes(area));
  app.use((req, _res, next) => next(new HttpError(404, 'not_found', `no route ${req.method} ${req.path}`)));
  app.use(errorHandler);
  return app;
}
