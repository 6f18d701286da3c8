import type { Phase } from './game';
import type { SampleSet } from './records';

export interface RunStartEvent { rounds: number; seed: number; resumedFrom?: { round: number; phase: Phase } }
export interface RoundEvent { round: number }
export interface PhaseStartEvent { round: number; phase: Phase; /** Known work units, for progress bars. */ total?: number }
export interface PhaseEndEvent { round: number; phase: Phase; metrics: Record<string, number> }
export interface ProgressEvent { round: number; phase: Phase; done: number; total: number }
export interface StepEvent {
  round: number;
  phase: Phase;
  step: number;
  totalSteps?: number;
  loss: number;
  lr: number;
  gradNorm: number;
  metrics: Record<string, number>;
}
export interface SamplesEvent { round: number; phase: Phase; samples: readonly SampleSet[] }
export interface RoundEndEvent { round: number; metrics: Record<string, number> }
export interface RunEndEvent { rounds: number; metrics: Array<Record<string, number>> }

/**
 * Listens to the game. Bind any number under `TOKENS.RoundCallback` (multi-binding); every hook is
 * optional and may be async (the game awaits it).
 */
export interface RoundCallback {
  onRunStart?(event: RunStartEvent): void | Promise<void>;
  onRoundStart?(event: RoundEvent): void | Promise<void>;
  onPhaseStart?(event: PhaseStartEvent): void | Promise<void>;
  onProgress?(event: ProgressEvent): void | Promise<void>;
  onStep?(event: StepEvent): void | Promise<void>;
  onSamples?(event: SamplesEvent): void | Promise<void>;
  onPhaseEnd?(event: PhaseEndEvent): void | Promise<void>;
  onRoundEnd?(event: RoundEndEvent): void | Promise<void>;
  onRunEnd?(event: RunEndEvent): void | Promise<void>;
}

/** Calls every callback's hook in registration order. */
export class RoundCallbacks implements Required<RoundCallback> {
  constructor(private readonly callbacks: readonly RoundCallback[]) {}
  private async emit<K extends keyof RoundCallback>(hook: K, event: Parameters<NonNullable<RoundCallback[K]>>[0]) {
    for (const cb of this.callbacks) {
      const fn = cb[hook] as ((e: unknown) => void | Promise<void>) | undefined;
      if (fn) await fn.call(cb, event);
    }
  }
  onRunStart(e: RunStartEvent) { return this.emit('onRunStart', e); }
  onRoundStart(e: RoundEvent) { return this.emit('onRoundStart', e); }
  onPhaseStart(e: PhaseStartEvent) { return this.emit('onPhaseStart', e); }
  onProgress(e: ProgressEvent) { return this.emit('onProgress', e); }
  onStep(e: StepEvent) { return this.emit('onStep', e); }
  onSamples(e: SamplesEvent) { return this.emit('onSamples', e); }
  onPhaseEnd(e: PhaseEndEvent) { return this.emit('onPhaseEnd', e); }
  onRoundEnd(e: RoundEndEvent) { return this.emit('onRoundEnd', e); }
  onRunEnd(e: RunEndEvent) { return this.emit('onRunEnd', e); }
}
