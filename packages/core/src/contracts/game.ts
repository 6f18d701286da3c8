import type { Rng } from '../rng';
import type { PolicyModel, RewardModel } from './models';
import type { GoldenAnswer, PreferenceItem, PromptRecord, PromptResponse, ScoredSampleSet } from './records';
import type { TrainStepResult } from './training';

/** The phases of one round, in order (`docs/concepts/apo.md` §4). */
export type Phase = 'sample-rm' | 'train-rm' | 'sample-llm' | 'score' | 'update-policy' | 'eval';
export const PHASES: readonly Phase[] = ['sample-rm', 'train-rm', 'sample-llm', 'score', 'update-policy', 'eval'];

/** Everything a policy update may use in one round. */
export interface PolicyUpdateContext {
  /** 1-based round number. */
  round: number;
  /** The policy to update in place. */
  policy: PolicyModel;
  /** The frozen reference model (π₀ or the round's starting policy; see the update's options). */
  reference: PolicyModel;
  /** LLM queries of this round. */
  queries: readonly PromptRecord[];
  /** Samples of the current policy scored by the round's RM (empty when `needsSamples` is false). */
  scored: readonly ScoredSampleSet[];
  /** Golden answers (used by golden SFT). */
  golden: readonly GoldenAnswer[];
  /** The update's own random stream (minibatch order). */
  rng: Rng;
  /** Report one optimizer step. */
  onStep(step: TrainStepResult): void;
  signal?: AbortSignal;
}

export interface PolicyUpdateResult {
  steps: number;
  metrics: Record<string, number>;
}

/**
 * How the policy plays its side of the game: rejection sampling + SFT (RJS), DPO, RRHF, golden
 * SFT… The APO paper's point is that any of them can (§2, §5).
 */
export interface PolicyUpdate {
  readonly name: string;
  /** Whether the round must sample and score LLM queries before calling `update`. */
  readonly needsSamples: boolean;
  update(context: PolicyUpdateContext): Promise<PolicyUpdateResult>;
}

/** Everything the evaluator may look at after a round. */
export interface EvaluationContext {
  round: number;
  policy: PolicyModel;
  reference: PolicyModel;
  /** The RM the policy was optimised against this round. */
  reward: RewardModel;
  rng: Rng;
  signal?: AbortSignal;
  /**
   * Optional: called as the evaluation's work units (an executor's jobs) finish, for progress
   * bars; the game passes it on as `onProgress` events of its `eval` phase. Evaluators that do not
   * call it still work (the phase then shows only its start and end).
   */
  onProgress?: (done: number, total: number) => void | Promise<void>;
}

/** One bin of a reliability diagram, as reports and `summary.json` show it (docs/concepts/apo.md §7). */
export interface ReliabilityRow {
  lower: number;
  upper: number;
  count: number;
  /** Mean predicted probability in the bin (NaN when empty). */
  confidence: number;
  /** Observed frequency of the preferred label in the bin (NaN when empty). */
  accuracy: number;
}

/** One evaluated test response. */
export interface EvaluatedSample {
  queryId: string;
  prompt: string;
  response: string;
  /** The judge's (gold) score. */
  goldReward: number;
  /** The round's RM score, when there is an RM. */
  proxyReward?: number;
}

/**
 * What a round's report shows beyond its metrics. Every part is optional: an evaluator fills the
 * parts it computes, and the CLI renders whatever is there, for any evaluator.
 */
export interface EvaluationReportPart {
  /** Reliability diagram of the RM on held-out human pairs. */
  reliability?: ReliabilityRow[];
  /** The policy's test responses with their scores (`samples/<variant>/round-<r>.jsonl`). */
  samples?: EvaluatedSample[];
}

/** One round's evaluation: the metrics (into `GameResult.metrics`) and the report part. */
export interface Evaluation {
  metrics: Record<string, number>;
  report?: EvaluationReportPart;
}

/** A round's report part, as kept in `GameResult.reports`. */
export interface RoundReport extends EvaluationReportPart {
  round: number;
}

/** Evaluates a round: its metrics and what the report shows (`@apogee/eval`). */
export interface Evaluator {
  evaluate(context: EvaluationContext): Promise<Evaluation>;
}

/** What the game is given to play with. */
export interface GameData {
  /** Human preference items D_P. */
  humanItems: readonly PreferenceItem[];
  /** RM queries, each with a golden answer. */
  rmQueries: readonly PromptRecord[];
  golden: readonly GoldenAnswer[];
  /** LLM queries. */
  llmQueries: readonly PromptRecord[];
  /**
   * Held-out test prompts, disjoint from the RM and LLM queries (optional; `@apogee/world`
   * provides them, `@apogee/eval` generates on them).
   */
  testQueries?: readonly PromptRecord[];
  /** Held-out human preference items on the test prompts (optional; RM accuracy and calibration). */
  testItems?: readonly PreferenceItem[];
  /** Demonstrations to train the initial policy π₀ with SFT (optional; `@apogee/world` provides them). */
  sftDemos?: readonly PromptResponse[];
}

/** Supplies the game's data (a file set, or the embedded world). */
export interface GameDataSource {
  load(): Promise<GameData>;
}

/**
 * The game's models at the end of a `run`/`resume`. The controller owns them and frees them when
 * the run is disposed: `clone()` what must outlive the run.
 */
export interface GameModels {
  /** The final policy π_T. */
  policy: PolicyModel;
  /** The frozen reference π₀. */
  reference: PolicyModel;
  /** The last round's RM (APO), or RM_Base (the baseline); absent before any RM was trained. */
  reward?: RewardModel;
  /** Whether the game was APO (an RM per round) or the RM_Base baseline. */
  apo: boolean;
}

export interface GameResult {
  rounds: number;
  /** Metrics of each round, in order. */
  metrics: Array<Record<string, number>>;
  /** The report part of each round evaluated by this call (`run`, or `resume` from where it picked up), in order. */
  reports: RoundReport[];
  /** The final models; set when the game finished or stopped with its models in memory. */
  models?: GameModels;
  /** Where the final checkpoint was written, when the run has a directory. */
  checkpointDir?: string;
  /**
   * Set when the run stopped early on request (AbortSignal): the last complete checkpoint, where
   * `resume(dir)` continues. `phase: null` means no phase had completed yet.
   */
  stopped?: { reason: 'aborted'; round: number; phase: Phase | null; dir?: string };
}

/** Runs the RM–LLM game round by round. */
export interface GameController {
  run(options?: { signal?: AbortSignal }): Promise<GameResult>;
  /**
   * Continue the run whose checkpoint is in `dir` from its last complete phase; it finishes with
   * the same metrics and weights as the uninterrupted run (same seed, plugins and backend).
   */
  resume?(dir: string, options?: { signal?: AbortSignal }): Promise<GameResult>;
}
