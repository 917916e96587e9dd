// The process environment, parsed once with zod (STYLE habit 1). A wrong value throws an EnvError
// whose message names the variable; the CLI turns it into exit code 2.
import path from 'node:path';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Empty strings count as unset, as in most .env tooling (`DATABASE_URL=` disables Postgres). */
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

export const envSchema = z.object({
  /** postgres:// or postgresql:// URL; unset means the embedded PGlite store under SLA_SYNC_DATA_DIR. */
  DATABASE_URL: optionalString.refine(
    (v) => v === undefined || isPostgresUrl(v),
    'must be a postgres:// or postgresql:// URL',
  ),
  /** Where the embedded database and other local state live. */
  SLA_SYNC_DATA_DIR: optionalString.transform((v) => path.resolve(v ?? './data')),
  LOG_LEVEL: z.preprocess((v) => (v === '' ? undefined : v), z.enum(LOG_LEVELS).default('info')),
});

export type Env = z.infer<typeof envSchema>;

export class EnvError extends Error {
  override readonly name = 'EnvError';
  readonly code = 'invalid_env';
}

function isPostgresUrl(value: string): boolean {
  try {
    // No host is fine: postgres:///db?host=/var/run/postgresql uses a Unix socket.
    const { protocol } = new URL(value);
    return protocol === 'postgres:' || protocol === 'postgresql:';
  } catch {
    return false;
  }
}

/** Parses `source` (default `process.env`); throws EnvError naming every bad variable. */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    const value = source[name];
    // Never echo a database URL: it may carry a password.
    const shown = value === undefined || name === 'DATABASE_URL' ? '' : ` = ${JSON.stringify(value)}`;
    return `${name}${shown}: ${issue.message}`;
  });
  throw new EnvError(`invalid environment:\n  ${lines.join('\n  ')}`);
}

let cached: Env | undefined;

/** The environment of this process, parsed on first use. */
export function env(): Env {
  cached ??= parseEnv();
  return cached;
}
