/** A GPT shape the benchmark trains (the reference shapes a and b). */
export interface GptBenchShape {
  layers: number;
  d: number;
  heads: number;
  time: number;
  batch: number;
  vocab: number;
}

/** One prepared GPT training step (forward + backward + optimizer update) on fixed data. */
export interface GptStep {
  step(): Promise<void>;
  dispose(): void;
  /** Facts about the work (generation: `prompts`, `promptTokens`, `newTokens`, `generated`). */
  info?: Record<string, number>;
}

/** Builds a GPT training step for a shape: the benchmark is told which model to time. */
export type GptStepFactory = (shape: GptBenchShape) => Promise<GptStep>;
