import { TOKENS, type Logger, type RoundCallback } from '@apogee/core';
import type { DependencyContainer } from 'tsyringe';
import type { CliIo } from '../io';
import { MetricsWriter, type MetricsTags } from '../metrics/metrics-writer';
import { createProgress, ProgressCallback, type Progress } from '../progress/progress';

/**
 * What a command that plays the game (run, resume, quickstart) hangs on the run: the metrics
 * writer (metrics.jsonl + metrics.csv in `dir`) and the progress display, as RoundCallbacks.
 *
 * For `runQuickstart` (src/quickstart/): call `runCallbacks(...)` once per variant × seed with
 * `tags: { variant, seed }` and the same `progress`, register `callbacks` into each run's
 * container with {@link registerCallbacks}, and use `progress.task(label, total)` for work
 * outside the game (pre-training π₀, sampling).
 */
export interface RunCallbacks {
  metrics: MetricsWriter;
  progress: Progress;
  callbacks: RoundCallback[];
  /** A Logger that prints above the progress bars (for `TOKENS.Logger`). */
  logger: Logger;
}

export function runCallbacks(options: { dir: string; io: CliIo; tags?: MetricsTags; progress?: Progress }): RunCallbacks {
  const progress = options.progress ?? createProgress(options.io);
  const metrics = new MetricsWriter(options.dir, options.tags);
  const prefix = [options.tags?.variant, options.tags?.seed !== undefined ? `seed ${options.tags.seed}` : undefined].filter(Boolean).join(' ');
  const logger: Logger = {
    info: (m) => progress.log(m),
    warn: (m) => progress.log(`warning: ${m}`),
    debug: (m) => {
      if (options.io.env.APOGEE_DEBUG) progress.log(`debug: ${m}`);
    },
  };
  return { metrics, progress, logger, callbacks: [metrics, new ProgressCallback(progress, prefix ? `${prefix} · ` : '')] };
}

/** Bind the callbacks (multi-binding under `TOKENS.RoundCallback`) and the logger into a run's container. */
export function registerCallbacks(container: DependencyContainer, cbs: RunCallbacks): void {
  for (const cb of cbs.callbacks) container.register(TOKENS.RoundCallback, { useValue: cb });
  container.register(TOKENS.Logger, { useValue: cbs.logger });
}
