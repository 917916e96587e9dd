// The whole store schema: drizzle-kit generates migrations from this file, and db.ts types the
// drizzle instance with it.
export * from './columns.ts';
export * from './policies.ts';
export * from './connections.ts';
export * from './priority-mappings.ts';
export * from './customers.ts';
export * from './policy-rules.ts';
export * from './cases.ts';
export * from './case-events.ts';
export * from './metric-states.ts';
export * from './sync-cursors.ts';
export * from './writeback-log.ts';
export * from './webhook-deliveries.ts';
export * from './users.ts';
export * from './sessions.ts';
export * from './api-tokens.ts';
export * from './sign-in-failures.ts';
export * from './audit-log.ts';
export * from './jira-connect-tenants.ts';
export * from './share-links.ts';
export * from './sync-runs.ts';
