// Server-rendered HTML: every interpolated value goes through `html` and is escaped, unless it is
// already a SafeHtml made here.
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** Tagged template: `html\`<p>${name}</p>\`` escapes name. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  return new SafeHtml(strings.reduce((out, s, i) => out + s + (i < values.length ? render(values[i]) : ''), ''));
}

export interface PageOptions {
  /** The signed-in user: shows the navigation for their role and a sign-out button. */
  user?: { email: string; role: 'admin' | 'manager' | 'agent' };
  /** The session's CSRF token, for the sign-out form; null for API-token callers. */
  csrfToken?: string | null;
  /** Scripts under /assets (e.g. '/assets/vendor/chart.umd.min.js'), loaded deferred, in order. */
  scripts?: readonly string[];
  /** Extra stylesheets under /assets, after app.css. */
  styles?: readonly string[];
  /** A class on <body>, e.g. 'embedded' for pages inside Jira or Zendesk iframes (no navigation). */
  bodyClass?: string;
}

const NAV: readonly { href: string; label: string; roles: readonly string[] }[] = [
  { href: '/', label: 'Home', roles: ['admin', 'manager', 'agent'] },
  { href: '/reports', label: 'Reports', roles: ['admin', 'manager'] },
  { href: '/admin', label: 'Admin', roles: ['admin'] },
];

function navigation(options: PageOptions): SafeHtml | '' {
  const user = options.user;
  if (!user) return '';
  return html`<header class="site-header"><nav aria-label="Main">
<a class="brand" href="/">sla-sync</a>
${NAV.filter((n) => n.roles.includes(user.role)).map((n) => html`<a href="${n.href}">${n.label}</a>`)}
</nav>
<div class="who"><span>${user.email} (${user.role})</span>
${options.csrfToken ? html`<form method="post" action="/signout"><input type="hidden" name="_csrf" value="${options.csrfToken}"><button type="submit" class="link">Sign out</button></form>` : ''}
</div></header>`;
}

/**
 * A whole page; no inline script or style, so the default Content-Security-Policy holds. Page
 * scripts live in src/web/assets and read their data from data-* attributes or the JSON API.
 */
export function page(title: string, body: SafeHtml, options: PageOptions = {}): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · sla-sync</title>
<link rel="stylesheet" href="/assets/app.css">
${(options.styles ?? []).map((href) => html`<link rel="stylesheet" href="${href}">`)}
${(options.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
</head>
<body${options.bodyClass ? html` class="${options.bodyClass}"` : ''}>
${navigation(options)}
<main>
${body}
</main>
</body>
</html>
`.value;
}
