// The case views for signed-in users (issue 7): the case page (countdown and explanation) and the
// JSON the countdown renders. Any role may read a case; the explanation JSON is in routes/api.ts.
import type { Request } from 'express';
import { Router } from 'express';
import { z } from 'zod';
import { validateWith } from '../../core/validate.ts';
import { getCase } from '../../store/cases-repo.ts';
import type { StoredCase } from '../../store/cases-repo.ts';
import { recentAgreementContext } from '../../sync/agreement-cache.ts';
import { caseSlaView } from '../../sync/case-sla.ts';
import { explainCaseRecord } from '../../sync/explain.ts';
import { requireAuth } from '../auth/context.ts';
import { ANY_ROLE, requireRole } from '../auth/require-role.ts';
import type { AreaDeps } from '../deps.ts';
import { HttpError } from '../errors.ts';
import { casePage } from '../views/case.ts';

const caseParams = z.strictObject({ id: z.coerce.number({ error: 'is not a case id' }).int('is not a case id').positive('is not a case id').max(2 ** 31 - 1, 'is not a case id') });

export function caseRoutes(deps: AreaDeps): Router {
  const router = Router();
  const everyone = requireRole(...ANY_ROLE);
  // The case page's countdown reloads its JSON: the agreement context is reused a few seconds.
  const agreements = recentAgreementContext(deps.now);

  async function caseOf(req: Request): Promise<StoredCase> {
    const params = validateWith(caseParams, req.params);
    if (!params.ok) throw new HttpError(400, 'bad_request', params.errors.join('; '), { errors: params.errors, fields: ['id'] });
    const stored = await getCase(deps.db, params.value.id);
    if (!stored) throw new HttpError(404, 'not_found', `no case with id ${params.value.id}`);
    return stored;
  }

  router.get('/api/cases/:id/sla', everyone, async (req, res) => {
    const stored = await caseOf(req);
    res.set('Cache-Control', 'no-store').json(await caseSlaView(deps.db, stored, deps.now(), { explainUrl: `/cases/${stored.id}#explain`, agreements }));
  });

  router.get('/cases/:id', everyone, async (req, res) => {
    const auth = requireAuth(res);
    const explanation = await explainCaseRecord(deps.db, await caseOf(req), deps.now(), { agreements });
    res.type('html').send(casePage(explanation, { user: auth.user, csrfToken: auth.via === 'session' ? auth.session.csrfToken : null }));
  });

  return router;
}
