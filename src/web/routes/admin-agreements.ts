// Admin pages for customers and policy rules (issue 7 items 1-3), for admins only. As on the other
// admin pages, the router reads the form and calls a verb of src/sync/admin-agreements.ts, which
// applies the whole edited list through applyConfig (or previews it as a rolled-back save); a
// ConfigError's paths come back as the form's field errors (HTTP 400, nothing stored).
import type { Request, Response } from 'express';
import { Router } from 'express';
import type { CustomerMatcher } from '../../core/agreements.ts';
import { listConnections } from '../../store/connections-repo.ts';
import { listPolicies } from '../../store/policies-repo.ts';
import { listCustomers, listPolicyRules } from '../../store/agreements-repo.ts';
import type { AgreementChange, ListEdit, RawEntry } from '../../sync/admin-agreements.ts';
import { agreementCaseCounts, customersChange, previewAgreementChange, rulesChange, saveAgreementChange } from '../../sync/admin-agreements.ts';
import type { ConfigPreview } from '../../sync/admin-config.ts';
import { ConfigError } from '../../sync/config.ts';
import { requireRole } from '../auth/require-role.ts';
import type { AreaDeps } from '../deps.ts';
import { HttpError } from '../errors.ts';
import type { AgreementKind, CustomerFormValues, MatcherRow, RuleFormValues } from '../views/admin/agreements.ts';
import { confirmAgreementPage, customerFormPage, customersListPage, ruleFormPage, rulesListPage } from '../views/admin/agreements.ts';
import type { FieldErrors } from '../views/admin/layout.ts';
import { adminKit, body, fieldErrors, list, parseId, str } from './admin.ts';

/** Notices after a redirect, by key: the query string never carries text to show. */
const NOTICES: Record<string, string> = {
  'customer-saved': 'Customer saved.',
  'customer-moved': 'Customers reordered.',
  'customer-deleted': 'Customer deleted.',
  'rule-saved': 'Rule saved.',
  'rule-moved': 'Rules reordered.',
  'rule-deleted': 'Rule deleted.',
};

function noticeOf(req: Request): string | null {
  const key = req.query['notice'];
  if (typeof key !== 'string' || !Object.hasOwn(NOTICES, key)) return null;
  const count = (name: string) => {
    const n = Number(req.query[name]);
    return Number.isInteger(n) && n >= 0 ? n : null;
  };
  const [moved, changed] = [count('reassigned'), count('changed')];
  return `${NOTICES[key]}${moved === null || changed === null ? '' : ` ${moved} cases got another customer, rule or policy; ${changed} had their SLA timers change (state or due time); their writebacks are queued.`}`;
}

/** "a, b\nc" into ["a", "b", "c"]. */
const splitValues = (text: string): string[] =>
  text
    .split(/[,\n]/)
    .map((v) => v.trim())
    .filter(Boolean);

/** A 1-based position field into a 0-based index; blank is null; anything else a form error. */
function readPosition(text: string, count: number, errors: FieldErrors): number | null {
  const t = text.trim();
  if (t === '') return null;
  const n = Number(t);
  if (!/^\d+$/.test(t) || n < 1 || n > count) {
    errors['position'] = [`"${t}" is not a position (1 to ${count})`];
    return null;
  }
  return n - 1;
}

const blankRow = (): MatcherRow => ({ connection: '', field: '', fieldId: '', values: '' });

/** The posted customer form: its values to show again, and the entry (rows without a field or values left out). */
function readCustomerForm(req: Request, count: number): { values: CustomerFormValues; entry: RawEntry; position: number | null; rowOf: number[]; errors: FieldErrors } {
  const b = body(req);
  const indices = [...new Set(Object.keys(b).flatMap((k) => /^match\.(\d{1,2})\.(connection|field|fieldId|values)$/.exec(k)?.[1] ?? []))].map(Number).sort((x, y) => x - y);
  const rows = indices.map((j) => ({ connection: str(b[`match.${j}.connection`]), field: str(b[`match.${j}.field`]), fieldId: str(b[`match.${j}.fieldId`]).trim(), values: str(b[`match.${j}.values`]) }));
  const errors: FieldErrors = {};
  const values: CustomerFormValues = { name: str(b['name']).trim(), position: str(b['position']), rows };
  const position = readPosition(values.position, count, errors);
  const rowOf: number[] = [];
  const match = rows.flatMap((r, j) => {
    if (r.field === '' && r.values.trim() === '' && r.fieldId === '') return [];
    rowOf.push(j);
    return [{ ...(r.connection === '' ? {} : { connection: r.connection }), field: r.field, ...(r.fieldId === '' ? {} : { fieldId: r.fieldId }), values: splitValues(r.values) }];
  });
  return { values, entry: { name: values.name, match }, position, rowOf, errors };
}

