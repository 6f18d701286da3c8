import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ApogeeError,
  ERROR_CODES,
  cutAtStop,
  Rng,
  TOKENS,
  type PolicyFactory,
  type PolicyModel,
  type PromptRecord,
  type PromptResponse,
  type RewardFactory,
  type RewardModel,
  type RngState,
  type Sampler,
  type SampleSet,
} from '@apogee/core';
import { componentsOf, shardRanges, type ComponentRecipe, type Executor, type TaskContext, type TaskRef } from '@apogee/executor/contract';

/**
 * The game's sampling and scoring as jobs of `@apogee/executor` (docs/concepts/scale-out.md).
 * A phase is cut into shards of `jobSize` prompts (fixed: never derived from the worker count);
 * shard `s` of a phase draws from `rng.stream('shard/s')` of the phase's stream, i.e. from
 * (run seed, round, phase, shard) only. Each job is a pure function of its JSON input (the shard's
 * prompts or rows, its RNG state and the content hash of the model snapshot it needs), so one
 * worker, two, N, or the coordinator itself give the same outputs, gathered in shard order.
 */

/** The executor the game's jobs go to, and how workers rebuild the run's components. */
export interface GameJobs {
  readonly executor: Executor;
  /** Needed by every executor but in-process (whose jobs use the coordinator's own components). */
  readonly recipe?: ComponentRecipe;
  /** Prompts per job. */
  readonly jobSize: number;
}

export { shardRanges };

/** What one sampling job needs besides the policy and sampler. */
export interface SampleShard {
  prompts: PromptRecord[];
  /** The shard's random stream (derived from run seed, round, phase and shard). */
  rng: RngState;
  /** Samples per prompt. */
  n: number;
  maxNewTokens: number;
  stop: string[];
  /** Prompts per `generate` call. */
  chunk: number;
}

/** A sampling job's input on a worker: the shard and the content hash of the policy snapshot. */
export interface SampleShardInput extends SampleShard {
  components: ComponentRecipe;
  policy: string;
}

/** n samples per prompt of the shard, `chunk` prompts per `generate` call, cut at the stop strings. */
export async function sampleShard(policy: PolicyModel, sampler: Sampler, shard: SampleShard, signal?: AbortSignal): Promise<SampleSet[]> {
  const rng = Rng.fromState(shard.rng);
  const out: SampleSet[] = [];
  for (let start = 0; start < shard.prompts.length; start += shard.chunk) {
    const part = shard.prompts.slice(start, start + shard.chunk);
    const generations = await policy.generate(
      part.map((q) => q.prompt),
      { sampler, rng, n: shard.n, maxNewTokens: shard.maxNewTokens, stop: shard.stop, signal },
    );
    part.forEach((q, i) => out.push({ queryId: q.queryId, prompt: q.prompt, samples: generations[i].map((g) => cutAtStop(g.text, shard.stop).text) }));
  }
  return out;
}

/** A scoring job: rows of (prompt, response), scored `batchSize` at a time. */
export interface ScoreShard {
  rows: PromptResponse[];
  batchSize: number;
}

export interface ScoreShardInput extends ScoreShard {
  components: ComponentRecipe;
  rm: string;
}

/** The RM's score of every row (plain numbers: JSON carries them exactly; NaN travels as null). */
export async function scoreShard(rm: RewardModel, shard: ScoreShard): Promise<Array<number | null>> {
  const out: Array<number | null> = [];
  for (let start = 0; start < shard.rows.length; start += shard.batchSize) {
    const part = await rm.score(shard.rows.slice(start, start + shard.batchSize), { batchSize: shard.batchSize });
    for (const v of part) out.push(Number.isNaN(v) ? null : v);
  }
  return out;
}

/** A model of a published snapshot, loaded once per worker (and freed when the worker's cache drops it). */
function loaded<T extends { dispose(): Promise<void> | void }>(ctx: TaskContext, kind: string, hash: string, load: (dir: string) => Promise<T>): Promise<T> {
  return ctx.cached(`${kind}:${hash}`, async () => load(await ctx.snapshot(hash)), (m) => m.dispose());
}

/** Task: {@link sampleShard} on a worker, with the run's sampler and the policy of the snapshot. */
export async function sampleShardTask(input: SampleShardInput, ctx: TaskContext): Promise<SampleSet[]> {
  const c = await componentsOf(input.components, ctx);
  const policy = await loaded(ctx, 'policy', input.policy, (dir) => c.resolve<PolicyFactory>(TOKENS.PolicyFactory).load(dir));
  return sampleShard(policy, c.resolve<Sampler>(TOKENS.Sampler), input);
}

/** Task: {@link scoreShard} on a worker, with the reward model of the snapshot. */
export async function scoreShardTask(input: ScoreShardInput, ctx: TaskContext): Promise<Array<number | null>> {
  const c = await componentsOf(input.components, ctx);
  const rm = await loaded(ctx, 'rm', input.rm, (dir) => c.resolve<RewardFactory>(TOKENS.RewardFactory).load(dir));
  return scoreShard(rm, input);
}

/** The tasks as workers find them: exports of this package. */
export const GAME_TASKS: Record<'sample' | 'score', TaskRef> = {
  sample: { module: '@apogee/game', name: 'sampleShardTask' },
  score: { module: '@apogee/game', name: 'scoreShardTask' },
};

/**
 * Publish a model for the workers: its checkpoint directory when the run keeps one (already
 * written, atomically), else a temporary save. Returns the snapshot's content hash.
 */
export async function publishModel(jobs: GameJobs, checkpointDir: string | undefined, save: (dir: string) => Promise<void>): Promise<string> {
  if (checkpointDir) return jobs.executor.publish(checkpointDir);
  const tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'apogee-publish-'));
  try {
    await save(tmp);
    return await jobs.executor.publish(tmp);
  } finally {
    await fs.promises.rm(tmp, { recursive: true, force: true });
  }
}

/** The recipe of a run whose jobs leave this process; a clear error when the run has none. */
export function recipeOf(jobs: GameJobs): ComponentRecipe {
  if (!jobs.recipe) {
    throw new ApogeeError(ERROR_CODES.MISSING_PROVIDER, `The ${jobs.executor.kind} executor runs the game's jobs in other processes, but nothing tells them how to rebuild the run's plugins.`, {
      hint: 'Register a ComponentRecipe (COMPONENT_RECIPE of @apogee/executor) beside EXECUTOR; `apogee run` does.',
    });
  }
  return jobs.recipe;
}
