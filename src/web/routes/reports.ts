// Manager reports (/reports) and the customer SLA page, issues 6 and 7. "Routers validate input,
// call a verb, map errors" (STYLE.md): the verbs are src/sync/report*.ts, the ones the JSON API and
// `sla-sync report` use, so every surface prints the same numbers.
//
// - GET /reports (admin, manager): the page; ?period=week|month|quarter&at=DATE or
//   ?period=custom&from&to, and ?bucket=week|month for the trend.
// - GET /api/reports/{trend,breaches,at-risk}[.csv] (admin, manager): the page's other tables
//   (compliance is GET /api/reports/compliance in api.ts).
// - /reports/share-links (admin): create and revoke customer SLA links (CSRF-checked forms).
// - GET /sla/:token (public, authenticated by the unguessable token): the customer SLA page.
import type { Request, Response } from 'express';
import { Router } from 'express';
import { z } from 'zod';
import type { Validated } from '../../core/validate.ts';
import { validateWith } from '../../core/validate.ts';
import { listCustomers } from '../../store/agreements-repo.ts';
import { listPolicies } from '../../store/policies-repo.ts';
import { TREND_BUCKETS } from '../../store/report-repo.ts';
import { listShareLinks, revokeShareLink } from '../../store/share-links-repo.ts';
import { breachList, caseListCsv, openAtRiskList, parseBreachQuery, parseOpenListQuery } from '../../sync/report-lists.ts';
import { reportOverview } from '../../sync/report-page.ts';
import type { Period, PeriodPreset } from '../../sync/report-period.ts';
import { bucketsOf, defaultBucket, PERIOD_PRESETS, presetPeriod } from '../../sync/report-period.ts';
import { createShareLink, customerSlaView, openShareLink, parseShareLinkInput, shareLinkUrl } from '../../sync/report-share.ts';
import { complianceTrend, MAX_TREND_BUCKETS, parseTrendQuery, trendCsv } from '../../sync/report-trend.ts';
import { parseReportInstant } from '../../sync/report.ts';
import type { Auth } from '../auth/context.ts';
import { requireAuth } from '../auth/context.ts';
import { requireRole } from '../auth/require-role.ts';
import type { AreaDeps } from '../deps.ts';
import { HttpError } from '../errors.ts';
import { customerSlaPage, shareLinkGonePage } from '../views/reports/customer-sla-page.ts';
import { formatDay } from '../views/reports/format.ts';
import type { ReportPageModel } from '../views/reports/report-page.ts';
import { reportPage } from '../views/reports/report-page.ts';
import type { ShareLinksModel } from '../views/reports/share-links-page.ts';
import { shareLinksPage } from '../views/reports/share-links-page.ts';

/** Rows of each case list on the page; the exports give up to MAX_LIST_LIMIT. */
const PAGE_LIST_LIMIT = 100;

/** A 400 naming every bad field, as api.ts answers. */
function badRequest(errors: readonly string[]): HttpError {
  const fields = [...new Set(errors.map((e) => e.slice(0, e.indexOf(':'))))];
  return new HttpError(400, 'bad_request', errors.join('; '), { errors, fields });
}

function parsed<T>(result: Validated<T>): T {
  if (!result.ok) throw badRequest(result.errors);
  return result.value;
}

const pageUser = (auth: Auth) => ({ email: auth.user.email, role: auth.user.role });
const csrfOf = (auth: Auth) => (auth.via === 'session' ? auth.session.csrfToken : null);

const dateField = z
  .string({ error: 'is not a date (YYYY-MM-DD)' })
  .refine((v) => !Number.isNaN(parseReportInstant(v)), 'is not a date (YYYY-MM-DD) or an ISO 8601 instant with an offset');
