// The app's cookies: read from the Cookie header (express 5 does not parse it), set httpOnly and
// SameSite=Lax, and Secure whenever the request came over https (directly, or through a proxy
// trusted with `trustProxy`).
import type { CookieOptions, Request } from 'express';

export const SESSION_COOKIE = 'sla_session';
/** The sign-in form's CSRF token before there is a session (double submit, see routes/auth.ts). */
export const SIGNIN_CSRF_COOKIE = 'sla_signin_csrf';

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    try {
      return decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function cookieOptions(req: Request, extra: CookieOptions = {}): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/', ...extra };
}
