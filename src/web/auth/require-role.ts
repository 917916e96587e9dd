// requireRole(...roles): 401 without a session or token, 403 for a role the route does not admit.
// The roles ride on the middleware (ALLOWED_ROLES) so listRoutes can show every route's access.
import type { RequestHandler } from 'express';
import type { Role } from '../../store/schema/index.ts';
import { ROLES } from '../../store/schema/index.ts';
import { HttpError } from '../errors.ts';
import { signInRequiredPage } from '../views/pages.ts';
import { authOf } from './context.ts';

export const ALLOWED_ROLES = Symbol('allowedRoles');

export type RoleGuard = RequestHandler & { [ALLOWED_ROLES]: readonly Role[] };

/** Every role: any signed-in user. */
export const ANY_ROLE: readonly Role[] = ROLES;

export function requireRole(...roles: Role[]): RoleGuard {
  if (roles.length === 0) throw new Error('requireRole needs at least one role');
  const guard: RequestHandler = (req, res, next) => {
    const auth = authOf(res);
    if (!auth) {
      // A browser asking for a page gets a page that links to the sign-in form; API clients JSON.
      if (req.accepts(['json', 'html']) === 'html') {
        res.status(401).type('html').send(signInRequiredPage(req.originalUrl));
        return;
      }
      res.set('WWW-Authenticate', 'Bearer');
      next(new HttpError(401, 'unauthenticated', 'sign in, or send Authorization: Bearer <API token>'));
      return;
    }
    if (!roles.includes(auth.user.role)) {
      next(new HttpError(403, 'forbidden', `the ${auth.user.role} role may not use ${req.method} ${req.path}`));
      return;
    }
    next();
  };
  return Object.assign(guard, { [ALLOWED_ROLES]: Object.freeze([...roles]) });
}
