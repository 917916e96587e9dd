// CSRF protection (issue 6): every state-changing request made with a session cookie must carry the
// session's synchronizer token, as the form field `_csrf` or the header `X-CSRF-Token`. Requests
// authenticated by a bearer token carry no ambient credential and need none. POST /signin has no
// session yet and checks its own token (routes/auth.ts).
import type { RequestHandler } from 'express';
import { HttpError } from '../errors.ts';
import { authOf } from './context.ts';
import { sameSecret } from './tokens.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const CSRF_FIELD = '_csrf';

export function submittedCsrfToken(body: unknown, header: string | undefined): string | undefined {
  const field = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[CSRF_FIELD] : undefined;
  return typeof field === 'string' ? field : header;
}

export function csrfProtection(options: { exempt: readonly string[] }): RequestHandler {
  return (req, res, next) => {
    const auth = authOf(res);
    if (SAFE_METHODS.has(req.method) || auth?.via !== 'session' || options.exempt.includes(req.path)) {
      next();
      return;
    }
    const token = submittedCsrfToken(req.body, req.get('x-csrf-token'));
    if (token === undefined || !sameSecret(token, auth.session.csrfToken)) {
      next(new HttpError(403, 'csrf_failed', 'the form is missing its CSRF token or it is wrong: reload the page and try again'));
      return;
    }
    next();
  };
}
