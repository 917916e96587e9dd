// GET/POST /signin, POST /signout and the home page (issue 6). The sign-in form has no session to
// tie a CSRF token to yet, so it uses a double-submit token: a random value in an httpOnly,
// SameSite=Lax cookie scoped to /signin and the same value in the form; a POST whose two differ is
// refused (403) before anything is read or stored. Signing in always starts a new session.
import type { Request, Response } from 'express';
import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../store/db.ts';
import { deleteSession } from '../../store/sessions-repo.ts';
import { requireAuth } from '../auth/context.ts';
import { cookieOptions, readCookie, SESSION_COOKIE, SIGNIN_CSRF_COOKIE } from '../auth/cookies.ts';
import { submittedCsrfToken } from '../auth/csrf.ts';
import { ANY_ROLE, requireRole } from '../auth/require-role.ts';
import type { SignInPolicy } from '../auth/sign-in.ts';
import { signIn } from '../auth/sign-in.ts';
import { newSecret, sameSecret, secretDigest } from '../auth/tokens.ts';
import { openAtRiskList } from '../../sync/report-lists.ts';
import { homePage, signInPage } from '../views/pages.ts';
import { leadToSetupWhenNoUsers } from './setup.ts';

export interface AuthRouteDeps {
  db: Db;
  now: () => number;
  signIn: SignInPolicy;
}

const signInBody = z.object({
  email: z.string().trim().min(1, 'is required').max(320, 'is too long'),
  password: z.string().min(1, 'is required').max(1024, 'is too long'),
});

/** Where to go after signing in: a path of this site only (never `//host` or an absolute URL). */
function safeNext(value: unknown): string | undefined {
  return typeof value === 'string' && /^\/(?![/\\])/.test(value) && value.length <= 2000 ? value : undefined;
}

const minutes = (seconds: number) => Math.ceil(seconds / 60);

export function authRoutes(deps: AuthRouteDeps): Router {
  const router = Router();

  /** The form with a fresh double-submit token (also after every refusal). */
  function sendForm(req: Request, res: Response, status: number, form: { email?: string; error?: string } = {}): void {
    const csrfToken = newSecret();
    res.cookie(SIGNIN_CSRF_COOKIE, csrfToken, cookieOptions(req, { path: '/signin', maxAge: 3600_000 }));
    const next = safeNext(req.query['next']);
    res.status(status).type('html').send(signInPage({ csrfToken, ...form, ...(next ? { next } : {}) }));
  }

  // A fresh install has no one to sign in: both lead the first admin to /setup.
  const toSetupOnFreshInstall = leadToSetupWhenNoUsers(deps.db);

  router.get('/signin', toSetupOnFreshInstall, (req, res) => sendForm(req, res, 200));

  router.post('/signin', async (req, res) => {
    const cookieToken = readCookie(req, SIGNIN_CSRF_COOKIE);
    const formToken = submittedCsrfToken(req.body, undefined);
    if (!cookieToken || !formToken || !sameSecret(cookieToken, formToken)) {
      sendForm(req, res, 403, { error: 'The form expired or was not sent from this site: please sign in again.' });
      return;
    }
    const body = signInBody.safeParse(req.body);
    if (!body.success) {
      const issue = body.error.issues[0]!;
      const email = typeof req.body?.email === 'string' ? (req.body.email as string) : undefined;
      sendForm(req, res, 400, { ...(email ? { email } : {}), error: `${String(issue.path[0])}: ${issue.message}` });
      return;
    }
    const result = await signIn(deps.db, { ...body.data, ip: req.ip ?? req.socket.remoteAddress ?? 'unknown' }, { nowMs: deps.now(), policy: deps.signIn });
    if (!result.ok) {
      if (result.reason === 'rate_limited') {
        res.set('Retry-After', String(result.retryAfterSeconds));
        sendForm(req, res, 429, { email: body.data.email, error: `Too many failed sign-ins: try again in ${minutes(result.retryAfterSeconds)} minute(s).` });
      } else {
        sendForm(req, res, 401, { email: body.data.email, error: 'Wrong e-mail or password.' });
      }
      return;
    }
    // A session this browser already had ends: one browser, one session.
    const previous = readCookie(req, SESSION_COOKIE);
    if (previous) await deleteSession(deps.db, secretDigest(previous));
    res.clearCookie(SIGNIN_CSRF_COOKIE, cookieOptions(req, { path: '/signin' }));
    res.cookie(SESSION_COOKIE, result.sessionToken, cookieOptions(req, { maxAge: result.expiresAt.getTime() - deps.now() }));
    res.redirect(303, safeNext(req.query['next']) ?? '/');
  });

  router.post('/signout', requireRole(...ANY_ROLE), async (req, res) => {
    const auth = requireAuth(res);
    if (auth.via === 'session') await deleteSession(deps.db, auth.session.tokenHash);
    res.clearCookie(SESSION_COOKIE, cookieOptions(req));
    res.redirect(303, '/signin');
  });

  router.get('/', toSetupOnFreshInstall, requireRole(...ANY_ROLE), async (_req, res) => {
    const auth = requireAuth(res);
    const attention = await openAtRiskList(deps.db, { limit: 50, offset: 0 });
    res.type('html').send(homePage(auth.user, auth.via === 'session' ? auth.session.csrfToken : null, attention));
  });

  return router;
}
