// The one typed registry of connectors (issue 3): no discovery, no plugins.
import { githubConnector } from './github/index.ts';
import { jiraConnector } from './jira/index.ts';
import { zendeskConnector } from './zendesk/index.ts';
import type { Connector, Source } from './types.ts';
import { ConnectorError } from './types.ts';

// The registry holds connectors of different config types; callers validate a config with the
// connector's own schema before passing it, so erasing C here is safe.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyConnector = Connector<any>;

export const connectors = {
  jira: jiraConnector,
  zendesk: zendeskConnector,
  github: githubConnector,
} as const satisfies Record<Source, AnyConnector>;

export type BuiltSource = keyof typeof connectors;

/** Secret config keys per source: given as `env:NAME` or a literal, never printed. */
export const SECRET_FIELDS: Record<Source, readonly string[]> = {
  github: ['token', 'webhookSecret'],
  jira: ['apiToken', 'sharedSecret', 'webhookSecret'],
  zendesk: ['apiToken', 'oauthToken', 'webhookSecret', 'sidebarSecret'],
};

export function isBuiltSource(source: string): source is BuiltSource {
  return Object.hasOwn(connectors, source);
}

export function connectorFor(source: Source): AnyConnector {
  if (!isBuiltSource(source)) {
    throw new ConnectorError('misconfigured', `the ${source} connector is not built yet`);
  }
  return connectors[source] as AnyConnector;
}
