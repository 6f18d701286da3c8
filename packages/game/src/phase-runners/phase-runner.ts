import {
  ApogeeError,
  ERROR_CODES,
  cutAtStop,
  type ApogeeConfig,
  type Evaluator,
  type GameData,
  type GoldenAnswer,
  type Phase,
  type PolicyModel,
  type PolicyUpdate,
  type PreferenceItem,
  type PromptRecord,
  type RewardFactory,
  type RewardLoss,
  type RewardModel,
  type RoundCallbacks,
  type RoundReport,
  type Rng,
  type Sampler,
  type SampleSet,
  type ScoredSampleSet,
  type TrainStepResult,
} from '@apogee/core';
import type { CheckpointManifest, CheckpointStore } from '../checkpoint';
import type { TaskRef } from '@apogee/executor/contract';
import { GAME_TASKS, publishModel, recipeOf, sampleShard, shardRanges, type GameJobs, type SampleShard } from '../jobs';
import type { GameOptions } from '../options';
import type { RoundPlanInput } from '../phases';

/** Thrown when the AbortSignal fires; the controller turns it into `GameResult.stopped`. */
export class StopRequested extends Error {}

/** The parts the controller was given (constructor injection), as the phases use them. */
export interface GameParts {
  readonly options: GameOptions;
  readonly config: ApogeeConfig;
  /** APO (an RM per round) or the RM_Base baseline. */
  readonly apo: boolean;
  readonly sampler: Sampler;
  readonly rewardFactory: RewardFactory;
  readonly rewardLoss: RewardLoss;
  readonly update: PolicyUpdate;
  readonly evaluator?: Evaluator;
  /** Where sampling and scoring run as jobs (`EXECUTOR` registered, as by `apogee run`); unset: inline, unsharded. */
  readonly jobs?: GameJobs;
}

/** The game's models; owned by the controller and freed by its `dispose()`. */
export interface GameModelState {
  policy: PolicyModel;
  reference: PolicyModel;
  rm?: RewardModel;
  /** Where each model's snapshot is in the checkpoint. */
  paths: CheckpointManifest['models'];
}

/** One `run`/`resume` call: the data, the plan, where events and checkpoints go. */
export interface GamePlay {
  readonly data: GameData;
  /** Golden answers with their prompts, cut at the stop strings. */
  readonly golden: GoldenAnswer[];
  readonly plan: RoundPlanInput;
  readonly callbacks: RoundCallbacks;
  readonly models: GameModelState;
  readonly store?: CheckpointStore;
  readonly signal?: AbortSignal;
  /** The report part of each round evaluated by this call. */
  readonly reports: RoundReport[];
}

/** A round's working set: what its completed phases produced (rebuilt from the checkpoint on resume). */
export interface RoundWork {
  samplesRm?: SampleSet[];
  apoItems?: PreferenceItem[];
  samplesLlm?: SampleSet[];
  scored?: ScoredSampleSet[];
  artifacts: CheckpointManifest['artifacts'];
}

/** Everything one phase may use. */
export interface PhaseContext {
  readonly round: number;
  readonly phase: Phase;
  /** The phase's own random stream. */
  readonly rng: Rng;
  readonly parts: GameParts;
  readonly play: GamePlay;
  readonly work: RoundWork;
}

/** Runs one phase of a round and returns its metrics (merged into the round's). */
export type PhaseRunner = (ctx: PhaseContext) => Promise<Record<string, number>>;

/** Where a training step happened, for its events and errors. */
export interface StepPlace {
  readonly round: number;
  readonly phase: Phase;
  readonly play: Pick<GamePlay, 'callbacks' | 'store'>;
}

/** Throw {@link StopRequested} when the run was asked to stop. */
export function stopIfAsked(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StopRequested();
}

/** What to do after a non-finite loss: resume from the last good checkpoint, when there is one. */
export function nonFiniteHint(store: CheckpointStore | undefined): string {
  return store
    ? `The last good checkpoint in ${store.dir} is kept; lower the learning rate (or check the data) and resume it: apogee resume DIR --set <plugin>.<…>.lr=VALUE.`
    : 'Lower the learning rate or check the data.';
}

/** A NON_FINITE error naming the round, phase and step whose loss is not finite. */
export function checkFinite(ctx: StepPlace, step: TrainStepResult): void {
  if (Number.isFinite(step.loss)) return;
  throw new ApogeeError(ERROR_CODES.NON_FINITE, `The loss became ${step.loss} in round ${ctx.round}, phase ${ctx.phase}, step ${step.step}.`, {
    hint: nonFiniteHint(ctx.play.store),
  });
}

