// Atlassian Connect app (issue 4; issue 6 item 1): the descriptor, the install lifecycle, Connect
// webhooks, the issue context panel with its "why" page, and the admin page module; all of them
// authenticated by Jira's JWTs (src/web/jira-connect), none by sla-sync's sessions. Plus the page
// where an sla-sync admin links an installed site to its Jira connection (a session route).
import express, { Router } from 'express';
import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { parseJiraWebhookEvent } from '../../connectors/jira/webhook.ts';
import { validateWith } from '../../core/validate.ts';
import { findCase } from '../../store/cases-repo.ts';
import type { StoredCase } from '../../store/cases-repo.ts';
import { getConnection, getConnectionByName, listConnections } from '../../store/connections-repo.ts';
import { linkJiraConnectTenant, listJiraConnectTenants } from '../../store/jira-connect-tenants-repo.ts';
import { getSyncCursor } from '../../store/sync-cursors-repo.ts';
import { recentAgreementContext } from '../../sync/agreement-cache.ts';
import { caseSlaView } from '../../sync/case-sla.ts';
import { explainCaseRecord } from '../../sync/explain.ts';
import { authenticate } from '../auth/authenticate.ts';
import { requireAuth } from '../auth/context.ts';
import { csrfProtection } from '../auth/csrf.ts';
import { requireRole } from '../auth/require-role.ts';
import type { AreaDeps } from '../deps.ts';
import { HTTP_STATUS_OF, HttpError } from '../errors.ts';
import { connectSettings, descriptorFor } from '../jira-connect/descriptor.ts';
import { installKeyFetcher } from '../jira-connect/install-keys.ts';
import { signLinkJwt } from '../jira-connect/jwt.ts';
import { handleInstalled, handleUninstalled } from '../jira-connect/lifecycle.ts';
import type { ConnectAuth } from '../jira-connect/middleware.ts';
import { allowJiraFraming, connectAuthOf, requireConnectJwt } from '../jira-connect/middleware.ts';
import { jiraUserRole } from '../jira-connect/site-admin.ts';
import { casePage } from '../views/case.ts';
import { jiraAdminPage, jiraAdminRefusal, jiraTenantsPage } from '../views/jira-admin.ts';
import { jiraPanelMessage, jiraPanelPage } from '../views/jira-panel.ts';
import type { WebhookDeps } from './webhooks.ts';
import { deliveryIntake } from './webhooks.ts';

/** The issue the panel and its pages are about: Jira's numeric id, and/or its key. */
const issueQuery = z
  .looseObject({
    issueId: z.string().regex(/^\d{1,18}$/, 'is not a Jira issue id').optional(),
    issueKey: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*-\d{1,12}$/, 'is not a Jira issue key').optional(),
  })
  .refine((q) => q.issueId !== undefined || q.issueKey !== undefined, 'give issueId or issueKey');

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24"><circle cx="12" cy="13" r="9" fill="none" stroke="#0052cc" stroke-width="2"/><path d="M12 8v5l3 2" fill="none" stroke="#0052cc" stroke-width="2" stroke-linecap="round"/><path d="M9 2h6" stroke="#0052cc" stroke-width="2" stroke-linecap="round"/></svg>`;

