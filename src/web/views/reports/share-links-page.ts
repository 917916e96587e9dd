// /reports/share-links (admins): create and revoke the read-only links to customer SLA pages.
import type { StoredShareLink } from '../../../store/share-links-repo.ts';
import { CSRF_FIELD } from '../../auth/csrf.ts';
import type { PageOptions } from '../html.ts';
import { html, page } from '../html.ts';
import { formatUtc } from './format.ts';

export interface ShareLinksModel {
  user: NonNullable<PageOptions['user']>;
  csrfToken: string | null;
  links: readonly StoredShareLink[];
  policies: readonly { id: number; name: string }[];
  customers: readonly { id: number; name: string }[];
  /** A link just made: its URL is shown this once (only the token's hash is stored). */
  created?: { url: string; label: string };
  revoked?: string;
  /** The form's refusals, per field ("policyId: ..."); the form keeps what was typed. */
  errors?: readonly string[];
  form?: { policyId?: string; customerId?: string; label?: string };
}

const csrf = (token: string | null) => (token === null ? '' : html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`);

export function shareLinksPage(model: ShareLinksModel): string {
  const form = model.form ?? {};
  const fieldError = (field: string) => {
    const errors = (model.errors ?? []).filter((e) => e.startsWith(`${field}:`));
    return errors.length === 0 ? '' : html`<span class="field-error" id="error-${field}">${errors.map((e) => e.slice(field.length + 1).trim()).join('; ')}</span>`;
  };
  const body = html`<h1>Customer SLA pages</h1>
<p>Each link opens a read-only page with one policy's agreement and its compliance this month and last month, for anyone who has the link: no sign-in, no ticket data. Narrow it to one customer to show that customer's cases only. Revoke a link to close it at once.</p>
${model.created ? html`<div class="notice" id="new-link"><p>Link for <strong>${model.created.label}</strong> created. Copy it now: it is shown only once.</p><p><input id="new-link-url" class="share-url" readonly value="${model.created.url}" aria-label="The new link"></p></div>` : ''}
${model.revoked ? html`<p class="notice" id="revoked-notice">${model.revoked}</p>` : ''}
${model.errors && model.errors.length > 0 ? html`<p role="alert" id="share-errors">The link was not created: ${model.errors.join('; ')}</p>` : ''}
<h2>New link</h2>
<form method="post" action="/reports/share-links" class="stack">
${csrf(model.csrfToken)}
<p><label for="policyId">Policy</label><br><select id="policyId" name="policyId" required>${model.policies.map((p) => html`<option value="${p.id}"${String(p.id) === form.policyId ? html` selected` : ''}>${p.name}</option>`)}</select> ${fieldError('policyId')}</p>
<p><label for="customerId">Customer</label><br><select id="customerId" name="customerId"><option value="">every customer of the policy</option>${model.customers.map((c) => html`<option value="${c.id}"${String(c.id) === form.customerId ? html` selected` : ''}>${c.name}</option>`)}</select> ${fieldError('customerId')}</p>
<p><label for="label">Label (shown as the page's title)</label><br><input id="label" name="label" maxlength="200" value="${form.label ?? ''}"> ${fieldError('label')}</p>
<p><button type="submit">Create link</button></p>
</form>
<h2>Links</h2>
${model.links.length === 0 ? html`<p class="muted">No link yet.</p>` : html`<div class="table-wrap"><table id="share-links">
<thead><tr><th>Label</th><th>Policy</th><th>Customer</th><th>Created</th><th>By</th><th>State</th><th></th></tr></thead>
<tbody>${model.links.map(
      (l) => html`<tr data-link="${l.id}"><td>${l.label || '(none)'}</td><td>${l.policy}</td><td>${l.customer ?? 'every customer'}</td><td>${formatUtc(l.createdAt)}</td><td>${l.createdBy ?? ''}</td>
<td>${l.revokedAt === null ? html`<span class="lozenge pass">live</span>` : html`<span class="lozenge fail">revoked</span> ${formatUtc(l.revokedAt)}`}</td>
<td>${l.revokedAt === null ? html`<form method="post" action="/reports/share-links/${l.id}/revoke">${csrf(model.csrfToken)}<button type="submit" class="danger">Revoke</button></form>` : ''}</td></tr>`,
    )}</tbody></table></div>`}`;
  return page('Customer SLA pages', body, { user: model.user, csrfToken: model.csrfToken });
}
