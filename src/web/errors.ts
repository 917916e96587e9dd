// One table from expected failure codes to HTTP answers (STYLE.md habit 3). Bugs are 500s.
import type { ErrorRequestHandler } from 'express';
import type { ConnectorErrorCode } from '../connectors/types.ts';
import { ConnectorError } from '../connectors/types.ts';
import { CaseNotFoundError } from '../sync/explain.ts';

export const HTTP_STATUS_OF: Record<ConnectorErrorCode | 'not_found_route' | 'unsupported_media_type' | 'no_policy', number> = {
  bad_signature: 401,
  bad_payload: 400,
  unsupported_event: 202,
  unauthorized: 502,
  not_found: 404,
  rate_limited: 503,
  unavailable: 503,
  conflict: 409,
  misconfigured: 500,
  not_found_route: 404,
  unsupported_media_type: 415,
  // A case whose connection has no policy to measure it by (CaseNotFoundError, explain.ts).
  no_policy: 409,
};

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** More fields for the JSON answer (e.g. the bad fields of a 400). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const errorHandler: ErrorRequestHandler = (error, _req, res, _next) => {
  // Thrown by the case views (explain.ts): the same answer on every route that shows a case (the
  // API, the case page, the Jira panel and its pages, the Zendesk sidebar).
  if (error instanceof CaseNotFoundError) {
    res.status(HTTP_STATUS_OF.no_policy).json({ error: 'no_policy', message: error.message });
    return;
  }
  if (error instanceof HttpError) {
    res.status(error.status).json({ error: error.code, message: error.message, ...error.details });
    return;
  }
  if (error instanceof ConnectorError) {
    res.status(HTTP_STATUS_OF[error.code]).json({ error: error.code, message: error.message });
    return;
  }
  // express.raw / express.json refusals (too large, bad encoding) carry a status.
  const status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 500;
  if (status >= 500) console.error(error);
  res.status(status).json({ error: status >= 500 ? 'internal' : 'bad_request', message: status >= 500 ? 'internal error' : String((error as Error).message) });
};
