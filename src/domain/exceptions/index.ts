// Risk exceptions and SLA extensions (issue #6 §5–6): who decides and which
// dates hold (rules.ts), what callers send (schemas.ts), what the API returns (types.ts).
export * from './rules.js';
export * from './schemas.js';
export type * from './types.js';
