// Checks requests (and, optionally, responses) against a vendor's published OpenAPI description: the
// operation must exist, every query parameter must be declared for it and valid for its schema, path
// parameters must fit theirs, JSON bodies must fit the requestBody schema. The JSON-schema check
// covers the OpenAPI 3.0 subset the GitHub and Jira descriptions use. Each fake loads its vendor's
// description once (test/fakes/<vendor>/openapi.ts) and asks an OpenApiDescription built from it.
import { readFileSync } from 'node:fs';

export type Schema = Record<string, unknown>;

export interface Spec {
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, Record<string, unknown>>;
}

export interface ParameterSpec {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

export interface OperationSpec {
  method: string;
  template: string;
  operationId: string;
  deprecated: boolean;
  segments: string[];
  parameters: ParameterSpec[];
  requestBody: { required: boolean; schema: Schema | null } | null;
  responses: Record<string, Schema | null>;
}

export interface MatchedOperation {
  operation: OperationSpec;
  pathParams: Record<string, string>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

export class OpenApiDescription {
  readonly operations: OperationSpec[] = [];

  constructor(readonly spec: Spec) {
    for (const [template, item] of Object.entries(spec.paths)) {
      const shared = (item['parameters'] as unknown[] | undefined) ?? [];
      for (const [method, raw] of Object.entries(item)) {
        if (!METHODS.includes(method)) continue;
        const op = raw as Record<string, unknown>;
        const params = [...shared, ...((op['parameters'] as unknown[] | undefined) ?? [])].map((p) => this.deref(p) as unknown as ParameterSpec);
        const body = op['requestBody'] ? (this.deref(op['requestBody']) as Record<string, unknown>) : null;
        const content = body?.['content'] as Record<string, { schema?: Schema }> | undefined;
        const responses: Record<string, Schema | null> = {};
        for (const [status, r] of Object.entries((op['responses'] as Record<string, unknown>) ?? {})) {
          const res = this.deref(r);
          const c = res['content'] as Record<string, { schema?: Schema }> | undefined;
          responses[status] = c?.['application/json']?.schema ?? null;
        }
        this.operations.push({
          method: method.toUpperCase(),
          template,
          operationId: String(op['operationId']),
          deprecated: op['deprecated'] === true,
          segments: template.split('/').filter(Boolean),
          parameters: params,
          requestBody: body ? { required: body['required'] === true, schema: content?.['application/json']?.schema ?? null } : null,
          responses,
        });
      }
    }
  }

  static fromFile(file: string): OpenApiDescription {
    return new OpenApiDescription(JSON.parse(readFileSync(file, 'utf8')) as Spec);
  }

  deref(node: unknown): Schema {
    let current = node as Schema;
    for (let hops = 0; typeof current?.['$ref'] === 'string'; hops++) {
      if (hops > 20) throw new Error('$ref loop');
      const [, , kind, name] = (current['$ref'] as string).split('/'); // "#/components/<kind>/<name>"
      current = this.spec.components[kind!]?.[name!] as Schema;
      if (!current) throw new Error(`unresolved $ref ${String(node && (node as Schema)['$ref'])}`);
    }
    return current;
  }

  operationById(operationId: string): OperationSpec {
    const op = this.operations.find((o) => o.operationId === operationId);
    if (!op) throw new Error(`no operation ${operationId}`);
    return op;
  }

  /** The operation for METHOD + path; literal segments beat parameters (…/issues/comments vs …/issues/{n}). */
  matchOperation(method: string, pathname: string): MatchedOperation | null {
    const parts = pathname.split('/').filter(Boolean);
    let best: { m: MatchedOperation; literals: number } | null = null;
    for (const operation of this.operations) {
      if (operation.method !== method || operation.segments.length !== parts.length) continue;
      const pathParams: Record<string, string> = {};
      let literals = 0;
      let fits = true;
      for (let i = 0; i < parts.length && fits; i++) {
        const seg = operation.segments[i]!;
        const part = parts[i]!;
        if (seg.startsWith('{') && seg.endsWith('}')) {
          try {
            pathParams[seg.slice(1, -1)] = decodeURIComponent(part);
          } catch {
            fits = false;
          }
        } else if (seg === part) literals++;
        else fits = false;
      }
      if (fits && (!best || literals > best.literals)) best = { m: { operation, pathParams }, literals };
    }
    return best?.m ?? null;
  }

