// The first-admin form of a fresh install (/setup, issue 6): e-mail, password twice, each field with
// its own error. No inline script or style (the CSP holds).
import { CSRF_FIELD } from '../auth/csrf.ts';
import type { SafeHtml } from './html.ts';
import { html, page } from './html.ts';

export type SetupField = 'email' | 'password' | 'passwordConfirm';

export interface SetupForm {
  csrfToken: string;
  email?: string;
  /** Per field: what is wrong with it. */
  errors?: Partial<Record<SetupField, string>>;
  /** Above the form: an expired or cross-site form. */
  error?: string;
}

/** What the password rule says, shown under the field before anything is typed. */
export const PASSWORD_RULE = 'At least 12 characters, at least 5 different ones, and not your e-mail address.';

function fieldError(form: SetupForm, field: SetupField): SafeHtml | '' {
  const message = form.errors?.[field];
  return message ? html`<br><span class="field-error" id="${field}-error">${message}</span>` : '';
}

function describedBy(form: SetupForm, field: SetupField, extra = ''): string {
  return [extra, form.errors?.[field] ? `${field}-error` : ''].filter(Boolean).join(' ');
}

export function setupPage(form: SetupForm): string {
  const invalid = (field: SetupField) => (form.errors?.[field] ? html` aria-invalid="true"` : '');
  const emailDescribed = describedBy(form, 'email');
  const confirmDescribed = describedBy(form, 'passwordConfirm');
  return page(
    'Set up',
    html`<h1>Welcome to sla-sync</h1>
<p>No one has an account here yet. Create the first administrator's account; you will then add your first connection (Jira, Zendesk or GitHub).</p>
${form.error ? html`<p role="alert" id="setup-error">${form.error}</p>` : ''}
<form method="post" action="/setup" class="stack" novalidate>
<input type="hidden" name="${CSRF_FIELD}" value="${form.csrfToken}">
<p><label for="email">E-mail</label><br><input id="email" name="email" type="email" autocomplete="username" required value="${form.email ?? ''}"${invalid('email')}${emailDescribed ? html` aria-describedby="${emailDescribed}"` : ''}>${fieldError(form, 'email')}</p>
<p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="new-password" required minlength="12"${invalid('password')} aria-describedby="${describedBy(form, 'password', 'password-rule')}">
<br><span class="muted" id="password-rule">${PASSWORD_RULE}</span>${fieldError(form, 'password')}</p>
<p><label for="passwordConfirm">Password again</label><br><input id="passwordConfirm" name="passwordConfirm" type="password" autocomplete="new-password" required${invalid('passwordConfirm')}${confirmDescribed ? html` aria-describedby="${confirmDescribed}"` : ''}>${fieldError(form, 'passwordConfirm')}</p>
<p><button type="submit">Create the administrator account</button></p>
</form>`,
  );
}
