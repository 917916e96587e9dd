// Everything needed to work on one connection: its connector, its config with secrets resolved and
// validated, its compiled policy and priority mapping, and a fetch held to the vendor's limits.
import type { AnyConnector } from '../connectors/registry.ts';
import { connectorFor } from '../connectors/registry.ts';
import type { ConnectorContext, Source } from '../connectors/types.ts';
import { ConnectorError } from '../connectors/types.ts';
import type { CompiledPolicy } from '../core/metrics.ts';
import { compilePolicy } from '../core/metrics.ts';
import { validateWith } from '../core/validate.ts';
import type { Connection } from '../store/connections-repo.ts';
import { getConnection, getConnectionByName, listPriorityMappings } from '../store/connections-repo.ts';
import type { Db } from '../store/db.ts';
import { connectSharedSecretFor } from '../store/jira-connect-tenants-repo.ts';
import { getPolicy } from '../store/policies-repo.ts';
import type { AgreementContext } from './agreements.ts';
import { loadAgreementContext } from './agreements.ts';
import type { PriorityMap } from './evaluate.ts';
import { priorityMap } from './evaluate.ts';
import type { LimitedFetch, RateLimitOptions } from './http.ts';
import { createLimitedFetch } from './http.ts';
import { resolveSecrets } from './secrets.ts';

/**
 * Published limits, per source, that sla-sync stays under by default. GitHub: at most 900 REST
 * points a minute (a GET is 1 point) and requests for one token preferably not concurrent
 * (docs.github.com, "Rate limits for the REST API", secondary rate limits). Jira Cloud and Zendesk
 * limits are per plan; these are the conservative published floors.
 */
export const SOURCE_RATE_LIMITS: Record<Source, Pick<RateLimitOptions, 'concurrency' | 'intervalCap' | 'intervalMs'>> = {
  github: { concurrency: 2, intervalCap: 15, intervalMs: 1000 },
  jira: { concurrency: 4, intervalCap: 10, intervalMs: 1000 },
  zendesk: { concurrency: 4, intervalCap: 10, intervalMs: 1000 },
};

export interface ConnectionRuntime {
  connection: Connection;
  connector: AnyConnector;
  /** Parsed by the connector's schema, secrets resolved. */
  config: unknown;
  /** The connection's default policy (when no rule picks another). */
  policy: CompiledPolicy;
  mapping: PriorityMap;
  /** Customers, rules and policies, to resolve each case's agreement (issue 7). */
  agreements: AgreementContext;
  ctx: ConnectorContext;
  http: LimitedFetch;
  /** A sync reads the vendor in the connector thread (change-thread.ts); not with an injected fetch. */
  readsInThread: boolean;
}

export interface RuntimeDeps {
  env?: NodeJS.ProcessEnv;
  /** The fetch under the limiter (tests, fakes). */
  fetch?: typeof fetch;
  log?: ConnectorContext['log'];
  rateLimit?: Partial<RateLimitOptions>;
  /**
   * Whether a sync reads the vendor in the connector thread (default: yes, unless `fetch` is given:
   * an injected fetch lives in this thread).
   */
  readInThread?: boolean;
}

export async function findConnection(db: Db, ref: string | number): Promise<Connection> {
  const connection = typeof ref === 'number' ? await getConnection(db, ref) : await getConnectionByName(db, ref);
  if (!connection) throw new ConnectorError('misconfigured', `no connection ${typeof ref === 'number' ? `with id ${ref}` : `named "${ref}"`}`);
  return connection;
}

export async function loadConnectionRuntime(db: Db, ref: string | number | Connection, deps: RuntimeDeps = {}): Promise<ConnectionRuntime> {
  const connection = typeof ref === 'object' ? ref : await findConnection(db, ref);
  const connector = connectorFor(connection.source);
  const resolved = resolveSecrets(connection.source, connection.config, deps.env);
  // A Jira connection in Connect mode signs its calls with the shared secret of its site's install.
  if (connection.source === 'jira' && resolved['connect'] === true && resolved['sharedSecret'] === undefined) {
    const secret = await connectSharedSecretFor(db, connection.id);
    if (secret !== null) resolved['sharedSecret'] = secret;
  }
  const parsed = validateWith(connector.configSchema, resolved, 'config');
  if (!parsed.ok) throw new ConnectorError('misconfigured', `connection "${connection.name}": ${parsed.errors.join('; ')}`);
  if (connection.policyId === null) throw new ConnectorError('misconfigured', `connection "${connection.name}" has no policy`);
  const stored = await getPolicy(db, connection.policyId);
  if (!stored) throw new ConnectorError('misconfigured', `connection "${connection.name}": its policy is gone`);
  const mapping = priorityMap(await listPriorityMappings(db, connection.id));
  const limits = SOURCE_RATE_LIMITS[connection.source];
  const http = createLimitedFetch(
    {
      ...limits,
      ...(connection.rateLimit?.concurrency ? { concurrency: connection.rateLimit.concurrency } : {}),
      ...(connection.rateLimit?.perSecond ? { intervalCap: Math.max(1, Math.round(connection.rateLimit.perSecond)), intervalMs: 1000 } : {}),
      ...deps.rateLimit,
    },
    { ...(deps.fetch ? { fetch: deps.fetch } : {}) },
  );
  const log = deps.log ?? (() => undefined);
  return {
    connection,
    connector,
    config: parsed.value,
    policy: compilePolicy(stored.definition),
    mapping,
    agreements: await loadAgreementContext(db),
    http,
    ctx: { fetch: http.fetch, log },
    readsInThread: deps.readInThread ?? deps.fetch === undefined,
  };
}
