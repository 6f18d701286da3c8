import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { PhaseEndEvent, PhaseStartEvent, ProgressEvent, RoundCallback, RoundEndEvent, StepEvent } from '@apogee/core';
import type { CliIo } from '../io';

/** A unit of long work with a known size: pre-training, a phase of a round, sampling, scoring. */
export interface ProgressTask {
  /** Set how much is done (and the total, when it became known late). */
  update(done: number, total?: number, info?: Record<string, number>): void;
  /** Finish the task; `summary` is printed after it. */
  finish(summary?: string): void;
}

/** Creates tasks: bars on a terminal, plain lines elsewhere. */
export interface Progress {
  task(label: string, total: number): ProgressTask;
  /** A line of text (above the bars on a terminal). */
  log(line: string): void;
  /** Stop every bar (on exit, interrupt or error). */
  stop(): void;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Metrics worth a glance at the end of a round, in this order (others are in metrics.jsonl). */
const HEADLINE = ['goldReward', 'proxyReward', 'winRateVsSft', 'rmAccuracyHuman', 'rmAccuracyPolicy', 'ece', 'kl', 'meanLength'];

function formatInfo(info: Record<string, number> | undefined, limit = 6): string {
  if (!info) return '';
  const keys = Object.keys(info);
  const headline = HEADLINE.filter((k) => keys.includes(k));
  const order = headline.length > 0 ? headline : keys.filter((k) => k !== 'round');
  return order
    .slice(0, limit)
    .map((k) => [k, info[k]] as const)
    .filter(([, v]) => Number.isFinite(v))
    .map(([k, v]) => `${k} ${Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)}`)
    .join(' ');
}

/** Terminal progress bars through cli-progress: one bar per running task, with rate and ETA. */
export class BarProgress implements Progress {
  private readonly multi: MultiBar;

  constructor(stream: NodeJS.WritableStream = process.stderr) {
    this.multi = new MultiBar(
      {
        stream,
        format: ' {label} |{bar}| {value}/{total} | {rate}/s | ETA {eta_formatted} {info}',
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        autopadding: true,
        fps: 8,
        etaBuffer: 20,
      },
      Presets.shades_classic,
    );
  }

  task(label: string, total: number): ProgressTask {
    const started = Date.now();
    const bar: SingleBar = this.multi.create(Math.max(1, total), 0, { label, rate: '0.0', info: '' });
    return {
      update: (done, newTotal, info) => {
        if (newTotal !== undefined && newTotal > 0) bar.setTotal(newTotal);
        const secs = (Date.now() - started) / 1000;
        bar.update(done, { rate: secs > 0 ? (done / secs).toFixed(1) : '0.0', info: formatInfo(info) });
      },
      finish: (summary) => {
        bar.update(bar.getTotal());
        bar.stop();
        this.multi.remove(bar);
        this.multi.log(`✓ ${label} (${formatSeconds((Date.now() - started) / 1000)})${summary ? `: ${summary}` : ''}\n`);
      },
    };
  }

  log(line: string): void {
    this.multi.log(`${line}\n`);
  }

  stop(): void {
    this.multi.stop();
  }
}

/**
 * Plain lines for logs, pipes and CI (`CI` set): a line when a task starts, at most one per
 * `intervalMs` while it runs (with rate and ETA), and one when it ends.
 */
export class LineProgress implements Progress {
  constructor(
    private readonly write: (text: string) => void,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  task(label: string, total: number): ProgressTask {
    const started = this.now();
    let last = started;
    let size = total;
    this.write(`${label}: started (${size} to do)\n`);
    return {
      update: (done, newTotal, info) => {
        if (newTotal !== undefined && newTotal > 0) size = newTotal;
        const t = this.now();
        if (t - last < this.intervalMs || done >= size) return;
        last = t;
        const secs = (t - started) / 1000;
        const rate = done / Math.max(secs, 1e-9);
        const eta = rate > 0 ? (size - done) / rate : Infinity;
        const extra = formatInfo(info);
        this.write(`${label}: ${done}/${size} (${Math.floor((100 * done) / size)}%) ${rate.toFixed(1)}/s ETA ${formatSeconds(eta)}${extra ? ` ${extra}` : ''}\n`);
      },
      finish: (summary) => {
        this.write(`${label}: done in ${formatSeconds((this.now() - started) / 1000)}${summary ? `: ${summary}` : ''}\n`);
      },
    };
  }

  log(line: string): void {
    this.write(`${line}\n`);
  }

  stop(): void {}
}

/** Bars on an interactive terminal, lines otherwise (not a TTY, or `CI` set). */
export function createProgress(io: CliIo): Progress {
  return io.interactive ? new BarProgress() : new LineProgress((t) => io.err(t));
}

/**
 * Drives a Progress from the game's RoundCallback events: one task per phase of each round,
 * advanced by `onProgress` (sampling, scoring) and `onStep` (training), finished by `onPhaseEnd`
 * with the phase's metrics; each round's metrics are printed when it ends.
 */
export class ProgressCallback implements RoundCallback {
  private current?: { key: string; task: ProgressTask; total: number };

  constructor(
    private readonly progress: Progress,
    private readonly prefix = '',
  ) {}

  private label(round: number, phase: string): string {
    // Round 0 is the game's supervised fine-tuning of π₀ before the first round.
    return round === 0 ? `${this.prefix}SFT of π₀` : `${this.prefix}round ${round} ${phase}`;
  }

  private ensure(round: number, phase: string, total: number | undefined): { task: ProgressTask; total: number } {
    const key = `${round}:${phase}`;
    if (!this.current || this.current.key !== key) {
      this.current?.task.finish();
      this.current = { key, task: this.progress.task(this.label(round, phase), Math.max(1, total ?? 1)), total: total ?? 1 };
    }
    return this.current;
  }

  onPhaseStart(e: PhaseStartEvent): void {
    this.current?.task.finish();
    this.current = undefined;
    this.ensure(e.round, e.phase, e.total);
  }

  onProgress(e: ProgressEvent): void {
    this.ensure(e.round, e.phase, e.total).task.update(e.done, e.total);
  }

  onStep(e: StepEvent): void {
    const c = this.ensure(e.round, e.phase, e.totalSteps);
    c.task.update(e.step, e.totalSteps, { loss: e.loss });
  }

  onPhaseEnd(e: PhaseEndEvent): void {
    const c = this.ensure(e.round, e.phase, undefined);
    c.task.finish(formatInfo(e.metrics));
    this.current = undefined;
  }

  onRoundEnd(e: RoundEndEvent): void {
    this.progress.log(`${this.prefix}round ${e.round} done: ${formatInfo(e.metrics)}`);
  }
}
