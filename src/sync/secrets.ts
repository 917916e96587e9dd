// Secrets in connection configs (issue 3): a value may be a literal or an `env:NAME` reference.
// The store keeps what the admin wrote; the literal is resolved only when a connector runs, and
// nothing that prints a config (export, logs, the admin page) ever shows a literal secret.
import { SECRET_FIELDS } from '../connectors/registry.ts';
import type { Source } from '../connectors/types.ts';
import { ConnectorError } from '../connectors/types.ts';

/** What export prints in place of a literal secret; applying it back keeps the stored value. */
export const REDACTED = '<redacted>';
const ENV_REF = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;

export function isEnvReference(value: unknown): value is string {
  return typeof value === 'string' && ENV_REF.test(value);
}

/** The config a connector runs with: `env:NAME` replaced by the variable's value. */
export function resolveSecrets(source: Source, config: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const resolved = { ...config };
  for (const key of SECRET_FIELDS[source]) {
    const value = config[key];
    if (!isEnvReference(value)) continue;
    const name = ENV_REF.exec(value)![1]!;
    const secret = env[name];
    if (secret === undefined || secret === '') {
      throw new ConnectorError('misconfigured', `config.${key} refers to the environment variable ${name}, which is not set`);
    }
    resolved[key] = secret;
  }
  return resolved;
}

/** The config as it may be shown: env references as they are, literal secrets redacted. */
export function redactSecrets(source: Source, config: Record<string, unknown>): Record<string, unknown> {
  const shown = { ...config };
  for (const key of SECRET_FIELDS[source]) {
    if (shown[key] !== undefined && !isEnvReference(shown[key])) shown[key] = REDACTED;
  }
  return shown;
}

/** A config being applied over a stored one: a redacted secret keeps the stored value. */
export function keepRedactedSecrets(
  source: Source,
  incoming: Record<string, unknown>,
  stored: Record<string, unknown> | null,
): { config: Record<string, unknown>; missing: string[] } {
  const config = { ...incoming };
  const missing: string[] = [];
  for (const key of SECRET_FIELDS[source]) {
    if (config[key] !== REDACTED) continue;
    if (stored && stored[key] !== undefined) config[key] = stored[key];
    else missing.push(key);
  }
  return { config, missing };
}
