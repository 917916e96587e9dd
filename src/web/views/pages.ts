// The few pages of the first slice of issue 6: sign-in, "sign in first", and a home page.
import type { StoredUser } from '../../store/users-repo.ts';
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

export function homePage(user: StoredUser, csrfToken: string | null): string {
  return page(
    'Home',
    html`<h1>sla-sync</h1>
<p>Signed in as <strong>${user.email}</strong> (${user.role}).</p>
<p><a href="/api/me">Your account (JSON)</a></p>
${csrfToken === null ? '' : html`<form method="post" action="/signout"><input type="hidden" name="${CSRF_FIELD}" value="${csrfToken}"><button type="submit">Sign out</button></form>`}`,
  );
}
