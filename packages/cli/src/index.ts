export { runCli, describeError, type RunCliOptions } from './main';
export { createProgram } from './program';
export { EXIT_CODES, exitCodeFor, type ExitCode } from './exit-codes';
export { memoryIo, processIo, type CliIo } from './io';
export { MetricsWriter, METRICS_CSV_HEADER, type MetricsRow, type MetricsTags } from './metrics/metrics-writer';
export { readMetricsJsonl, dedupeMetrics } from './metrics/read-metrics';
export { ProgressCallback, LineProgress, BarProgress, createProgress, type Progress, type ProgressTask } from './progress/progress';
export { runCallbacks, registerCallbacks, type RunCallbacks } from './run/run-callbacks';
export { writeReport, buildReportHtml } from './report/render-report';
export { readRunDir, type RunData, type RunSummary } from './report/read-run';
export { loadConfigFile, type LoadedConfig } from './config/load-config';
export { commentedDefaultConfig, configJsonSchema } from './config/config-init';
// The GPT cases that `apogee bench` and the repository's `npm run bench` both time (one definition).
export { gptBenchStep } from './bench/gpt-step';
export { gptBenchGenerate, GENERATE_NEW_TOKENS, GENERATE_PROMPTS } from './bench/gpt-generate';
export { gptBenchDpo } from './bench/gpt-dpo';
