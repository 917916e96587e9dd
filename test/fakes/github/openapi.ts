// GitHub's published OpenAPI description (@octokit/openapi, api.github.com.json), loaded once; the
// checks themselves are the generic ones of ../openapi.ts.
import { createRequire } from 'node:module';
import { OpenApiDescription } from '../openapi.ts';
import type { MatchedOperation, OperationSpec, Schema } from '../openapi.ts';

export type { MatchedOperation, OperationSpec, ParameterSpec, Schema } from '../openapi.ts';

let loaded: OpenApiDescription | null = null;

function description(): OpenApiDescription {
  if (!loaded) loaded = OpenApiDescription.fromFile(createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json'));
  return loaded;
}

export const operationById = (operationId: string): OperationSpec => description().operationById(operationId);

export const matchOperation = (method: string, pathname: string): MatchedOperation | null => description().matchOperation(method, pathname);

/** Problems with the request's parameters and body; empty when GitHub would accept its shape. */
export const checkRequest = (match: MatchedOperation, query: URLSearchParams, body: { contentType: string | undefined; text: string }): string[] =>
  description().checkRequest(match, query, body);

export const validateSchema = (raw: Schema, value: unknown, path: string): string[] => description().validateSchema(raw, value, path);

export const responseSchema = (operation: OperationSpec, status: number): Schema | null => description().responseSchema(operation, status);

/** A named schema, e.g. componentSchema('issue'), for tests that check fixtures. */
export const componentSchema = (name: string): Schema => description().componentSchema(name);

/** A named example, e.g. componentExample('issue'): the spec's real field sets. */
export const componentExample = (name: string): unknown => description().componentExample(name);