/** Check one optimizer step's loss and report it to the callbacks. */
export async function reportStep(ctx: StepPlace, step: TrainStepResult, totalSteps?: number): Promise<void> {
  checkFinite(ctx, step);
  await ctx.play.callbacks.onStep({
    round: ctx.round,
    phase: ctx.phase,
    step: step.step,
    totalSteps,
    loss: step.loss,
    lr: step.lr,
    gradNorm: step.gradNorm,
    metrics: step.metrics,
  });
}

/**
 * The work units a phase's progress counts for `count` prompts: jobs when the game runs on an
 * executor (done across all workers), else prompts.
 */
export function progressUnits(parts: GameParts, count: number): number {
  return parts.jobs ? shardRanges(count, parts.jobs.jobSize).length : count;
}

/**
 * Run `shards` as jobs: in this process with its own models (in-process executor), else on the
 * executor's workers with `task` and the snapshot hash `publish` returns. Outputs in shard order;
 * progress counts finished jobs; a stop request becomes {@link StopRequested}.
 */
export async function runShards<S, O>(
  ctx: PhaseContext,
  jobs: GameJobs,
  shards: readonly S[],
  local: (shard: S) => Promise<O>,
  remote: { task: TaskRef; publish: () => Promise<Record<string, string>> },
): Promise<O[]> {
  const { round, phase, play } = ctx;
  const total = shards.length;
  let pending: Promise<void> = Promise.resolve();
  const progress = (done: number) => {
    pending = pending.then(() => play.callbacks.onProgress({ round, phase, done, total }));
  };
  try {
    if (jobs.executor.kind === 'in-process') {
      const out: O[] = [];
      for (const shard of shards) {
        stopIfAsked(play.signal);
        out.push(await local(shard));
        progress(out.length);
      }
      return out;
    }
    const components = recipeOf(jobs);
    const models = await remote.publish();
    const inputs = shards.map((shard) => ({ ...shard, components, ...models }));
    return await jobs.executor.map<typeof inputs[number], O>(remote.task, inputs, { label: `r${round}-${phase}`, signal: play.signal, onProgress: progress });
  } catch (e) {
    stopIfAsked(play.signal);
    throw e;
  } finally {
    await pending;
  }
}

/** n samples per query from the current policy, sharded into jobs of `jobSize` queries (see `jobs.ts`). */
async function sampleOnJobs(ctx: PhaseContext, jobs: GameJobs, queries: readonly PromptRecord[]): Promise<SampleSet[]> {
  const { rng, parts, play } = ctx;
  const { samplesPerQuery: n, maxNewTokens, stop } = parts.config.game;
  const shards: SampleShard[] = shardRanges(queries.length, jobs.jobSize).map(([a, b], s) => ({
    prompts: queries.slice(a, b).map((q) => ({ queryId: q.queryId, prompt: q.prompt })),
    rng: rng.stream(`shard/${s}`).getState(),
    n,
    maxNewTokens,
    stop: [...stop],
    chunk: parts.options.generateChunk,
  }));
  const { policy, paths } = play.models;
  const results = await runShards(ctx, jobs, shards, (shard) => sampleShard(policy, parts.sampler, shard, play.signal), {
    task: GAME_TASKS.sample,
    publish: async () => ({ policy: await publishModel(jobs, play.store ? play.store.resolve(paths.policy) : undefined, (d) => policy.save(d)) }),
  });
  return results.flat();
}

/** n samples per query from the current policy, `generateChunk` queries per call, responses cut at the stop strings. */
export async function samplePolicy(ctx: PhaseContext, queries: readonly PromptRecord[]): Promise<SampleSet[]> {
  const { round, phase, rng, parts, play } = ctx;
  if (parts.jobs) {
    const out = await sampleOnJobs(ctx, parts.jobs, queries);
    await play.callbacks.onSamples({ round, phase, samples: out });
    return out;
  }
  const { samplesPerQuery: n, maxNewTokens, stop } = parts.config.game;
  const chunk = parts.options.generateChunk;
  const signal = play.signal;
  const out: SampleSet[] = [];
  for (let start = 0; start < queries.length; start += chunk) {
    stopIfAsked(signal);
    const part = queries.slice(start, start + chunk);
    let generations;
    try {
      generations = await play.models.policy.generate(
        part.map((q) => q.prompt),
        { sampler: parts.sampler, rng, n, maxNewTokens, stop, signal },
      );
    } catch (e) {
      stopIfAsked(signal);
      throw e;
    }
    stopIfAsked(signal);
    part.forEach((q, i) => out.push({ queryId: q.queryId, prompt: q.prompt, samples: generations[i].map((g) => cutAtStop(g.text, stop).text) }));
    await play.callbacks.onProgress({ round, phase, done: out.length, total: queries.length });
  }
  await play.callbacks.onSamples({ round, phase, samples: out });
  return out;
}
