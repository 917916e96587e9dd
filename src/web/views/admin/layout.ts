// The admin pages' frame and form pieces: a sub-navigation, notices, and fields with their errors
// (role="alert" beside the field, named by aria-describedby).
import { CSRF_FIELD } from '../../auth/csrf.ts';
import type { SafeHtml } from '../html.ts';
import { html, page } from '../html.ts';

export interface AdminView {
  user: { email: string; role: 'admin' | 'manager' | 'agent' };
  csrfToken: string | null;
}

const SECTIONS = [
  { href: '/admin', label: 'Overview' },
  { href: '/admin/connections', label: 'Connections' },
  { href: '/admin/policies', label: 'Policies' },
  { href: '/admin/customers', label: 'Customers' },
  { href: '/admin/rules', label: 'Policy rules' },
  { href: '/admin/jobs', label: 'Syncs & jobs' },
  { href: '/admin/audit', label: 'Audit log' },
] as const;

export function adminPage(view: AdminView, title: string, current: string, body: SafeHtml, options: { notice?: string | null; warnings?: readonly string[]; scripts?: readonly string[] } = {}): string {
  return page(
    title,
    html`<nav class="admin-nav" aria-label="Admin">${SECTIONS.map((s) => html`<a href="${s.href}"${s.href === current ? html` aria-current="page"` : ''}>${s.label}</a>`)}</nav>
${options.notice ? html`<p class="notice" role="status" id="notice">${options.notice}</p>` : ''}
${(options.warnings ?? []).map((w) => html`<p class="warning">Warning: ${w}</p>`)}
${body}`,
    { user: view.user, csrfToken: view.csrfToken, styles: [], scripts: options.scripts ?? [] },
  );
}

export const csrfField = (view: AdminView) => html`<input type="hidden" name="${CSRF_FIELD}" value="${view.csrfToken ?? ''}">`;

/** Field errors by field name; `form` holds what belongs to no one field. */
export type FieldErrors = Record<string, string[]>;

const fieldId = (name: string) => `f-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

export function fieldError(errors: FieldErrors, name: string): SafeHtml | '' {
  const messages = errors[name];
  if (!messages || messages.length === 0) return '';
  return html`<span class="field-error" role="alert" id="${fieldId(name)}-error" data-field="${name}">${messages.join('; ')}</span>`;
}

export function describedBy(errors: FieldErrors, name: string): SafeHtml | '' {
  return errors[name]?.length ? html` aria-invalid="true" aria-describedby="${fieldId(name)}-error"` : '';
}

export function formErrors(errors: FieldErrors): SafeHtml | '' {
  const all = Object.values(errors).flat();
  if (all.length === 0) return '';
  return html`<div class="form-errors" role="alert" id="form-errors"><p><strong>Nothing was saved.</strong> Please correct:</p><ul>${Object.entries(errors).map(([field, messages]) => messages.map((m) => html`<li data-field="${field}">${field === 'form' ? '' : html`<code>${field}</code>: `}${m}</li>`))}</ul></div>`;
}

export function textField(errors: FieldErrors, name: string, label: string, value: string, extra: { type?: string; hint?: string; required?: boolean; placeholder?: string; autocomplete?: string } = {}): SafeHtml {
  return html`<p><label for="${fieldId(name)}">${label}</label><br><input id="${fieldId(name)}" name="${name}" type="${extra.type ?? 'text'}" value="${value}"${extra.required ? html` required` : ''}${extra.placeholder ? html` placeholder="${extra.placeholder}"` : ''}${extra.autocomplete ? html` autocomplete="${extra.autocomplete}"` : ''}${describedBy(errors, name)}>
${extra.hint ? html`<br><small class="muted">${extra.hint}</small>` : ''} ${fieldError(errors, name)}</p>`;
}

export function selectField(errors: FieldErrors, name: string, label: string, value: string, options: readonly (string | { value: string; label: string })[]): SafeHtml {
  return html`<p><label for="${fieldId(name)}">${label}</label><br><select id="${fieldId(name)}" name="${name}"${describedBy(errors, name)}>${options.map((o) => {
    const { value: v, label: l } = typeof o === 'string' ? { value: o, label: o } : o;
    return html`<option value="${v}"${v === value ? html` selected` : ''}>${l}</option>`;
  })}</select> ${fieldError(errors, name)}</p>`;
}

export const idOf = fieldId;

export function when(iso: string | null): string {
  return iso === null ? '—' : iso.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC');
}
