import {
  createRun,
  TOKENS,
  type PolicyModel,
  type PromptRecord,
  type Rng,
  type SampleSet,
  type TrainStepResult,
} from '@apogee/core';
import { sftLoss } from '@apogee/losses';
import { sftPolicy, type SftPolicyOptions } from '@apogee/game';
import { gptPolicy } from '@apogee/policy';
import { FusedSampler } from '@apogee/samplers';
import { byteTokenizer } from '@apogee/tokenizers';
import type { PreferenceWorld } from '@apogee/world';
import type { QuickstartPreset } from './presets';

/**
 * π₀: a fresh GPT fine-tuned on the world's mixed-quality demonstrations through the game's own
 * SFT (`sftPolicy`: cross-entropy on response tokens, AdamW, cosine decay, length-sorted batches,
 * the first `lmWarmupEpochs` passes on whole dialogues). Trained once per seed and shared by every
 * variant, so the variants differ only in what they do after π₀ (docs/decisions/0062).
 */
export async function trainInitialPolicy(
  world: PreferenceWorld,
  preset: QuickstartPreset,
  rng: Rng,
  onStep: (step: TrainStepResult, totalSteps: number) => void | Promise<void>,
  signal?: AbortSignal,
): Promise<{ policy: PolicyModel; metrics: Record<string, number> }> {
  const run = await createRun({ plugins: [byteTokenizer(), gptPolicy({ preset: 'tiny', config: preset.model }), sftLoss()] });
  try {
    const policy = await run
      .resolve(TOKENS.PolicyFactory)
      .create({ tokenizer: run.resolve(TOKENS.Tokenizer), seed: rng.stream('init').seed() });
    const { epochs, batchSize, lr, warmupSteps, lmWarmupEpochs } = preset.sft;
    const options: SftPolicyOptions = {
      epochs,
      batchSize,
      lr,
      warmupSteps,
      schedule: 'cosine',
      gradClip: 1,
      lmWarmupEpochs,
      batching: 'length',
      extraScheduleSteps: 1, // the cosine decay plans one step past the last (the measured configuration)
    };
    let metrics: Record<string, number> | undefined;
    try {
      metrics = await sftPolicy(policy, world.sftDemos(), run.resolve(TOKENS.SftLoss), options, rng.stream('order'), onStep, () => signal?.aborted === true);
      if (metrics === undefined) signal?.throwIfAborted();
    } catch (e) {
      await policy.dispose();
      throw e;
    }
    return { policy, metrics: metrics! };
  } finally {
    await run.dispose();
  }
}

/**
 * `n` samples of π₀ per prompt with the training sampler: the responses the simulated raters label
 * pairs of (the paper's human pairs are pairs of model samples).
 */
export async function samplePolicy(
  policy: PolicyModel,
  prompts: readonly PromptRecord[],
  preset: QuickstartPreset,
  n: number,
  rng: Rng,
): Promise<SampleSet[]> {
  const sampler = new FusedSampler(preset.trainSampler);
  const gens = await policy.generate(
    prompts.map((p) => p.prompt),
    { sampler, rng, n, maxNewTokens: preset.maxNewTokens, stop: ['\nHuman'] },
  );
  return prompts.map((p, i) => ({ queryId: p.queryId, prompt: p.prompt, samples: gens[i].map((g) => g.text) }));
}
