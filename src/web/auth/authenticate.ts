// Finds who is calling: an API token (`Authorization: Bearer sla_...`) or a session cookie. A bad
// or revoked token is refused at once (401); a missing, unknown or expired session just leaves
// the request anonymous, for requireRole to refuse where a route needs someone.
import type { RequestHandler } from 'express';
import { findApiTokenUser, touchApiToken } from '../../store/api-tokens-repo.ts';
import type { Db } from '../../store/db.ts';
import { findSession } from '../../store/sessions-repo.ts';
import { HttpError } from '../errors.ts';
import { setAuth } from './context.ts';
import { readCookie, SESSION_COOKIE } from './cookies.ts';
import { secretDigest } from './tokens.ts';

export function authenticate(deps: { db: Db; now: () => number }): RequestHandler {
  // Express 5 hands a rejection of this async middleware to next(error) itself.
  return async (req, res, next) => {
    const header = req.get('authorization');
    if (header !== undefined) {
      const match = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(header);
      const found = match ? await findApiTokenUser(deps.db, secretDigest(match[1]!)) : null;
      if (!found) {
        res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
        throw new HttpError(401, 'invalid_token', match ? 'the API token is unknown or revoked' : 'Authorization must be "Bearer <API token>"');
      }
      await touchApiToken(deps.db, found.tokenId, new Date(deps.now()));
      setAuth(res, { user: found.user, via: 'token', tokenId: found.tokenId });
      next();
      return;
    }
    const token = readCookie(req, SESSION_COOKIE);
    if (token) {
      const found = await findSession(deps.db, secretDigest(token), new Date(deps.now()));
      if (found) setAuth(res, { user: found.user, via: 'session', session: found.session });
    }
    next();
  };
}