  /** Problems with the request's parameters and body; empty when the vendor would accept its shape. */
  checkRequest(match: MatchedOperation, query: URLSearchParams, body: { contentType: string | undefined; text: string }): string[] {
    const problems: string[] = [];
    const { operation } = match;
    const declared = new Map(operation.parameters.map((p) => [`${p.in}:${p.name}`, p]));

    for (const p of operation.parameters) {
      if (p.in === 'path') {
        const value = match.pathParams[p.name];
        if (value === undefined || value === '') problems.push(`path parameter ${p.name} is missing`);
        else problems.push(...this.checkScalar(p.schema ?? {}, value, `path parameter ${p.name}`));
      }
      if (p.in === 'query' && p.required && !query.has(p.name)) problems.push(`query parameter ${p.name} is required`);
    }
    for (const name of new Set(query.keys())) {
      const p = declared.get(`query:${name}`);
      if (!p) {
        problems.push(`query parameter "${name}" is not declared for ${operation.operationId}`);
        continue;
      }
      const values = query.getAll(name);
      const schema = this.resolve(p.schema ?? {});
      if (schema['type'] === 'array') continue; // comma lists or repeated parameters, accepted as the vendors do
      if (values.length > 1) problems.push(`query parameter ${name} is given ${values.length} times`);
      problems.push(...this.checkScalar(schema, values[0]!, `query parameter ${name}`));
    }

    if (body.text.length > 0) {
      if (!operation.requestBody) problems.push(`${operation.operationId} takes no request body`);
      else if (!(body.contentType ?? '').startsWith('application/json')) problems.push(`body is not application/json`);
      else {
        let json: unknown;
        try {
          json = JSON.parse(body.text);
        } catch {
          problems.push('body is not valid JSON');
          return problems;
        }
        if (operation.requestBody.schema) problems.push(...this.validateSchema(operation.requestBody.schema, json, 'body'));
      }
    } else if (operation.requestBody?.required) problems.push(`${operation.operationId} requires a body`);
    return problems;
  }

  /** A query or path value (a string) against a scalar schema: type, enum, bounds, format. */
  private checkScalar(raw: Schema, text: string, where: string): string[] {
    const schema = this.resolve(raw);
    const type = schema['type'];
    let value: unknown = text;
    if (type === 'integer' || type === 'number') {
      if (!(type === 'integer' ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/).test(text)) return [`${where}: "${text}" is not an ${String(type)}`];
      value = Number(text);
    } else if (type === 'boolean') {
      if (text !== 'true' && text !== 'false') return [`${where}: "${text}" is not a boolean`];
      value = text === 'true';
    }
    return this.validateSchema(schema, value, where);
  }

  private resolve(schema: Schema): Schema {
    return typeof schema['$ref'] === 'string' ? this.deref(schema) : schema;
  }

