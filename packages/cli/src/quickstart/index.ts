export {
  runQuickstart,
  SFT_ROW,
  type QuickstartEvent,
  type QuickstartOptions,
  type QuickstartResult,
  type QuickstartTiming,
} from './run-quickstart';
export { QUICKSTART_PRESETS, QUICKSTART_VARIANTS, type QuickstartPreset, type QuickstartVariant, type UpdateSettings } from './presets';
export { buildSummary, SEED_RUNS_FILE, SUMMARY_METRICS, type QuickstartSummary, type SeedRun, type Stat, type SummaryMetric } from './summary';
export { mergeQuickstartRuns } from './merge';
export { seedRunsFromMetrics } from './merge';
