import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  Rng,
  TOKENS,
  type Judge,
  type PolicyFactory,
  type PolicyModel,
  type PromptRecord,
  type RewardFactory,
  type RewardModel,
  type RngState,
  type Sampler,
} from '@apogee/core';
import { componentsOf, type ComponentRecipe, type Executor, type TaskContext, type TaskRef } from '@apogee/executor/contract';
import { generateAndJudge, measurePrompts, type EvaluationSettings, type PromptMeasurements } from './evaluate-policy';

/**
 * The evaluation as jobs of `@apogee/executor` (docs/concepts/scale-out.md): the test prompts cut
 * into shards of a fixed size, shard `s` drawing from `rng.stream('shard/s')` of the evaluation's
 * stream, models named by snapshot hash. Each job measures its prompts ({@link measurePrompts});
 * the coordinator joins the shards in order and summarises, so every executor and worker count
 * gives the same report.
 */

/** One shard of an evaluation, as a job's input (the snapshot hashes are added for workers). */
export interface EvalShard {
  prompts: PromptRecord[];
  rng: RngState;
  settings: EvaluationSettings;
}

/** What travels back from a job: the measurements as plain arrays (NaN as null). */
export type WireMeasurements = { responses: string[] } & Partial<Record<'gold' | 'proxy' | 'lpPolicy' | 'lpRef' | 'ownGold' | 'ownRm', Array<number | null>>>;

const KEYS = ['gold', 'proxy', 'lpPolicy', 'lpRef', 'ownGold', 'ownRm'] as const;

export function toWire(m: PromptMeasurements): WireMeasurements {
  const out: WireMeasurements = { responses: m.responses };
  for (const k of KEYS) if (m[k]) out[k] = Array.from(m[k]!, (v) => (Number.isNaN(v) ? null : v));
  return out;
}

export function fromWire(w: WireMeasurements): PromptMeasurements {
  const arr = (k: (typeof KEYS)[number]) => (w[k] ? Float32Array.from(w[k]!, (v) => (v === null ? NaN : v)) : undefined);
  const m: PromptMeasurements = { responses: w.responses, gold: arr('gold')!, lpPolicy: arr('lpPolicy')!, lpRef: arr('lpRef')! };
  if (w.proxy) m.proxy = arr('proxy');
  if (w.ownGold && w.ownRm) {
    m.ownGold = arr('ownGold');
    m.ownRm = arr('ownRm');
  }
  return m;
}

/** The models a job names, loaded once per worker through its cache (the same keys as the game's jobs). */
function load<T extends { dispose(): Promise<void> | void }>(ctx: TaskContext, kind: 'policy' | 'rm', hash: string, factory: (dir: string) => Promise<T>): Promise<T> {
  return ctx.cached(`${kind}:${hash}`, async () => factory(await ctx.snapshot(hash)), (m) => m.dispose());
}

interface Loaded {
  judge: Judge;
  sampler: Sampler;
  policy: (hash: string) => Promise<PolicyModel>;
  rm: (hash: string) => Promise<RewardModel>;
}

async function loaded(recipe: ComponentRecipe, ctx: TaskContext): Promise<Loaded> {
  const c = await componentsOf(recipe, ctx);
  return {
    judge: c.resolve<Judge>(TOKENS.Judge),
    sampler: c.resolve<Sampler>(TOKENS.EvalSampler),
    policy: (h) => load(ctx, 'policy', h, (dir) => c.resolve<PolicyFactory>(TOKENS.PolicyFactory).load(dir)),
    rm: (h) => load(ctx, 'rm', h, (dir) => c.resolve<RewardFactory>(TOKENS.RewardFactory).load(dir)),
  };
}

/** Task: the measurements of one shard of test prompts. */
export async function evalShardTask(
  input: EvalShard & { components: ComponentRecipe; policy: string; reference: string; reward?: string },
  ctx: TaskContext,
): Promise<WireMeasurements> {
  const l = await loaded(input.components, ctx);
  const m = await measurePrompts({
    policy: await l.policy(input.policy),
    reference: await l.policy(input.reference),
    reward: input.reward ? await l.rm(input.reward) : undefined,
    judge: l.judge,
    sampler: l.sampler,
    prompts: input.prompts,
    rng: Rng.fromState(input.rng),
    settings: input.settings,
  });
  return toWire(m);
}

/** Task: the gold scores of the baseline's (π₀'s) test responses to one shard of prompts. */
export async function baselineShardTask(input: EvalShard & { components: ComponentRecipe; reference: string }, ctx: TaskContext): Promise<Array<number | null>> {
  const l = await loaded(input.components, ctx);
  const { gold } = await generateAndJudge(await l.policy(input.reference), input.prompts, l.judge, l.sampler, Rng.fromState(input.rng), input.settings);
  return Array.from(gold, (v) => (Number.isNaN(v) ? null : v));
}

export const EVAL_TASKS: Record<'measure' | 'baseline', TaskRef> = {
  measure: { module: '@apogee/eval', name: 'evalShardTask' },
  baseline: { module: '@apogee/eval', name: 'baselineShardTask' },
};

/** Save a model into a temporary directory and publish it; returns the snapshot's hash. */
export async function publishSaved(executor: Executor, model: { save(dir: string): Promise<void> }): Promise<string> {
  const tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'apogee-publish-'));
  try {
    await model.save(tmp);
    return await executor.publish(tmp);
  } finally {
    await fs.promises.rm(tmp, { recursive: true, force: true });
  }
}