  /** JSON-schema validation of the OpenAPI 3.0 subset used by the descriptions. */
  validateSchema(raw: Schema, value: unknown, path: string): string[] {
    const schema = this.resolve(raw);
    if (value === null && (schema['nullable'] === true || schema['type'] === 'null')) return [];
    const errors: string[] = [];

    if (Array.isArray(schema['allOf'])) for (const s of schema['allOf'] as Schema[]) errors.push(...this.validateSchema(s, value, path));
    if (Array.isArray(schema['anyOf'])) {
      const fits = (schema['anyOf'] as Schema[]).some((s) => this.validateSchema(s, value, path).length === 0);
      if (!fits) errors.push(`${path}: matches none of anyOf`);
    }
    if (Array.isArray(schema['oneOf'])) {
      const results = (schema['oneOf'] as Schema[]).map((s) => this.validateSchema(s, value, path));
      const n = results.filter((r) => r.length === 0).length;
      if (n !== 1) errors.push(`${path}: matches ${n} of oneOf (exactly 1 required)${n === 0 ? `: ${results.map((r) => r[0]).join('; ')}` : ''}`);
    }
    if (Array.isArray(schema['enum']) && !(schema['enum'] as unknown[]).includes(value)) {
      errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema['enum'])}`);
    }

    const type = schema['type'];
    if (value === null) {
      if (type !== undefined) errors.push(`${path}: null is not allowed`);
      return errors;
    }
    switch (type) {
      case 'object': {
        if (typeof value !== 'object' || Array.isArray(value)) return [...errors, `${path}: expected an object`];
        const obj = value as Record<string, unknown>;
        const props = (schema['properties'] as Record<string, Schema> | undefined) ?? {};
        for (const key of (schema['required'] as string[] | undefined) ?? []) if (!(key in obj)) errors.push(`${path}.${key}: is required`);
        for (const [key, v] of Object.entries(obj)) {
          if (props[key]) errors.push(...this.validateSchema(props[key], v, `${path}.${key}`));
          else if (schema['additionalProperties'] === false) errors.push(`${path}.${key}: is not allowed`);
          else if (typeof schema['additionalProperties'] === 'object') errors.push(...this.validateSchema(schema['additionalProperties'] as Schema, v, `${path}.${key}`));
        }
        if (typeof schema['maxProperties'] === 'number' && Object.keys(obj).length > schema['maxProperties']) errors.push(`${path}: too many properties`);
        break;
      }
      case 'array': {
        if (!Array.isArray(value)) return [...errors, `${path}: expected an array`];
        if (typeof schema['minItems'] === 'number' && value.length < schema['minItems']) errors.push(`${path}: fewer than ${schema['minItems']} items`);
        if (typeof schema['maxItems'] === 'number' && value.length > schema['maxItems']) errors.push(`${path}: more than ${schema['maxItems']} items`);
        if (schema['uniqueItems'] === true && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) errors.push(`${path}: items are not unique`);
        if (schema['items']) value.forEach((v, i) => errors.push(...this.validateSchema(schema['items'] as Schema, v, `${path}[${i}]`)));
        break;
      }
      case 'string': {
        if (typeof value !== 'string') return [...errors, `${path}: expected a string`];
        if (typeof schema['minLength'] === 'number' && value.length < schema['minLength']) errors.push(`${path}: shorter than ${schema['minLength']}`);
        if (typeof schema['maxLength'] === 'number' && value.length > schema['maxLength']) errors.push(`${path}: longer than ${schema['maxLength']}`);
        if (typeof schema['pattern'] === 'string' && !new RegExp(schema['pattern'], 'u').test(value)) errors.push(`${path}: does not match ${schema['pattern']}`);
        if (schema['format'] === 'date-time' && !DATE_TIME.test(value)) errors.push(`${path}: "${value}" is not a date-time`);
        break;
      }
      case 'integer':
      case 'number': {
        if (typeof value !== 'number' || (type === 'integer' && !Number.isInteger(value))) return [...errors, `${path}: expected an ${type}`];
        if (typeof schema['minimum'] === 'number' && value < schema['minimum']) errors.push(`${path}: below the minimum ${schema['minimum']}`);
        if (typeof schema['maximum'] === 'number' && value > schema['maximum']) errors.push(`${path}: above the maximum ${schema['maximum']}`);
        break;
      }
      case 'boolean':
        if (typeof value !== 'boolean') errors.push(`${path}: expected a boolean`);
        break;
      default:
        break;
    }
    return errors;
  }

  /** The response schema of an operation for a status (null when it declares no JSON body). */
  responseSchema(operation: OperationSpec, status: number): Schema | null {
    return operation.responses[String(status)] ?? null;
  }

  /** A named schema, e.g. componentSchema('issue'), for tests that check fixtures. */
  componentSchema(name: string): Schema {
    const schema = this.spec.components['schemas']?.[name];
    if (!schema) throw new Error(`no schema ${name}`);
    return schema as Schema;
  }

  /** A named example, e.g. componentExample('issue'): the spec's real field sets. */
  componentExample(name: string): unknown {
    const example = this.spec.components['examples']?.[name] as { value?: unknown } | undefined;
    if (!example) throw new Error(`no example ${name}`);
    return example.value;
  }
}
