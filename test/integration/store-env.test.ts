// The environment that chooses the store: parsed once, a wrong value named in the error.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv } from '../../src/env.ts';

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('parseEnv', () => {
  it('defaults to PGlite under ./data with log level info', () => {
    expect(parseEnv({})).toEqual({ SLA_SYNC_DATA_DIR: path.resolve('data'), LOG_LEVEL: 'info' });
  });

  it('reads a Postgres URL, a data dir and a log level; an empty value counts as unset', () => {
    expect(
      parseEnv({ DATABASE_URL: 'postgresql://app:secret@db.internal:5432/sla', SLA_SYNC_DATA_DIR: '/var/lib/sla', LOG_LEVEL: 'debug' }),
    ).toEqual({ DATABASE_URL: 'postgresql://app:secret@db.internal:5432/sla', SLA_SYNC_DATA_DIR: '/var/lib/sla', LOG_LEVEL: 'debug' });
    expect(parseEnv({ DATABASE_URL: '', SLA_SYNC_DATA_DIR: ' ', LOG_LEVEL: '' })).toEqual(parseEnv({}));
  });

  it.each([
    ['DATABASE_URL', { DATABASE_URL: 'mysql://app:secret@db/sla' }],
    ['DATABASE_URL', { DATABASE_URL: 'not a url' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
  ])('names %s when its value is wrong', (name, source) => {
    const error = thrownBy(() => parseEnv(source));
    expect(error).toBeInstanceOf(EnvError);
    expect((error as EnvError).message).toMatch(new RegExp(`^invalid environment:\\n  ${name}\\b`));
    // A database URL may hold a password: it is never echoed.
    expect((error as EnvError).message).not.toContain('secret');
  });

  it('names every wrong variable at once', () => {
    expect(() => parseEnv({ DATABASE_URL: 'x', LOG_LEVEL: 'loud' })).toThrow(/DATABASE_URL.*\n.*LOG_LEVEL = "loud"/);
  });
});