const pageQuerySchema = z
  .strictObject({
    period: z.enum([...PERIOD_PRESETS, 'custom'], { error: 'is not one of week, month, quarter, custom' }).default('month'),
    // Empty fields of the GET form are "not given".
    at: z.preprocess((v) => (v === '' ? undefined : v), dateField.optional()),
    from: z.preprocess((v) => (v === '' ? undefined : v), dateField.optional()),
    to: z.preprocess((v) => (v === '' ? undefined : v), dateField.optional()),
    bucket: z.preprocess((v) => (v === '' ? undefined : v), z.enum(TREND_BUCKETS, { error: 'is not week or month' }).optional()),
  })
  .superRefine((q, ctx) => {
    if (q.period !== 'custom') return;
    if (q.from === undefined) ctx.addIssue({ code: 'custom', path: ['from'], message: 'is required for a custom period', input: undefined });
    if (q.to === undefined) ctx.addIssue({ code: 'custom', path: ['to'], message: 'is required for a custom period', input: undefined });
    if (q.from !== undefined && q.to !== undefined && parseReportInstant(q.to) <= parseReportInstant(q.from)) ctx.addIssue({ code: 'custom', path: ['to'], message: 'is not after from', input: q.to });
  });

/** The /reports form as typed, for showing it back. */
function formOf(query: Record<string, unknown>, nowMs: number): ReportPageModel['form'] {
  const text = (key: string) => (typeof query[key] === 'string' ? (query[key] as string) : '');
  const period = (PERIOD_PRESETS as readonly string[]).includes(text('period')) || text('period') === 'custom' ? (text('period') as PeriodPreset | 'custom') : 'month';
  const bucket = text('bucket') === 'week' || text('bucket') === 'month' ? (text('bucket') as 'week' | 'month') : '';
  return { period, at: text('at') || formatDay(nowMs), from: text('from'), to: text('to'), bucket };
}

/** The period a /reports query shows, with links one period back and forth. */
function periodOf(q: z.infer<typeof pageQuerySchema>, nowMs: number): { period: Period; previous: string; next: string } {
  const link = (params: Record<string, string>) => `/reports?${new URLSearchParams({ ...params, ...(q.bucket ? { bucket: q.bucket } : {}) })}`;
  if (q.period === 'custom') {
    const period = { fromMs: parseReportInstant(q.from!), toMs: parseReportInstant(q.to!) };
    const length = period.toMs - period.fromMs;
    const custom = (fromMs: number, toMs: number) => {
      const text = (ms: number) => (ms % 86_400_000 === 0 ? formatDay(ms) : new Date(ms).toISOString());
      return link({ period: 'custom', from: text(fromMs), to: text(toMs) });
    };
    return { period, previous: custom(period.fromMs - length, period.fromMs), next: custom(period.toMs, period.toMs + length) };
  }
  const preset = q.period;
  const at = q.at === undefined ? nowMs : parseReportInstant(q.at);
  const period = presetPeriod(preset, at);
  const neighbour = (offset: number) => link({ period: preset, at: formatDay(presetPeriod(preset, at, offset).fromMs) });
  return { period, previous: neighbour(-1), next: neighbour(1) };
}

