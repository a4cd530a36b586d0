// Prioritisation and deadlines (issue #6): the patch policy as data (policy.ts),
// the three priority models with their explanation (prioritise.ts, on the CISA
// decision tables in decision-tables.ts), due dates and SLA states
// (deadline.ts), and the comparison of two policy versions (diff.ts).
export * from './deadline.js';
export * from './decision-tables.js';
export * from './diff.js';
export * from './policy.js';
export * from './prioritise.js';
