// The Zendesk sidebar app's API (issue 5 item 6): a ticket's SLA countdown and its explanation, for
// the app of one Zendesk connection. Mounted before `authenticate`: these routes take no session or
// API token, only the connection's sidebar secret (or a link signed with it), as an agent would
// read them (src/web/zendesk-app/auth.ts).
//
// No CORS headers: the app calls through Zendesk's proxy (`client.request`, `cors: false`), a
// server-side request, so no browser origin ever needs to be admitted. The explanation page opens
// in a tab of its own (helmet's CSP and frame-ancestors hold: it is never framed).
import type { Request, RequestHandler } from 'express';
import { Router } from 'express';
import { z } from 'zod';
import { validateWith } from '../../core/validate.ts';
import { findCase } from '../../store/cases-repo.ts';
import type { StoredCase } from '../../store/cases-repo.ts';
import { recentAgreementContext } from '../../sync/agreement-cache.ts';
import { caseSlaView } from '../../sync/case-sla.ts';
import { explainCaseRecord } from '../../sync/explain.ts';
import type { AreaDeps } from '../deps.ts';
import { HttpError } from '../errors.ts';
import { casePage } from '../views/case.ts';
import type { ZendeskAppPrincipal } from '../zendesk-app/auth.ts';
import { authenticateZendeskApp } from '../zendesk-app/auth.ts';

const ticketParams = z.object({
  connection: z.string(),
  // Zendesk ticket ids are positive integers (JSON numbers, well inside 2^53).
  ticketId: z.string().regex(/^[1-9]\d{0,14}$/, 'is not a Zendesk ticket id (a positive whole number)'),
});

type Located = ZendeskAppPrincipal & { ticketId: string; stored: StoredCase };

export function zendeskAppRoutes(deps: AreaDeps): Router {
  const router = Router();
  // The sidebar asks every minute per open ticket: the agreement context is reused a few seconds.
  const agreements = recentAgreementContext(deps.now);
  const paths = {
    sla: (c: string, t: string) => `/zendesk-app/api/connections/${encodeURIComponent(c)}/tickets/${t}/sla`,
    explainJson: (c: string, t: string) => `/zendesk-app/api/connections/${encodeURIComponent(c)}/tickets/${t}/explain`,
    explainPage: (c: string, t: string) => `/zendesk-app/connections/${encodeURIComponent(c)}/tickets/${t}/explain`,
  };

  /** Authenticates (401), validates the ticket id (400) and finds its case in that connection (404). */
  async function locate(req: Request): Promise<Located> {
    const principal = await authenticateZendeskApp(req, deps);
    const params = validateWith(ticketParams, req.params);
    if (!params.ok) throw new HttpError(400, 'bad_request', params.errors.join('; '), { errors: params.errors, fields: ['ticketId'] });
    const { ticketId } = params.value;
    // The Zendesk mapper keeps the ticket id as the case's externalId (and "#<id>" as its key).
    const stored = await findCase(deps.db, principal.connection.id, ticketId);
    if (!stored) throw new HttpError(404, 'not_found', `ticket #${ticketId} is not tracked by sla-sync (connection "${principal.connection.name}" has no case for it)`);
    return { ...principal, ticketId, stored };
  }

  /** The links a sidebar answer hands out: signed, so they work without the proxy's header. */
  const signed = (found: Located, path: string) => `${path}?${found.linkQuery}`;

  const handle =
    (answer: (found: Located, req: Request, res: Parameters<RequestHandler>[1]) => Promise<void>): RequestHandler =>
    async (req, res) => {
      res.set('Cache-Control', 'no-store');
      await answer(await locate(req), req, res);
    };

  router.get(
    '/zendesk-app/api/connections/:connection/tickets/:ticketId/sla',
    handle(async (found, _req, res) => {
      const explainUrl = deps.baseUrl + signed(found, paths.explainPage(found.connection.name, found.ticketId));
      res.json(await caseSlaView(deps.db, found.stored, deps.now(), { explainUrl, agreements }));
    }),
  );

  router.get(
    '/zendesk-app/api/connections/:connection/tickets/:ticketId/explain',
    handle(async (found, _req, res) => {
      res.json(await explainCaseRecord(deps.db, found.stored, deps.now(), { agreements }));
    }),
  );

  router.get(
    '/zendesk-app/connections/:connection/tickets/:ticketId/explain',
    handle(async (found, _req, res) => {
      const explanation = await explainCaseRecord(deps.db, found.stored, deps.now(), { agreements });
      const [connection, ticketId] = [found.connection.name, found.ticketId];
      res.type('html').send(casePage(explanation, { links: { sla: signed(found, paths.sla(connection, ticketId)), explainJson: signed(found, paths.explainJson(connection, ticketId)) } }));
    }),
  );

  return router;
}
