// The case store: open it, migrate it, and read and write it through the repositories.
export * from './db.ts';
export * from './policies-repo.ts';
export * from './connections-repo.ts';
export * from './cases-repo.ts';
export * from './metric-states-repo.ts';
export * from './sync-cursors-repo.ts';
export * from './writeback-log-repo.ts';
export type { Source, WritebackOutcome } from './schema/index.ts';
export { SOURCES, WRITEBACK_OUTCOMES } from './schema/index.ts';
export * from './webhook-deliveries-repo.ts';
export * from './agreements-repo.ts';