export function reportsRoutes(deps: AreaDeps): Router {
  const router = Router();
  const managers = requireRole('admin', 'manager');
  const admins = requireRole('admin');

  router.get('/reports', managers, async (req, res) => {
    const auth = requireAuth(res);
    const query = req.query as Record<string, unknown>;
    const base = { user: pageUser(auth), csrfToken: csrfOf(auth), form: formOf(query, deps.now()) };
    const q = validateWith(pageQuerySchema, query);
    if (!q.ok) {
      res.status(400).type('html').send(reportPage({ ...base, errors: q.errors }));
      return;
    }
    const { period, previous, next } = periodOf(q.value, deps.now());
    const bucket = q.value.bucket ?? defaultBucket(period);
    if (bucketsOf(period, bucket).length > MAX_TREND_BUCKETS) {
      res.status(400).type('html').send(reportPage({ ...base, errors: [`bucket: "${bucket}" gives more than ${MAX_TREND_BUCKETS} points for this period`] }));
      return;
    }
    const overview = await reportOverview(deps.db, { ...period, bucket, listLimit: PAGE_LIST_LIMIT });
    res.type('html').send(reportPage({ ...base, shown: { ...period, bucket, previous, next, overview } }));
  });

  const csvName = (kind: string, from?: string, to?: string) => `${kind}${from && to ? `-${from.slice(0, 10)}-${to.slice(0, 10)}` : ''}.csv`;
  const sendCsv = (res: Response, name: string, body: string) => res.type('text/csv; charset=utf-8').attachment(name).send(body);

  router.get('/api/reports/trend', managers, async (req, res) => {
    res.json(await complianceTrend(deps.db, parsed(parseTrendQuery(req.query as Record<string, unknown>))));
  });
  router.get('/api/reports/trend.csv', managers, async (req, res) => {
    const trend = await complianceTrend(deps.db, parsed(parseTrendQuery(req.query as Record<string, unknown>)));
    sendCsv(res, csvName(`trend-${trend.bucket}`, trend.from, trend.to), trendCsv(trend));
  });
  router.get('/api/reports/breaches', managers, async (req, res) => {
    res.json(await breachList(deps.db, parsed(parseBreachQuery(req.query as Record<string, unknown>))));
  });
  router.get('/api/reports/breaches.csv', managers, async (req, res) => {
    const list = await breachList(deps.db, parsed(parseBreachQuery(req.query as Record<string, unknown>)));
    sendCsv(res, csvName('breaches', list.from, list.to), caseListCsv(list));
  });
  router.get('/api/reports/at-risk', managers, async (req, res) => {
    res.json(await openAtRiskList(deps.db, parsed(parseOpenListQuery(req.query as Record<string, unknown>))));
  });
  router.get('/api/reports/at-risk.csv', managers, async (req, res) => {
    const list = await openAtRiskList(deps.db, parsed(parseOpenListQuery(req.query as Record<string, unknown>)));
    sendCsv(res, csvName('at-risk'), caseListCsv(list));
  });

  async function sendShareLinks(res: Response, status: number, extra: Partial<ShareLinksModel> = {}): Promise<void> {
    const auth = requireAuth(res);
    const model: ShareLinksModel = {
      user: pageUser(auth),
      csrfToken: csrfOf(auth),
      links: await listShareLinks(deps.db),
      policies: (await listPolicies(deps.db)).map((p) => ({ id: p.id, name: p.name })),
      customers: (await listCustomers(deps.db)).map((c) => ({ id: c.id, name: c.name })),
      ...extra,
    };
    res.status(status).type('html').send(shareLinksPage(model));
  }

  router.get('/reports/share-links', admins, async (_req, res) => {
    await sendShareLinks(res, 200);
  });

  router.post('/reports/share-links', admins, async (req: Request, res) => {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    const input = await parseShareLinkInput(deps.db, body);
    const text = (key: string) => (typeof body[key] === 'string' ? (body[key] as string) : '');
    if (!input.ok) {
      await sendShareLinks(res, 400, { errors: input.errors, form: { policyId: text('policyId'), customerId: text('customerId'), label: text('label') } });
      return;
    }
    const auth = requireAuth(res);
    const { token } = await createShareLink(deps.db, input.value, auth.user.id);
    // The page is answered here rather than redirected to: the token is shown this once.
    const url = shareLinkUrl(deps.baseUrl, token);
    res.set('Cache-Control', 'no-store');
    await sendShareLinks(res, 201, { created: { url, label: input.value.label || 'the policy' } });
  });

  const linkId = z.strictObject({ id: z.coerce.number({ error: 'is not a link id' }).int('is not a link id').positive('is not a link id').max(2 ** 31 - 1, 'is not a link id') });

  router.post('/reports/share-links/:id/revoke', admins, async (req, res) => {
    const { id } = parsed(validateWith(linkId, req.params));
    const outcome = await revokeShareLink(deps.db, id, new Date(deps.now()));
    if (outcome === 'not_found') throw new HttpError(404, 'not_found', `no share link with id ${id}`);
    // Post/redirect/get: a reload does not post again.
    res.redirect(303, `/reports/share-links?revoked=${id}`);
  });

  router.get('/sla/:token', async (req, res) => {
    // The token is the credential: not cached, not indexed, not sent on as a referrer (helmet).
    res.set({ 'Cache-Control': 'no-store', 'X-Robots-Tag': 'noindex, nofollow' });
    const link = await openShareLink(deps.db, req.params.token);
    if (link === 'not_found' || link === 'revoked') {
      const status = link === 'revoked' ? 410 : 404;
      res.status(status).type('html').send(shareLinkGonePage(status));
      return;
    }
    res.type('html').send(customerSlaPage(await customerSlaView(deps.db, link, deps.now())));
  });

  return router;
}
