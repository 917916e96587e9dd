// The few pages of the first slice of issue 6: sign-in, "sign in first", and a home page.
import type { StoredUser } from '../../store/users-repo.ts';
import type { CaseList } from '../../sync/report-lists.ts';
import { CSRF_FIELD } from '../auth/csrf.ts';
import { html, page } from './html.ts';

export interface SignInForm {
  csrfToken: string;
  email?: string;
  next?: string;
  /** Shown above the form: wrong credentials, too many tries, a missing field. */
  error?: string;
}

export function signInPage(form: SignInForm): string {
  const action = form.next ? `/signin?next=${encodeURIComponent(form.next)}` : '/signin';
  return page(
    'Sign in',
    html`<h1>Sign in to sla-sync</h1>
${form.error ? html`<p role="alert" id="signin-error">${form.error}</p>` : ''}
<form method="post" action="${action}">
<input type="hidden" name="${CSRF_FIELD}" value="${form.csrfToken}">
<p><label for="email">E-mail</label><br><input id="email" name="email" type="email" autocomplete="username" required value="${form.email ?? ''}"></p>
<p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form>`,
  );
}

export function signInRequiredPage(next: string): string {
  return page('Sign in required', html`<h1>Sign in required</h1><p><a href="/signin?next=${encodeURIComponent(next)}">Sign in</a> to see this page.</p>`);
}

const METRIC_NAMES: Record<string, string> = { firstResponse: 'First response', resolution: 'Resolution' };

/**
 * Home: the open cases that need someone now (breached first, then at risk, by due time), each
 * linking to its countdown and explanation (/cases/:id) and to the ticket in its own tool.
 */
export function homePage(user: StoredUser, csrfToken: string | null, attention: CaseList): string {
  const when = (iso: string | null) => (iso === null ? '' : iso.replace('T', ' ').replace(/(:\d\d)?Z$/, ' UTC'));
  return page(
    'Home',
    html`<h1>Cases that need attention</h1>
${
  attention.total === 0
    ? html`<p class="notice">No open case is breached or at risk.</p>`
    : html`<p class="muted">${attention.total} open ${attention.total === 1 ? 'clock is' : 'clocks are'} breached or at risk, as last evaluated${attention.total > attention.rows.length ? `; the first ${attention.rows.length} are shown` : ''}.</p>
<div class="table-wrap"><table class="attention">
<thead><tr><th>Case</th><th>Clock</th><th>State</th><th>Severity</th><th>Due</th><th>Customer</th><th>Ticket</th></tr></thead>
<tbody>
${attention.rows.map(
  (r) => html`<tr><td><a href="/cases/${r.caseId}">${r.key}</a> ${r.title}</td><td>${METRIC_NAMES[r.metric] ?? r.metric}</td><td><span class="lozenge state-${r.state}">${r.state.replace('_', ' ')}</span></td><td>${r.severity}</td><td>${when(r.dueAt)}</td><td>${r.customer ?? ''}</td><td><a href="${r.url}" rel="noopener">${r.connection}</a></td></tr>`,
)}
</tbody></table></div>`
}
${user.role === 'agent' ? '' : html`<p>${user.role === 'admin' ? html`<a href="/admin">Configure connections, mappings and policies</a> · ` : ''}<a href="/reports">Compliance reports</a></p>`}`,
    { user, csrfToken },
  );
}
