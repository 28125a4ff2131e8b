/**
 * The lab: studies as data (grid, seeds, learning-rate grid, budgets), their
 * expansion into seeded jobs, the job runner shared by Node workers and Web
 * Workers, and the analysis that turns records into tables and a verdict.
 *
 * The lab's public surface, grouped by source file (src/index.ts publishes all of it); what the files share among
 * themselves (statistics helpers, key paths, the probes' measurements) stays inside. Add a name here to publish it.
 */
export { analyzeRecords, analyzeStudy, DIVERGE_RULE, summarizeSearch } from './analyze.js';
export { datasetClasses, gradRatio, lateGain, PLATEAU_GAIN, PLATEAU_RULE } from './cells.js';
export {
  FOLD_JUDGE_LIMIT,
  FOLD_RULE,
  fold64Tolerance,
  foldLine,
  foldTolerance,
  judgeFold,
  precisionOf,
  TWIN_RULE,
  twinTolerance,
} from './checks.js';
export { CLASSIFY_RULE } from './classify.js';
export {
  type CheckJob,
  cellKeyOf,
  cellStartLrs,
  expandStudy,
  type Job,
  type Plan,
  planStudy,
  type TrainJob,
  trainJob,
  tuningSeeds,
} from './expand.js';
export {
  AT_CHANCE,
  bestLr,
  LR_SEARCH_RULE,
  type LrBound,
  type LrScore,
  type LrSearchResult,
  ladderRate,
  lrFactor,
  lrMark,
  scoreLr,
  searchLr,
} from './lrsearch.js';
export type { LesionMeasure, ShatterMeasure } from './probe.js';
export { type FoldMeasure, isDiverged, type JobRecord, type RunSummary, type TwinMeasure } from './records.js';
export { datasetFor, FOLD_BATCH, measureFold, type RunJobOptions, runJob } from './run.js';
export { jobCost, StudyScheduler } from './scheduler.js';
export { canonicalJson, fmt, type Summary } from './stats.js';
export {
  degradationStudy,
  foldStudy,
  getStudy,
  initStudy,
  lesionStudy,
  middleStudy,
  placementStudy,
  STUDIES,
  shatterStudy,
  shortcutsStudy,
  skipStudy,
} from './studies/index.js';
export { analyzeMiddle } from './studies/middle.js';
export { analyzeSkip, type PairCount, pairOutcome } from './studies/skip.js';
export {
  axisName,
  type Budget,
  type CheckDef,
  type Layout,
  type LrSearch,
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
  startingLrs,
  studyData,
  tableAxes,
  type Value,
} from './study.js';
export { buildTables, comboLabel, METRIC_HEADERS, metricCell } from './tables.js';
export type {
  Analysis,
  AnalysisContext,
  CellSummary,
  CheckSummary,
  Consistency,
  Evidence,
  FoldJudgement,
  LrSearchSummary,
  Profile,
  Status,
  Table,
  Threshold,
  Verdict,
  VerdictLine,
} from './types.js';
export {
  type Compared,
  type Comparison,
  compareCells,
  consistency,
  consistencyText,
  flatLines,
  flatText,
  line,
  scoreText,
} from './verdict.js';
