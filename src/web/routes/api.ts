// The JSON API of issue 6's first slice, every route behind requireRole. "Routers validate input,
// call a verb, map errors" (STYLE.md): the verbs live in src/sync.
import type { Request } from 'express';
import { Router } from 'express';
import { z } from 'zod';
import { validateWith } from '../../core/validate.ts';
import { getCase } from '../../store/cases-repo.ts';
import type { Db } from '../../store/db.ts';
import { recentAgreementContext } from '../../sync/agreement-cache.ts';
import { explainCaseRecord } from '../../sync/explain.ts';
import type { ComplianceReportQuery } from '../../sync/report.ts';
import { complianceCsv, complianceReport, parseReportInstant, parseReportQuery } from '../../sync/report.ts';
import { requireAuth } from '../auth/context.ts';
import { ANY_ROLE, requireRole } from '../auth/require-role.ts';
import { HttpError } from '../errors.ts';

export interface ApiDeps {
  db: Db;
  now: () => number;
}

/** A 400 naming every bad field: `{ error: 'bad_request', message, errors: [...], fields: [...] }`. */
function badRequest(errors: readonly string[]): HttpError {
  const fields = [...new Set(errors.map((e) => e.slice(0, e.indexOf(':'))))];
  return new HttpError(400, 'bad_request', errors.join('; '), { errors, fields });
}

function reportQuery(req: Request): ComplianceReportQuery {
  const parsed = parseReportQuery(req.query as Record<string, unknown>);
  if (!parsed.ok) throw badRequest(parsed.errors);
  return parsed.value;
}

const explainParams = z.strictObject({ id: z.coerce.number({ error: 'is not a case id' }).int('is not a case id').positive('is not a case id').max(2 ** 31 - 1, 'is not a case id') });
const explainQuery = z.strictObject({
  now: z
    .string({ error: 'is not an ISO 8601 instant' })
    .refine((v) => !Number.isNaN(parseReportInstant(v)), 'is not an ISO 8601 instant with an offset')
    .optional(),
});

export function apiRoutes(deps: ApiDeps): Router {
  const router = Router();
  const managers = requireRole('admin', 'manager');
  const everyone = requireRole(...ANY_ROLE);
  // Explanations are asked for one case at a time: the agreement context is reused a few seconds.
  const agreements = recentAgreementContext(deps.now);

  router.get('/api/me', everyone, (_req, res) => {
    const auth = requireAuth(res);
    // A page's scripts read the CSRF token here to send it as X-CSRF-Token.
    res.json({ ...auth.user, via: auth.via, ...(auth.via === 'session' ? { csrfToken: auth.session.csrfToken, sessionExpiresAt: auth.session.expiresAt } : {}) });
  });

  router.get('/api/reports/compliance', managers, async (req, res) => {
    res.json(await complianceReport(deps.db, reportQuery(req)));
  });

  router.get('/api/reports/compliance.csv', managers, async (req, res) => {
    const report = await complianceReport(deps.db, reportQuery(req));
    const day = (iso: string) => iso.slice(0, 10);
    res
      .type('text/csv; charset=utf-8')
      .attachment(`compliance-${report.groupBy}-${day(report.from)}-${day(report.to)}.csv`)
      .send(complianceCsv(report));
  });

  router.get('/api/cases/:id/explain', everyone, async (req, res) => {
    const params = validateWith(explainParams, req.params);
    const query = validateWith(explainQuery, req.query);
    const errors = [...(params.ok ? [] : params.errors), ...(query.ok ? [] : query.errors)];
    if (!params.ok || !query.ok) throw badRequest(errors);
    const stored = await getCase(deps.db, params.value.id);
    if (!stored) throw new HttpError(404, 'not_found', `no case with id ${params.value.id}`);
    const nowMs = query.value.now === undefined ? deps.now() : parseReportInstant(query.value.now);
    res.json(await explainCaseRecord(deps.db, stored, nowMs, { agreements }));
  });

  return router;
}