function customerFormFrom(c: { name: string; match: readonly CustomerMatcher[] } | null, position: number | null): CustomerFormValues {
  const matchers = c?.match ?? [];
  return {
    name: c?.name ?? '',
    position: position === null ? '' : String(position + 1),
    rows: [...matchers.map((m) => ({ connection: m.connection ?? '', field: m.field, fieldId: m.fieldId ?? '', values: m.values.join(', ') })), blankRow()],
  };
}

const TEXT_CONDITIONS = ['project', 'labels', 'issueType'] as const;

function readRuleForm(req: Request, count: number): { values: RuleFormValues; entry: RawEntry; position: number | null; errors: FieldErrors } {
  const b = body(req);
  const errors: FieldErrors = {};
  const values: RuleFormValues = {
    name: str(b['name']).trim(),
    position: str(b['position']),
    policy: str(b['policy']),
    connection: list(b['when.connection']),
    customer: list(b['when.customer']),
    project: str(b['when.project']),
    labels: str(b['when.labels']),
    issueType: str(b['when.issueType']),
  };
  const position = readPosition(values.position, count, errors);
  // Every posted condition goes to applyConfig, which names one it does not know.
  const when: Record<string, string[]> = {};
  for (const key of Object.keys(b)) {
    const condition = /^when\.([A-Za-z]{1,40})$/.exec(key)?.[1];
    if (!condition) continue;
    const given = (TEXT_CONDITIONS as readonly string[]).includes(condition) ? splitValues(str(b[key])) : list(b[key]).flatMap(splitValues);
    if (given.length > 0) when[condition] = given;
  }
  return { values, entry: { name: values.name, when, policy: values.policy }, position, errors };
}

function ruleFormFrom(r: { name: string; when: Record<string, readonly string[] | undefined>; policy: string } | null, position: number | null, policy: string): RuleFormValues {
  const joined = (k: string) => (r?.when[k] ?? []).join(', ');
  return {
    name: r?.name ?? '',
    position: position === null ? '' : String(position + 1),
    policy: r?.policy ?? policy,
    connection: [...(r?.when['connection'] ?? [])],
    customer: [...(r?.when['customer'] ?? [])],
    project: joined('project'),
    labels: joined('labels'),
    issueType: joined('issueType'),
  };
}

/**
 * applyConfig's "customers[2].match[0].values: is empty" lines into form fields: the edited entry's
 * paths to its fields (matcher rows by their form row), anything else to the form, the other
 * entries named rather than numbered.
 */
function agreementErrors(lines: readonly string[], kind: AgreementKind, change: AgreementChange, rowOf: readonly number[] = []): FieldErrors {
  const named = lines.map((line) =>
    line.replace(/^(customers|rules)\[(\d+)\]/, (whole, list: string, i: string) => {
      if (list === kind && Number(i) === change.index) return whole;
      const names = list === kind ? change.names : ((change.raw[list as AgreementKind] ?? []) as RawEntry[]).map((e) => e.name);
      return `${list === 'customers' ? 'customer' : 'rule'} ${names[Number(i)] ?? i}`;
    }),
  );
  const prefix = `${kind}[${change.index}]`;
  return fieldErrors(named, (path) => {
    if (change.index === null || !path.startsWith(`${prefix}.`)) return 'form';
    const [first, second, third] = path.slice(prefix.length + 1).split(/\.|\[|\]\.?/).filter(Boolean);
    if (first === 'name' || first === 'policy') return first;
    if (kind === 'customers' && first === 'match') {
      const row = second === undefined ? undefined : rowOf[Number(second)];
      return row === undefined ? 'match' : third && ['connection', 'field', 'fieldId', 'values'].includes(third) ? `match.${row}.${third}` : `match.${row}.field`;
    }
    if (kind === 'rules' && first === 'when') return second ? `when.${second}` : 'when';
    return 'form';
  });
}

function redirectAfterSave(res: Response, kind: AgreementKind, notice: string, summary: { reevaluated: { reassigned: number; changed: number } }) {
  const r = summary.reevaluated;
  res.redirect(303, `/admin/${kind}?notice=${notice}&reassigned=${r.reassigned}&changed=${r.changed}`);
}

