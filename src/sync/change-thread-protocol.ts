// Messages between change-thread.ts (the sync) and change-thread-worker.ts (the connector's thread).
import type { ChangePage, ConnectorErrorCode, Source } from '../connectors/types.ts';
import { ConnectorError } from '../connectors/types.ts';
import type { RateLimitOptions } from './http.ts';

export type HttpStats = { requests: number; retries: number; rateLimited: number };

export type ToThread =
  /** `shared`: the connection's caps (SharedLimit's buffer), which the thread's requests take turns from. */
  | { t: 'start'; id: number; source: Source; config: unknown; limits: RateLimitOptions; shared: SharedArrayBuffer; cursor: string | null }
  /** The sync took pages: the thread may read this many more ahead. */
  | { t: 'credit'; id: number; pages: number }
  | { t: 'stop'; id: number };

export type FromThread =
  | { t: 'page'; id: number; page: ChangePage; stats: HttpStats }
  | { t: 'end'; id: number; stats: HttpStats }
  | { t: 'error'; id: number; error: WireError; stats: HttpStats }
  | { t: 'log'; id: number; message: string; fields?: Record<string, unknown> };

/** An error as it crosses threads: a ConnectorError keeps its code and wait, so jobs treat it alike. */
export interface WireError {
  name: string;
  message: string;
  code?: ConnectorErrorCode;
  retryAfterMs?: number;
  stack?: string;
}

export function errorToWire(error: unknown): WireError {
  if (error instanceof ConnectorError) {
    return { name: error.name, message: error.message, code: error.code, ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }), ...(error.stack ? { stack: error.stack } : {}) };
  }
  if (error instanceof Error) return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { name: 'Error', message: String(error) };
}

export function errorFromWire(wire: WireError): Error {
  const error = wire.code !== undefined ? new ConnectorError(wire.code, wire.message, wire.retryAfterMs) : Object.assign(new Error(wire.message), { name: wire.name });
  if (wire.stack) error.stack = wire.stack;
  return error;
}
