// Admin pages for agreements (issue 7): the ordered customers (recognised by matchers on source data)
// and the ordered policy rules (first match wins, else the connection's default policy), their forms,
// the confirmation of a move or a delete, and the preview of what a change does to the cases.
import { CUSTOMER_MATCH_FIELDS, RULE_CONDITIONS } from '../../../core/agreements.ts';
import type { CustomerMatcher, RuleCondition } from '../../../core/agreements.ts';
import type { StoredCustomer, StoredRule } from '../../../store/agreements-repo.ts';
import type { ConfigPreview } from '../../../sync/admin-config.ts';
import type { SafeHtml } from '../html.ts';
import { html } from '../html.ts';
import type { AdminView, FieldErrors } from './layout.ts';
import { adminPage, csrfField, describedBy, fieldError, formErrors, idOf, selectField, textField } from './layout.ts';
import { previewBox } from './preview.ts';

export type AgreementKind = 'customers' | 'rules';

const KIND = {
  customers: { one: 'customer', title: 'Customers', path: '/admin/customers' },
  rules: { one: 'rule', title: 'Policy rules', path: '/admin/rules' },
} as const;

const FIELD_LABEL: Record<(typeof CUSTOMER_MATCH_FIELDS)[number], string> = {
  project: 'Project or repository (Jira project key, GitHub owner/name)',
  label: 'Label or tag (GitHub, Jira labels; Zendesk tags)',
  organization: 'Organization (Zendesk organization id, JSM organization)',
  group: 'Zendesk group id',
  component: 'Jira component',
  issueType: 'Issue type',
  requesterDomain: "Requester's e-mail domain",
  field: 'Custom field (its id below)',
};

const CONDITION_LABEL: Record<RuleCondition, string> = {
  connection: 'Connection',
  project: 'Project or repository',
  customer: 'Customer',
  labels: 'Labels or tags',
  issueType: 'Issue type',
};

const none = html`<span class="muted">none</span>`;
const nameOrNone = (name: string | null) => (name === null ? none : name);

function matcherText(m: CustomerMatcher): string {
  return `${m.connection ? `${m.connection}: ` : ''}${m.field}${m.fieldId ? `[${m.fieldId}]` : ''} = ${m.values.join(', ')}`;
}

function conditionsText(when: StoredRule['when']): SafeHtml[] {
  return RULE_CONDITIONS.flatMap((c) => (when[c] ? [html`<li>${CONDITION_LABEL[c]}: ${when[c].join(', ')}</li>`] : []));
}

/** Up and down: each leads to a preview of the new order before anything is saved. */
function moveButtons(view: AdminView, kind: AgreementKind, id: number, index: number, count: number): SafeHtml {
  const button = (direction: 'up' | 'down', label: string, disabled: boolean) =>
    html`<form method="post" action="${KIND[kind].path}/${id}/move" class="move-form">${csrfField(view)}<input type="hidden" name="direction" value="${direction}"><input type="hidden" name="intent" value="preview"><button type="submit" class="secondary" aria-label="Move ${direction}"${disabled ? html` disabled` : ''}>${label}</button></form>`;
  return html`${button('up', '↑', index === 0)}${button('down', '↓', index === count - 1)}`;
}

export function customersListPage(view: AdminView, data: { customers: readonly { customer: StoredCustomer; cases: number }[]; noCustomer: number; notice: string | null }): string {
  const { customers } = data;
  return adminPage(
    view,
    'Customers',
    '/admin/customers',
    html`<h1>Customers</h1>
<p>Internal customers, each recognised from the source data of its cases. A case belongs to the first customer in this order that recognises it; policy rules can then pick a policy per customer.</p>
<p><a class="button" href="/admin/customers/new">Add a customer</a> <a href="/admin/rules">Policy rules</a></p>
${customers.length === 0 ? html`<p>No customers yet.</p>` : html`<div class="table-wrap"><table id="customers"><thead><tr><th class="num">#</th><th>Name</th><th>Recognised by (any of)</th><th class="num">Cases</th><th>Order</th><th></th></tr></thead><tbody>
${customers.map(({ customer: c, cases }, i) => html`<tr data-customer="${c.name}"><td class="num">${i + 1}</td><td><a href="/admin/customers/${c.id}">${c.name}</a></td><td><ul class="plain">${c.match.map((m) => html`<li>${matcherText(m)}</li>`)}</ul></td><td class="num" data-cases="${cases}">${cases}</td>
<td class="order">${moveButtons(view, 'customers', c.id, i, customers.length)}</td><td><a href="/admin/customers/${c.id}/delete">Delete</a></td></tr>`)}
</tbody></table></div>`}
<p class="muted" id="no-customer" data-cases="${data.noCustomer}">${data.noCustomer} cases belong to no customer.</p>`,
    { notice: data.notice },
  );
}

