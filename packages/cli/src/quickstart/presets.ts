import type { GptConfig } from '@apogee/policy';
import type { SamplerOptionsInput } from '@apogee/samplers';
import type { WorldOptionsInput } from '@apogee/world';

/** The variants the quickstart plays, in the order it plays them (the paper's Table 1 rows). */
export const QUICKSTART_VARIANTS = ['golden-sft', 'rjs', 'rjs-apo', 'dpo', 'dpo-apo', 'rrhf', 'rrhf-apo'] as const;
export type QuickstartVariant = (typeof QUICKSTART_VARIANTS)[number];

/** The policy-update family of a variant (which `update` options apply). */
export const VARIANT_UPDATE: Readonly<Record<QuickstartVariant, 'goldenSft' | 'rjs' | 'dpo' | 'rrhf'>> = {
  'golden-sft': 'goldenSft',
  rjs: 'rjs',
  'rjs-apo': 'rjs',
  dpo: 'dpo',
  'dpo-apo': 'dpo',
  rrhf: 'rrhf',
  'rrhf-apo': 'rrhf',
};

/** Training settings of one policy update (the `update` options of a variant preset). */
export interface UpdateSettings {
  /** Peak learning rate, or one per round (the paper decays it: 5e-6, 2e-6, 9e-7 for 7B). */
  lr: number | number[];
  epochs: number;
  batchSize: number;
  /** `constant`: see {@link QuickstartPreset.rm}. */
  schedule: 'constant' | 'linear' | 'cosine';
}

/** Everything that sizes a quickstart: the world, the models, π₀'s SFT, the RM, the updates, evaluation. */
export interface QuickstartPreset {
  /** Rounds of the game (the paper ran 3). */
  rounds: number;
  /** The world's sizes and seed-independent knobs (the seed is the run's). */
  world: Omit<WorldOptionsInput, 'seed'>;
  /** GPT shape for π₀ (the RM copies its backbone). */
  model: Partial<Omit<GptConfig, 'vocabSize'>>;
  /** SFT of π₀ on the world's demonstrations. */
  sft: { epochs: number; batchSize: number; lr: number; warmupSteps: number; lmWarmupEpochs: number };
  /** π₀ samples per RM / test prompt that the raters label pairs of. */
  annotationSamples: number;
  /** Samples per query (RM and LLM queries; reference 4). */
  samplesPerQuery: number;
  /** Most new tokens per response (world answers are ≤ 44 bytes). */
  maxNewTokens: number;
  /** Training sampler (reference: temperature 1.2, top-p 1). */
  trainSampler: SamplerOptionsInput;
  /** Test sampler (reference: temperature 0.3, top-k 5, top-p 0.85, repetition penalty 1.05). */
  testSampler: SamplerOptionsInput;
  /** RM training per round (APO) or once (RM_Base). */
  /**
   * RM training per round (APO) or once (RM_Base). `constant` schedule: with a handful of steps per
   * round a linear decay to 0 would spend a large share of them at a near-zero rate.
   */
  rm: { lr: number; epochs: number; batchSize: number; warmupSteps: number; schedule: 'constant' | 'linear' | 'cosine' };
  /** Policy updates by family. */
  updates: Record<'goldenSft' | 'rjs' | 'dpo' | 'rrhf', UpdateSettings>;
  /** Evaluation: test prompts (0 = all) and temperature-1 samples per prompt for KL / policy pairs. */
  eval: { maxPrompts: number; policySamples: number };
}

const testSampler: SamplerOptionsInput = { temperature: 0.3, topK: 5, topP: 0.85, repetitionPenalty: 1.05 };
/**
 * Training samples at temperature 1.0, not the reference's 1.2: the reference samples a
 * well-trained 7B model; a 2-layer byte-level π₀ trained for two minutes is far less sure of itself,
 * and at 1.2 most of its samples are noise (docs/decisions/0062).
 */
const tinyTrainSampler: SamplerOptionsInput = { temperature: 1.0, topP: 1 };

/**
 * `default`: the measured configuration (docs/results.md), sized for ≤ 10 minutes per seed on two
 * CPU cores. `fast`: the same pipeline shrunk for tests and a first look (≤ 2 minutes), too small
 * for its numbers to mean anything.
 */
export const QUICKSTART_PRESETS: Readonly<Record<'fast' | 'default', QuickstartPreset>> = {
  default: {
    rounds: 3,
    world: { rmPrompts: 32, llmPrompts: 32, testPrompts: 32, sftDemos: 1200, humanPairsPerPrompt: 4, testPairsPerPrompt: 2 },
    model: { nLayer: 2, nHead: 4, nEmbd: 64, blockSize: 112 },
    sft: { epochs: 8, batchSize: 16, lr: 3e-3, warmupSteps: 20, lmWarmupEpochs: 2 },
    annotationSamples: 4,
    samplesPerQuery: 4,
    maxNewTokens: 48,
    trainSampler: tinyTrainSampler,
    testSampler,
    rm: { lr: 1e-3, epochs: 2, batchSize: 32, warmupSteps: 0, schedule: 'constant' },
    updates: {
      goldenSft: { lr: 2e-3, epochs: 3, batchSize: 16, schedule: 'constant' },
      rjs: { lr: 2e-3, epochs: 3, batchSize: 16, schedule: 'constant' },
      dpo: { lr: 1e-3, epochs: 3, batchSize: 16, schedule: 'constant' },
      rrhf: { lr: 1e-3, epochs: 2, batchSize: 8, schedule: 'constant' },
    },
    eval: { maxPrompts: 0, policySamples: 4 },
  },
  fast: {
    rounds: 2,
    world: { rmPrompts: 8, llmPrompts: 8, testPrompts: 8, sftDemos: 96, humanPairsPerPrompt: 2, testPairsPerPrompt: 1 },
    model: { nLayer: 1, nHead: 2, nEmbd: 32, blockSize: 112 },
    sft: { epochs: 1, batchSize: 32, lr: 3e-3, warmupSteps: 0, lmWarmupEpochs: 0 },
    annotationSamples: 2,
    samplesPerQuery: 2,
    maxNewTokens: 24,
    trainSampler: tinyTrainSampler,
    testSampler,
    rm: { lr: 1e-3, epochs: 1, batchSize: 16, warmupSteps: 0, schedule: 'constant' },
    updates: {
      goldenSft: { lr: 1e-3, epochs: 1, batchSize: 8, schedule: 'constant' },
      rjs: { lr: 1e-3, epochs: 1, batchSize: 8, schedule: 'constant' },
      dpo: { lr: 5e-4, epochs: 1, batchSize: 8, schedule: 'constant' },
      rrhf: { lr: 1e-3, epochs: 1, batchSize: 8, schedule: 'constant' },
    },
    eval: { maxPrompts: 0, policySamples: 2 },
  },
};