export function adminAgreementRoutes(deps: AreaDeps): Router {
  const router = Router();
  const admins = requireRole('admin');
  const { db } = deps;
  const { viewOf, contextOf, send } = adminKit(deps);
  const connectionNames = async () => (await listConnections(db)).map((c) => c.name);
  const policyNames = async () => (await listPolicies(db)).map((p) => p.name);

  /** The entry the URL names, with its place in the list; 404 when there is none. */
  const findIn = <T extends { id: number }>(all: readonly T[], req: Request, what: string) => {
    const id = parseId(req);
    const index = all.findIndex((e) => e.id === id);
    if (index < 0) throw new HttpError(404, 'not_found', `no ${what} with id ${id}`);
    return { entry: all[index]!, index, count: all.length };
  };
  const loadCustomer = async (req: Request) => findIn(await listCustomers(db), req, 'customer');
  const loadRule = async (req: Request) => findIn(await listPolicyRules(db), req, 'rule');
  const changeOf = (kind: AgreementKind, edit: ListEdit) => (kind === 'customers' ? customersChange(db, edit) : rulesChange(db, edit));

  // ------------------------------------------------------------ customers

  router.get('/admin/customers', admins, async (req, res) => {
    const counts = await agreementCaseCounts(db);
    const customers = (await listCustomers(db)).map((customer) => ({ customer, cases: counts.byCustomer.get(customer.id) ?? 0 }));
    send(res, 200, customersListPage(viewOf(res), { customers, noCustomer: counts.noCustomer, notice: noticeOf(req) }));
  });

  router.get('/admin/customers/new', admins, async (_req, res) => {
    const count = (await listCustomers(db)).length + 1;
    send(res, 200, customerFormPage(viewOf(res), { id: null, values: customerFormFrom(null, null), connections: await connectionNames(), count, errors: {}, preview: null }));
  });

  async function postCustomer(req: Request, res: Response, id: number | null, count: number): Promise<void> {
    const form = readCustomerForm(req, count);
    const render = async (status: number, extra: { errors?: FieldErrors; preview?: ConfigPreview }) =>
      send(res, status, customerFormPage(viewOf(res), { id, values: form.values, connections: await connectionNames(), count, errors: extra.errors ?? {}, preview: extra.preview ?? null }));
    const intent = str(body(req)['intent']);
    if (intent === 'add-row') {
      form.values.rows.push(blankRow());
      return render(200, {});
    }
    if (Object.keys(form.errors).length > 0) return render(400, { errors: form.errors });
    const change = (await customersChange(db, { kind: 'put', id, entry: form.entry, position: form.position }))!;
    const ctx = contextOf(res);
    try {
      if (intent === 'preview') return render(200, { preview: await previewAgreementChange(ctx, change) });
      redirectAfterSave(res, 'customers', 'customer-saved', (await saveAgreementChange(ctx, change)).summary);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return render(400, { errors: agreementErrors(error.errors, 'customers', change, form.rowOf) });
    }
  }

  router.post('/admin/customers', admins, async (req, res) => postCustomer(req, res, null, (await listCustomers(db)).length + 1));

  router.get('/admin/customers/:id', admins, async (req, res) => {
    const { entry: customer, index, count } = await loadCustomer(req);
    send(res, 200, customerFormPage(viewOf(res), { id: customer.id, values: customerFormFrom(customer, index), connections: await connectionNames(), count, errors: {}, preview: null }));
  });

  router.post('/admin/customers/:id', admins, async (req, res) => {
    const { entry, count } = await loadCustomer(req);
    await postCustomer(req, res, entry.id, count);
  });

  // ------------------------------------------------------------ rules

  router.get('/admin/rules', admins, async (req, res) => {
    const counts = await agreementCaseCounts(db);
    const rules = (await listPolicyRules(db)).map((rule) => ({ rule, cases: counts.byRule.get(rule.id) ?? 0 }));
    const policyOf = new Map((await listPolicies(db)).map((p) => [p.id, p.name]));
    const defaults = (await listConnections(db)).map((c) => ({ connectionId: c.id, connection: c.name, policy: c.policyId === null ? null : (policyOf.get(c.policyId) ?? null), cases: counts.defaultByConnection.get(c.id) ?? 0 }));
    send(res, 200, rulesListPage(viewOf(res), { rules, defaults, notice: noticeOf(req) }));
  });

  const ruleChoices = async () => ({ policies: await policyNames(), connections: await connectionNames(), customers: (await listCustomers(db)).map((c) => c.name) });

  router.get('/admin/rules/new', admins, async (_req, res) => {
    const choices = await ruleChoices();
    const count = (await listPolicyRules(db)).length + 1;
    send(res, 200, ruleFormPage(viewOf(res), { id: null, values: ruleFormFrom(null, null, choices.policies[0] ?? ''), ...choices, count, errors: {}, preview: null }));
  });

  async function postRule(req: Request, res: Response, id: number | null, count: number): Promise<void> {
    const form = readRuleForm(req, count);
    const render = async (status: number, extra: { errors?: FieldErrors; preview?: ConfigPreview }) =>
      send(res, status, ruleFormPage(viewOf(res), { id, values: form.values, ...(await ruleChoices()), count, errors: extra.errors ?? {}, preview: extra.preview ?? null }));
    if (Object.keys(form.errors).length > 0) return render(400, { errors: form.errors });
    const change = (await rulesChange(db, { kind: 'put', id, entry: form.entry, position: form.position }))!;
    const ctx = contextOf(res);
    try {
      if (str(body(req)['intent']) === 'preview') return render(200, { preview: await previewAgreementChange(ctx, change) });
      redirectAfterSave(res, 'rules', 'rule-saved', (await saveAgreementChange(ctx, change)).summary);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return render(400, { errors: agreementErrors(error.errors, 'rules', change) });
    }
  }

  router.post('/admin/rules', admins, async (req, res) => postRule(req, res, null, (await listPolicyRules(db)).length + 1));

  router.get('/admin/rules/:id', admins, async (req, res) => {
    const { entry: rule, index, count } = await loadRule(req);
    send(res, 200, ruleFormPage(viewOf(res), { id: rule.id, values: ruleFormFrom(rule, index, rule.policy), ...(await ruleChoices()), count, errors: {}, preview: null }));
  });

  router.post('/admin/rules/:id', admins, async (req, res) => {
    const { entry, count } = await loadRule(req);
    await postRule(req, res, entry.id, count);
  });

  // ------------------------------------------------------------ moves and deletes, previewed first

  for (const kind of ['customers', 'rules'] as const) {
    const load = async (req: Request) => (kind === 'customers' ? await loadCustomer(req) : await loadRule(req)).entry;
    const one = kind === 'customers' ? 'customer' : 'rule';

    /** The confirmation page with the change's preview (GET and intent=preview), or the save. */
    async function confirmOrSave(req: Request, res: Response, action: 'move' | 'delete', save: boolean): Promise<void> {
      const entry = await load(req);
      const direction = str(body(req)['direction']);
      if (action === 'move' && direction !== 'up' && direction !== 'down') throw new HttpError(400, 'bad_request', 'direction: is not up or down');
      const edit: ListEdit = action === 'move' ? { kind: 'move', id: entry.id, by: direction === 'up' ? -1 : 1 } : { kind: 'delete', id: entry.id };
      const change = (await changeOf(kind, edit))!;
      const ctx = contextOf(res);
      const page = (status: number, preview: ConfigPreview | null, errors: FieldErrors) =>
        send(res, status, confirmAgreementPage(viewOf(res), { kind, id: entry.id, name: entry.name, action, ...(action === 'move' ? { direction: direction as 'up' | 'down' } : {}), order: change.names, preview, errors }));
      try {
        if (!save) return page(200, await previewAgreementChange(ctx, change), {});
        redirectAfterSave(res, kind, `${one}-${action === 'move' ? 'moved' : 'deleted'}`, (await saveAgreementChange(ctx, change)).summary);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return page(400, null, agreementErrors(error.errors, kind, change));
      }
    }

    // The list's buttons post intent=preview; the confirmation page posts intent=save.
    router.post(`/admin/${kind}/:id/move`, admins, (req, res) => confirmOrSave(req, res, 'move', str(body(req)['intent']) === 'save'));
    router.get(`/admin/${kind}/:id/delete`, admins, (req, res) => confirmOrSave(req, res, 'delete', false));
    router.post(`/admin/${kind}/:id/delete`, admins, (req, res) => confirmOrSave(req, res, 'delete', str(body(req)['intent']) !== 'preview'));
  }

  return router;
}