export function jiraConnectRoutes(deps: AreaDeps, webhooks: Pick<WebhookDeps, 'enqueueRefreshes'>): Router {
  const router = Router();
  const settings = connectSettings(deps.env ?? process.env);
  const lifecycle = { db: deps.db, now: deps.now, baseUrl: deps.baseUrl, appKey: settings.appKey, installKey: installKeyFetcher(settings.installKeysUrl) };
  const json = express.json({ limit: '5mb' });
  const signedByJira = requireConnectJwt(deps, { allowContext: false });
  // The JSON the panel's pages fetch from their iframe may come with a context JWT (AP.context.getToken()).
  const signedOrContext = requireConnectJwt(deps, { allowContext: true });
  // The panel loads on every issue view: the agreement context is reused a few seconds.
  const agreements = recentAgreementContext(deps.now);
  // As the REST-mode webhook route: a delivery is recorded and its refresh queued in one transaction.
  const intake = deliveryIntake(deps.handle, webhooks.enqueueRefreshes);

  /** The case of this issue in the tenant's own connection; null when it has none (or is another tenant's). */
  async function caseOfIssue(req: Request, auth: ConnectAuth): Promise<StoredCase | null> {
    const query = validateWith(issueQuery, req.query);
    if (!query.ok) throw new HttpError(400, 'bad_request', query.errors.join('; '), { errors: query.errors });
    const { connectionId } = auth.tenant;
    if (connectionId === null) return null;
    const { issueId, issueKey } = query.value;
    return (issueId ? await findCase(deps.db, connectionId, issueId) : null) ?? (issueKey ? await findCase(deps.db, connectionId, issueKey.toUpperCase()) : null);
  }

  /** A link to one of this tenant's issue pages, signed for exactly that URL (see signLinkJwt). */
  function signedLink(auth: ConnectAuth, path: string, issueId: string): string {
    const jwt = signLinkJwt({
      clientKey: auth.tenant.clientKey,
      sharedSecret: auth.tenant.sharedSecret,
      sub: auth.claims.sub,
      request: { method: 'GET', pathname: path, query: { issueId } },
      baseUrl: deps.baseUrl,
      nowMs: deps.now(),
    });
    return `${path}?issueId=${encodeURIComponent(issueId)}&jwt=${encodeURIComponent(jwt)}`;
  }

  const notTracked = (res: Response) =>
    res.status(404).type('html').send(jiraPanelMessage('Not tracked', 'This issue is not tracked by sla-sync: no SLA applies to it.'));

  router.get('/atlassian-connect.json', (_req, res) => {
    res.set('Cache-Control', 'no-cache').json(descriptorFor(deps.baseUrl, settings.appKey));
  });

  router.get('/jira/icon.svg', (_req, res) => {
    res.type('image/svg+xml').set('Cache-Control', 'public, max-age=86400').send(ICON_SVG);
  });

  router.post('/jira/lifecycle/installed', json, async (req, res) => {
    await handleInstalled(req, lifecycle);
    res.status(204).end();
  });

  router.post('/jira/lifecycle/uninstalled', json, async (req, res) => {
    await handleUninstalled(req, lifecycle);
    res.status(204).end();
  });

  // Connect webhooks (declared in the descriptor): the site's JWT, then the same refresh job the
  // REST-mode webhook route queues; answered at once.
  router.post('/jira/webhooks', signedByJira, json, async (req, res) => {
    const { tenant } = connectAuthOf(res);
    if (tenant.connectionId === null) {
      res.status(202).json({ accepted: false, reason: 'this Jira site is not linked to an sla-sync connection' });
      return;
    }
    const connection = await getConnection(deps.db, tenant.connectionId);
    if (!connection) throw new HttpError(404, 'not_found', 'the connection this site was linked to is gone');
    const event = parseJiraWebhookEvent(req.body, req.get('x-atlassian-webhook-identifier') ?? null);
    if (!event.ok) {
      res.status(HTTP_STATUS_OF[event.error.code]).json({ error: event.error.code, message: event.error.message });
      return;
    }
    const { deliveryId, name, refs } = event.value;
    const refresh = refs.length > 0 && connection.enabled ? { connectionId: connection.id, refs } : null;
    if (!(await intake({ connectionId: connection.id, deliveryId, refresh }))) {
      res.status(202).json({ accepted: false, duplicate: true, deliveryId });
      return;
    }
    res.status(202).json({ accepted: true, event: name, refs: refs.length, paused: !connection.enabled });
  });

  router.get('/jira/panel', signedByJira, async (req, res) => {
    const auth = connectAuthOf(res);
    allowJiraFraming(res, auth.tenant.baseUrl);
    res.set('Cache-Control', 'no-store');
    if (auth.tenant.connectionId === null) {
      res.type('html').send(jiraPanelMessage('Not linked', 'This Jira site is not linked to an sla-sync connection yet: ask an sla-sync admin to link it.'));
      return;
    }
    const stored = await caseOfIssue(req, auth);
    if (!stored) {
      notTracked(res);
      return;
    }
    const view = await caseSlaView(deps.db, stored, deps.now(), { explainUrl: signedLink(auth, '/jira/explain', stored.externalId), agreements });
    res.type('html').send(jiraPanelPage(view));
  });

  // The panel's "why" link: the case page's explanation, its countdown and JSON on signed links.
  router.get('/jira/explain', signedByJira, async (req, res) => {
    const auth = connectAuthOf(res);
    allowJiraFraming(res, auth.tenant.baseUrl);
    res.set('Cache-Control', 'no-store');
    const stored = await caseOfIssue(req, auth);
    if (!stored) {
      notTracked(res);
      return;
    }
    const explanation = await explainCaseRecord(deps.db, stored, deps.now(), { agreements });
    res.type('html').send(
      casePage(explanation, {
        bodyClass: 'embedded',
        links: { sla: signedLink(auth, '/jira/sla', stored.externalId), explainJson: signedLink(auth, '/jira/explain.json', stored.externalId) },
      }),
    );
  });

  /** The JSON the panel's pages fetch: one view of the tenant's case of this issue. */
  const caseJson = (build: (stored: StoredCase, auth: ConnectAuth) => Promise<unknown>): RequestHandler => async (req, res) => {
    const auth = connectAuthOf(res);
    const stored = await caseOfIssue(req, auth);
    if (!stored) throw new HttpError(404, 'not_found', 'this issue is not tracked by sla-sync');
    res.set('Cache-Control', 'no-store').json(await build(stored, auth));
  };
  router.get('/jira/sla', signedOrContext, caseJson((stored, auth) => caseSlaView(deps.db, stored, deps.now(), { explainUrl: signedLink(auth, '/jira/explain', stored.externalId), agreements })));
  router.get('/jira/explain.json', signedOrContext, caseJson((stored) => explainCaseRecord(deps.db, stored, deps.now(), { agreements })));

  // The admin page module: Jira shows it to site admins only (user_is_admin); the JWT's user is
  // checked again with the site (site-admin.ts) before anything is shown.
  router.get('/jira/admin', signedByJira, async (_req, res) => {
    const auth = connectAuthOf(res);
    allowJiraFraming(res, auth.tenant.baseUrl);
    res.set('Cache-Control', 'no-store');
    if (!auth.claims.sub) {
      res.status(403).type('html').send(jiraAdminRefusal('Not signed in to Jira', 'This page needs a Jira user.'));
      return;
    }
    const role = await jiraUserRole({ siteUrl: auth.tenant.baseUrl, appKey: settings.appKey, sharedSecret: auth.tenant.sharedSecret, accountId: auth.claims.sub });
    if (!role.ok) {
      res.status(502).type('html').send(jiraAdminRefusal('Jira did not answer', `Could not check your Jira permissions: ${role.error.message}`));
      return;
    }
    if (role.role !== 'admin') {
      res.status(403).type('html').send(jiraAdminRefusal('Jira administrators only', 'Only Jira site administrators can see the sla-sync admin page.'));
      return;
    }
    const connection = auth.tenant.connectionId === null ? null : await getConnection(deps.db, auth.tenant.connectionId);
    const sync = connection ? await getSyncCursor(deps.db, connection.id) : null;
    res.type('html').send(jiraAdminPage({ tenant: auth.tenant, connection, sync, baseUrl: deps.baseUrl }));
  });

  // sla-sync admins (signed in to sla-sync, not via Jira) link installed sites to connections.
  const signedIn = authenticate({ db: deps.db, now: deps.now });
  const admins = requireRole('admin');
  const form = [signedIn, express.urlencoded({ extended: false, limit: '16kb' }), csrfProtection({ exempt: [] })];
  async function tenantsPage(res: Response, error?: string): Promise<void> {
    const auth = requireAuth(res);
    const connections = (await listConnections(deps.db)).filter((c) => c.source === 'jira');
    res
      .status(error ? 400 : 200)
      .type('html')
      .send(jiraTenantsPage({ tenants: await listJiraConnectTenants(deps.db), connections, ...(error ? { error } : {}), options: { user: auth.user, csrfToken: auth.via === 'session' ? auth.session.csrfToken : null } }));
  }

  router.get('/jira/tenants', signedIn, admins, async (_req, res) => {
    await tenantsPage(res);
  });

  router.post('/jira/tenants/:clientKey/link', ...form, admins, async (req, res) => {
    const clientKey = String(req.params['clientKey']);
    const name = typeof req.body?.connection === 'string' ? req.body.connection.trim() : '';
    let connectionId: number | null = null;
    if (name !== '') {
      const connection = await getConnectionByName(deps.db, name);
      if (!connection || connection.source !== 'jira') {
        await tenantsPage(res, `connection: "${name}" is not a Jira connection`);
        return;
      }
      connectionId = connection.id;
    }
    if (!(await linkJiraConnectTenant(deps.db, clientKey, connectionId, new Date(deps.now())))) throw new HttpError(404, 'not_found', 'no Jira site with that clientKey');
    res.redirect(303, '/jira/tenants');
  });

  return router;
}
