// Who is making the request, as `authenticate` found it; read by requireRole and the routes.
import type { Response } from 'express';
import type { StoredSession } from '../../store/sessions-repo.ts';
import type { StoredUser } from '../../store/users-repo.ts';

export type Auth = { user: StoredUser } & ({ via: 'session'; session: StoredSession } | { via: 'token'; tokenId: number });

export function setAuth(res: Response, auth: Auth): void {
  res.locals['auth'] = auth;
}

export function authOf(res: Response): Auth | null {
  return (res.locals['auth'] as Auth | undefined) ?? null;
}

/** The signed-in user of a route behind requireRole (which answered 401 without one). */
export function requireAuth(res: Response): Auth {
  const auth = authOf(res);
  if (!auth) throw new Error('route without requireRole reached requireAuth');
  return auth;
}
