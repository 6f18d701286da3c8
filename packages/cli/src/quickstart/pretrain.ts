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
import { gptPolicy } from '@apogee/policy';
import { ComposableSampler } from '@apogee/samplers';
import { byteTokenizer } from '@apogee/tokenizers';
import type { PreferenceWorld } from '@apogee/world';
import type { QuickstartPreset } from './presets';

/**
 * π₀: a fresh GPT fine-tuned on the world's mixed-quality demonstrations (cross-entropy on
 * response tokens, AdamW, cosine decay). Trained once per seed and shared by every variant, so
 * the variants differ only in what they do after π₀ (docs/decisions/0062).
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
    const loss = run.resolve(TOKENS.SftLoss);
    const demos = world.sftDemos();
    // `lmWarmupEpochs` first passes train on whole dialogues (prompt tokens too): many more targets
    // per sequence for a model that starts from nothing; the rest is ordinary SFT on responses.
    const asLm = demos.map((d) => ({ prompt: '', response: d.prompt + d.response }));
    const { epochs, batchSize, lr, warmupSteps, lmWarmupEpochs } = preset.sft;
    const totalSteps = Math.ceil(demos.length / batchSize) * epochs;
    policy.setOptimizer({ lr, warmupSteps: Math.min(warmupSteps, totalSteps), totalSteps: totalSteps + 1, schedule: 'cosine', gradClip: 1 });
    const order = rng.stream('order');
    let last = { loss: NaN, n: 0 };
    for (let epoch = 0; epoch < epochs; epoch++) {
      const source = epoch < lmWarmupEpochs ? asLm : demos;
      last = { loss: 0, n: 0 };
      for (const batchIdx of lengthBatches(source.map((d) => d.prompt.length + d.response.length), batchSize, order)) {
        signal?.throwIfAborted();
        const batch = batchIdx.map((i) => source[i]);
        const result = await policy.trainStep((forward) => loss.compute({ logProbs: forward.responseLogProbs(batch) }));
        last.loss += result.loss;
        last.n += 1;
        await onStep(result, totalSteps);
      }
    }
    return { policy, metrics: { 'sft/loss': last.loss / Math.max(last.n, 1), 'sft/steps': totalSteps, 'sft/demos': demos.length } };
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
  const sampler = new ComposableSampler(preset.trainSampler);
  const gens = await policy.generate(
    prompts.map((p) => p.prompt),
    { sampler, rng, n, maxNewTokens: preset.maxNewTokens, stop: ['\nHuman'] },
  );
  return prompts.map((p, i) => ({ queryId: p.queryId, prompt: p.prompt, samples: gens[i].map((g) => g.text) }));
}

/**
 * Shuffled minibatches of similar length (less padding, so less compute): shuffle, sort within
 * windows of 8 batches by length, cut into batches, shuffle the batches.
 */
export function lengthBatches(lengths: readonly number[], batchSize: number, rng: Rng): number[][] {
  const idx = rng.shuffle(lengths.map((_, i) => i));
  const window = batchSize * 8;
  const batches: number[][] = [];
  for (let w = 0; w < idx.length; w += window) {
    const part = idx.slice(w, w + window).sort((a, b) => lengths[a] - lengths[b]);
    for (let b = 0; b < part.length; b += batchSize) batches.push(part.slice(b, b + batchSize));
  }
  return rng.shuffle(batches);
}
