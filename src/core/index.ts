export * from './types.ts';
export * from './calendar.ts';
export * from './metrics.ts';
export * from './compute.ts';
export * from './validate.ts';
export * from './compliance.ts';
export * from './agreements.ts';
export * from './explain.ts';
