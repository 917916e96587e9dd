// First-admin onboarding on a fresh install (issue 6). While no user exists, the home page and the
// sign-in form lead here; the first admin creates their account, is signed in, and is led to add
// their first connection. Once any user exists, /setup only redirects to the sign-in form and never
// creates an account. There is no session yet, so the form carries a double-submit CSRF token like
// the sign-in form (routes/auth.ts): a random value in an httpOnly SameSite=Lax cookie scoped to
// /setup and the same value in the form; a POST whose two differ is refused (403), storing nothing.
import type { Request, RequestHandler, Response } from 'express';
import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../store/db.ts';
import { createFirstUser, hasUsers } from '../../store/users-repo.ts';
import { authOf } from '../auth/context.ts';
import { cookieOptions, readCookie, SESSION_COOKIE } from '../auth/cookies.ts';
import { submittedCsrfToken } from '../auth/csrf.ts';
import { hashPassword } from '../auth/passwords.ts';
import { DEFAULT_SIGN_IN_POLICY, startSession } from '../auth/sign-in.ts';
import { newSecret, sameSecret } from '../auth/tokens.ts';
import type { AreaDeps } from '../deps.ts';
import type { SetupField, SetupForm } from '../views/setup.ts';
import { setupPage } from '../views/setup.ts';

export const SETUP_PATH = '/setup';
/** The setup form's CSRF token (double submit), scoped to /setup. */
export const SETUP_CSRF_COOKIE = 'sla_setup_csrf';
/** Where the new admin goes next: adding the first connection. */
export const AFTER_SETUP = '/admin/connections/new';

export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 1024;
const MIN_DISTINCT_CHARACTERS = 5;

/**
 * The password rule: as long as `sla-sync user add` asks (12 characters, counted as code points),
 * not a run of one or two characters repeated, and not the e-mail address itself (NIST SP 800-63B
 * 5.1.1.2: length over composition rules, refuse context-specific words).
 */
export function passwordProblem(password: string, email: string): string | null {
  const characters = [...password];
  if (characters.length < MIN_PASSWORD_LENGTH) return `is shorter than ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `is longer than ${MAX_PASSWORD_LENGTH} characters`;
  if (new Set(characters).size < MIN_DISTINCT_CHARACTERS) return `has fewer than ${MIN_DISTINCT_CHARACTERS} different characters`;
  if (email !== '' && password.toLowerCase().includes(email.toLowerCase())) return 'contains your e-mail address';
  return null;
}

const setupBody = z.object({
  email: z.string({ error: 'is required' }).trim().toLowerCase().min(1, 'is required').max(320, 'is too long').pipe(z.email({ error: 'is not an e-mail address' })),
  password: z.string({ error: 'is required' }).min(1, 'is required'),
  passwordConfirm: z.string({ error: 'is required' }).min(1, 'is required'),
});

type SetupErrors = Partial<Record<SetupField, string>>;

/** The submitted form, checked field by field: every bad field gets its own message. */
function validate(body: unknown): { ok: true; email: string; password: string } | { ok: false; errors: SetupErrors } {
  const parsed = setupBody.safeParse(body ?? {});
  const errors: SetupErrors = {};
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as SetupField;
      errors[field] ??= issue.message;
    }
  }
  const raw = (body ?? {}) as Record<string, unknown>;
  const email = parsed.success ? parsed.data.email : typeof raw['email'] === 'string' ? raw['email'].trim().toLowerCase() : '';
  const password = typeof raw['password'] === 'string' ? raw['password'] : '';
  const confirm = typeof raw['passwordConfirm'] === 'string' ? raw['passwordConfirm'] : '';
  if (!errors.password) {
    const problem = passwordProblem(password, email);
    if (problem) errors.password = problem;
  }
  if (!errors.passwordConfirm && !errors.password && confirm !== password) errors.passwordConfirm = 'does not match the password';
  if (Object.keys(errors).length > 0 || !parsed.success) return { ok: false, errors };
  return { ok: true, email, password };
}

/**
 * Databases known to have a user. Nothing in sla-sync deletes users (no route, no command; no
 * foreign key cascades into the table), so once anyone has an account the answer stays yes and the
 * home page and the sign-in form stop asking. /setup itself always asks the store.
 */
const hasHadUsers = new WeakSet<Db>();

async function someoneHasAnAccount(db: Db): Promise<boolean> {
  if (hasHadUsers.has(db)) return true;
  if (!(await hasUsers(db))) return false;
  hasHadUsers.add(db);
  return true;
}

/**
 * For the home page and the sign-in form: while no user exists (a fresh install), an anonymous
 * visitor is sent to /setup instead.
 */
export function leadToSetupWhenNoUsers(db: Db): RequestHandler {
  return async (_req, res, next) => {
    if (authOf(res) === null && !(await someoneHasAnAccount(db))) {
      res.redirect(303, SETUP_PATH);
      return;
    }
    next();
  };
}

export function setupRoutes(deps: AreaDeps): Router {
  const router = Router();

  /** The form with a fresh double-submit token (also after every refusal). */
  function sendForm(req: Request, res: Response, status: number, form: Omit<SetupForm, 'csrfToken'> = {}): void {
    const csrfToken = newSecret();
    res.cookie(SETUP_CSRF_COOKIE, csrfToken, cookieOptions(req, { path: SETUP_PATH, maxAge: 3600_000 }));
    res.status(status).type('html').send(setupPage({ csrfToken, ...form }));
  }

  // Both answer the sign-in form once anyone has an account: setup is for the first admin only.
  router.get(SETUP_PATH, async (req, res) => {
    if (await hasUsers(deps.db)) {
      res.redirect(303, '/signin');
      return;
    }
    sendForm(req, res, 200);
  });

  router.post(SETUP_PATH, async (req, res) => {
    if (await hasUsers(deps.db)) {
      res.redirect(303, '/signin');
      return;
    }
    const body = req.body as Record<string, unknown> | undefined;
    const email = typeof body?.['email'] === 'string' ? body['email'] : undefined;
    const cookieToken = readCookie(req, SETUP_CSRF_COOKIE);
    const formToken = submittedCsrfToken(body, undefined);
    if (!cookieToken || !formToken || !sameSecret(cookieToken, formToken)) {
      sendForm(req, res, 403, { ...(email ? { email } : {}), error: 'The form expired or was not sent from this site: please fill it in again.' });
      return;
    }
    const input = validate(body);
    if (!input.ok) {
      sendForm(req, res, 400, { ...(email ? { email } : {}), errors: input.errors });
      return;
    }
    // Hashed before the lock is taken: a concurrent submission waits for an insert, not for scrypt.
    const passwordHash = await hashPassword(input.password);
    const user = await createFirstUser(deps.db, { email: input.email, role: 'admin', passwordHash });
    // Either way someone has an account now.
    hasHadUsers.add(deps.db);
    if (!user) {
      // Another submission created the first admin meanwhile: this one creates nothing.
      res.redirect(303, '/signin');
      return;
    }
    const session = await startSession(deps.db, user.id, { nowMs: deps.now(), ttlMs: DEFAULT_SIGN_IN_POLICY.sessionTtlMs });
    res.clearCookie(SETUP_CSRF_COOKIE, cookieOptions(req, { path: SETUP_PATH }));
    res.cookie(SESSION_COOKIE, session.sessionToken, cookieOptions(req, { maxAge: session.expiresAt.getTime() - deps.now() }));
    res.redirect(303, AFTER_SETUP);
  });

  return router;
}
