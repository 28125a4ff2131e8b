/**
 * The lab: studies as data (grid, seeds, learning-rate grid, budgets), their
 * expansion into seeded jobs, the job runner shared by Node workers and Web
 * Workers, and the analysis that turns records into tables and a verdict.
 */
export * from './analyze.js';
export * from './cells.js';
export * from './checks.js';
export * from './classify.js';
export * from './expand.js';
export * from './lrsearch.js';
export * from './probe.js';
export * from './records.js';
export * from './run.js';
export * from './scheduler.js';
export * from './stats.js';
export * from './studies/index.js';
export * from './study.js';
export * from './tables.js';
export * from './types.js';
export * from './verdict.js';
