/**
 * The lab: studies as data (grid, seeds, learning-rate grid, budgets), their
 * expansion into seeded jobs, the job runner shared by Node workers and Web
 * Workers, and the analysis that turns records into tables and a verdict.
 *
 * The lab's public surface, grouped by source file (src/index.ts publishes all of it); what the files share among
 * themselves (statistics helpers, key paths, the probes' measurements) stays inside. Add a name here to publish it.
 */
export {
  type Analysis,
  type AnalysisContext,
  analyzeRecords,
  analyzeStudy,
  type CellSummary,
  type CheckSummary,
  chooseLr,
  DEFAULT_LR_CRITERION,
  datasetClasses,
  FOLD_RULE,
  foldTolerance,
  gradRatio,
  type LrScore,
  type Profile,
  type Status,
  type Table,
  type Threshold,
  TWIN_RULE,
  twinTolerance,
  type Verdict,
} from './analyze.js';
export { type CheckJob, cellKeyOf, expandStudy, type Job, type Plan, planStudy, type TrainJob } from './expand.js';
export type { LesionMeasure, ShatterMeasure } from './probe.js';
export { type FoldMeasure, isDiverged, type JobRecord, type RunSummary, type TwinMeasure } from './records.js';
export { datasetFor, FOLD_BATCH, measureFold, type RunJobOptions, runJob } from './run.js';
export { canonicalJson, fmt, type Summary } from './stats.js';
export {
  degradationStudy,
  foldStudy,
  getStudy,
  initStudy,
  lesionStudy,
  placementStudy,
  STUDIES,
  shatterStudy,
  shortcutsStudy,
  skipStudy,
} from './studies/index.js';
export {
  axisName,
  type Budget,
  type CheckDef,
  type Layout,
  METRICS,
  type Metric,
  type ProbeDef,
  parseStudyFile,
  type ResolvedStudy,
  resolveStudy,
  type StudyData,
  type StudyDef,
  type StudyFile,
  StudyFileSchema,
  type StudyOverrides,
  studyData,
  type Value,
} from './study.js';