export interface MatcherRow {
  connection: string;
  field: string;
  fieldId: string;
  values: string;
}

export interface CustomerFormValues {
  name: string;
  position: string;
  rows: MatcherRow[];
}

/** The preview of an agreement change: cases moving to another customer or policy, then the SLA states. */
function agreementPreview(preview: ConfigPreview): SafeHtml {
  const m = preview.moves;
  return html`<section class="preview card" id="preview-agreements" role="status">
<h2>Preview: <span id="preview-moved" data-moved="${m.cases}" data-customer="${m.customer}" data-policy="${m.policy}">${m.cases}</span> cases would move to another customer or policy</h2>
<p>${m.customer} to another customer, ${m.policy} to another policy.</p>
${m.transitions.length === 0 ? '' : html`<div class="table-wrap"><table id="preview-moves"><thead><tr><th>Moves</th><th>From</th><th>To</th><th class="num">Cases</th></tr></thead><tbody>
${m.transitions.map((t) => html`<tr data-kind="${t.kind}" data-from="${t.from ?? ''}" data-to="${t.to ?? ''}" data-cases="${t.cases}"><td>${t.kind}</td><td>${nameOrNone(t.from)}</td><td>${nameOrNone(t.to)}</td><td class="num">${t.cases}</td></tr>`)}
</tbody></table></div>`}
${m.examples.length > 0 ? html`<details><summary>Cases that move (${m.examples.length === 20 ? 'first 20' : m.examples.length})</summary><ul>${m.examples.map((e) => html`<li>${e.externalKey}: ${e.customer.from === e.customer.to ? '' : html`customer ${nameOrNone(e.customer.from)} → ${nameOrNone(e.customer.to)} `}${e.policy.from === e.policy.to ? '' : html`policy ${nameOrNone(e.policy.from)} → ${nameOrNone(e.policy.to)}`}</li>`)}</ul></details>` : ''}
</section>
${previewBox(preview)}`;
}

function positionField(errors: FieldErrors, value: string, count: number): SafeHtml {
  return textField(errors, 'position', `Position (1 to ${count}; 1 is tried first)`, value, { hint: 'blank: where it is now (a new one goes last)' });
}

function formButtons(kind: AgreementKind, id: number | null): SafeHtml {
  return html`<p><button type="submit" name="intent" value="preview" class="secondary" id="preview-button">Preview</button> <button type="submit" name="intent" value="save" id="save-button">${id === null ? `Add ${KIND[kind].one}` : `Save ${KIND[kind].one}`}</button> <a href="${KIND[kind].path}">Cancel</a></p>`;
}

export function customerFormPage(view: AdminView, form: { id: number | null; values: CustomerFormValues; connections: readonly string[]; count: number; errors: FieldErrors; preview: ConfigPreview | null }): string {
  const { id, values: v, errors } = form;
  const fieldOptions = [{ value: '', label: '— no matcher —' }, ...CUSTOMER_MATCH_FIELDS.map((f) => ({ value: f, label: FIELD_LABEL[f] }))];
  const row = (r: MatcherRow, j: number) => {
    const f = (k: keyof MatcherRow) => `match.${j}.${k}`;
    const options = (list: readonly { value: string; label: string }[], value: string) =>
      html`${list.map((o) => html`<option value="${o.value}"${o.value === value ? html` selected` : ''}>${o.label}</option>`)}${value !== '' && !list.some((o) => o.value === value) ? html`<option value="${value}" selected>${value}</option>` : ''}`;
    return html`<tr data-row="${j}">
<td><label class="visually-hidden" for="${idOf(f('connection'))}">Matcher ${j + 1} connection</label><select id="${idOf(f('connection'))}" name="${f('connection')}"${describedBy(errors, f('connection'))}>${options([{ value: '', label: 'any connection' }, ...form.connections.map((c) => ({ value: c, label: c }))], r.connection)}</select> ${fieldError(errors, f('connection'))}</td>
<td><label class="visually-hidden" for="${idOf(f('field'))}">Matcher ${j + 1} field</label><select id="${idOf(f('field'))}" name="${f('field')}"${describedBy(errors, f('field'))}>${options(fieldOptions, r.field)}</select> ${fieldError(errors, f('field'))}</td>
<td><label class="visually-hidden" for="${idOf(f('fieldId'))}">Matcher ${j + 1} custom field id</label><input id="${idOf(f('fieldId'))}" name="${f('fieldId')}" size="16" value="${r.fieldId}" placeholder="customfield_10010"${describedBy(errors, f('fieldId'))}> ${fieldError(errors, f('fieldId'))}</td>
<td><label class="visually-hidden" for="${idOf(f('values'))}">Matcher ${j + 1} values</label><input id="${idOf(f('values'))}" name="${f('values')}" size="30" value="${r.values}" placeholder="acme/finance, finance"${describedBy(errors, f('values'))}> ${fieldError(errors, f('values'))}</td></tr>`;
  };
  return adminPage(
    view,
    id === null ? 'New customer' : `Customer ${v.name}`,
    '/admin/customers',
    html`<h1>${id === null ? 'New customer' : html`Customer <code>${v.name}</code>`}</h1>
${formErrors(errors)}
${form.preview ? agreementPreview(form.preview) : ''}
<form method="post" action="${id === null ? '/admin/customers' : `/admin/customers/${id}`}" class="stack" id="customer-form" novalidate>
${csrfField(view)}
${textField(errors, 'name', 'Name', v.name, { required: true, hint: 'renaming keeps the rules that name this customer pointing at it' })}
${positionField(errors, v.position, form.count)}
<fieldset id="matchers"><legend>Recognised by (any one matcher; values are compared without case, any of them matches)</legend>
${fieldError(errors, 'match')}
<div class="table-wrap"><table id="matcher-rows"><thead><tr><th>Connection</th><th>Field</th><th>Custom field id</th><th>Values (comma-separated)</th></tr></thead><tbody>
${v.rows.map(row)}
</tbody></table></div>
<p><button type="submit" name="intent" value="add-row" class="secondary" id="add-row-button">Another matcher</button> <small class="muted">A row without a field is left out.</small></p>
</fieldset>
${formButtons('customers', id)}
</form>`,
  );
}

export function rulesListPage(view: AdminView, data: { rules: readonly { rule: StoredRule; cases: number }[]; defaults: readonly { connectionId: number; connection: string; policy: string | null; cases: number }[]; notice: string | null }): string {
  const { rules } = data;
  return adminPage(
    view,
    'Policy rules',
    '/admin/rules',
    html`<h1>Policy rules</h1>
<p>The first rule whose conditions all hold picks a case's policy (a condition holds when any of its values matches). When no rule matches, the connection's policy applies.</p>
<p><a class="button" href="/admin/rules/new">Add a rule</a> <a href="/admin/customers">Customers</a></p>
${rules.length === 0 ? html`<p>No rules yet: every case gets its connection's policy.</p>` : html`<div class="table-wrap"><table id="rules"><thead><tr><th class="num">#</th><th>Name</th><th>When (all of)</th><th>Policy</th><th class="num">Cases</th><th>Order</th><th></th></tr></thead><tbody>
${rules.map(({ rule: r, cases }, i) => html`<tr data-rule="${r.name}"><td class="num">${i + 1}</td><td><a href="/admin/rules/${r.id}">${r.name}</a></td><td><ul class="plain">${conditionsText(r.when)}</ul></td><td>${r.policy}</td><td class="num" data-cases="${cases}">${cases}</td>
<td class="order">${moveButtons(view, 'rules', r.id, i, rules.length)}</td><td><a href="/admin/rules/${r.id}/delete">Delete</a></td></tr>`)}
</tbody></table></div>`}
<h2>When no rule matches</h2>
<div class="table-wrap"><table id="default-policies"><thead><tr><th>Connection</th><th>Default policy</th><th class="num">Cases</th></tr></thead><tbody>
${data.defaults.map((d) => html`<tr data-connection="${d.connection}"><td><a href="/admin/connections/${d.connectionId}">${d.connection}</a></td><td>${d.policy ?? none}</td><td class="num" data-cases="${d.cases}">${d.cases}</td></tr>`)}
</tbody></table></div>
<p class="muted">A connection's default policy is edited with the connection.</p>`,
    { notice: data.notice },
  );
}

export interface RuleFormValues {
  name: string;
  position: string;
  policy: string;
  connection: string[];
  customer: string[];
  project: string;
  labels: string;
  issueType: string;
}

export function ruleFormPage(view: AdminView, form: { id: number | null; values: RuleFormValues; policies: readonly string[]; connections: readonly string[]; customers: readonly string[]; count: number; errors: FieldErrors; preview: ConfigPreview | null }): string {
  const { id, values: v, errors } = form;
  const checks = (name: 'connection' | 'customer', options: readonly string[], chosen: readonly string[]) =>
    html`<p id="${idOf(`when.${name}`)}">${CONDITION_LABEL[name]} (any of): ${options.length === 0 ? none : options.map((o) => html`<label class="check"><input type="checkbox" name="when.${name}" value="${o}"${chosen.includes(o) ? html` checked` : ''}> ${o}</label> `)} ${fieldError(errors, `when.${name}`)}</p>`;
  const text = (name: 'project' | 'labels' | 'issueType', hint: string) => textField(errors, `when.${name}`, `${CONDITION_LABEL[name]} (any of, comma-separated)`, v[name], { hint });
  return adminPage(
    view,
    id === null ? 'New rule' : `Rule ${v.name}`,
    '/admin/rules',
    html`<h1>${id === null ? 'New policy rule' : html`Policy rule <code>${v.name}</code>`}</h1>
${formErrors(errors)}
${form.preview ? agreementPreview(form.preview) : ''}
<form method="post" action="${id === null ? '/admin/rules' : `/admin/rules/${id}`}" class="stack" id="rule-form" novalidate>
${csrfField(view)}
${textField(errors, 'name', 'Name', v.name, { required: true })}
${positionField(errors, v.position, form.count)}
<fieldset id="conditions"><legend>When (every condition given must hold; leave one blank to ignore it)</legend>
${fieldError(errors, 'when')}
${checks('connection', form.connections, v.connection)}
${text('project', 'Jira project key, GitHub owner/name')}
${checks('customer', form.customers, v.customer)}
${text('labels', 'GitHub and Jira labels, Zendesk tags')}
${text('issueType', 'Jira issue type')}
${Object.keys(errors).flatMap((k) => (k.startsWith('when.') && !(RULE_CONDITIONS as readonly string[]).includes(k.slice(5)) ? [html`<p><code>${k.slice(5)}</code>: ${fieldError(errors, k)}</p>`] : []))}
</fieldset>
${selectField(errors, 'policy', 'Then the policy', v.policy, form.policies.includes(v.policy) || v.policy === '' ? form.policies : [...form.policies, v.policy])}
${formButtons('rules', id)}
</form>`,
  );
}

/** A move up or down, or a delete, shown with its preview before it is saved. */
export function confirmAgreementPage(view: AdminView, data: { kind: AgreementKind; id: number; name: string; action: 'move' | 'delete'; direction?: 'up' | 'down'; order: readonly string[]; preview: ConfigPreview | null; errors: FieldErrors }): string {
  const k = KIND[data.kind];
  const what = data.action === 'move' ? `Move ${k.one} ${data.name} ${data.direction}` : `Delete ${k.one} ${data.name}`;
  return adminPage(
    view,
    what,
    k.path,
    html`<h1>${what}?</h1>
${formErrors(data.errors)}
${data.preview ? agreementPreview(data.preview) : ''}
<p>The order after this change:</p><ol id="new-order">${data.order.map((n) => html`<li${n === data.name ? html` class="current"` : ''}>${n}</li>`)}</ol>
${Object.keys(data.errors).length > 0 ? '' : html`<form method="post" action="${k.path}/${data.id}/${data.action}">${csrfField(view)}${data.direction ? html`<input type="hidden" name="direction" value="${data.direction}">` : ''}<input type="hidden" name="intent" value="save">
<button type="submit" id="confirm-button"${data.action === 'delete' ? html` class="danger"` : ''}>${data.action === 'move' ? 'Save the new order' : `Delete ${data.name}`}</button> <a href="${k.path}">Cancel</a></form>`}`,
  );
}
