import {
  ApogeeError,
  ERROR_CODES,
  parseWithSchema,
  Rng,
  type GameData,
  type GoldenAnswer,
  type PreferenceItem,
  type PromptRecord,
  type PromptResponse,
  type SampleSet,
} from '@apogee/core';
import { z } from 'zod';
import { BradleyTerryAnnotator, DEFAULT_ANNOTATOR_OPTIONS, type AnnotatorOptions } from './annotator';
import { DEFAULT_GOLD_OPTIONS, goldBreakdown, type GoldBreakdown, type GoldRewardOptions } from './gold-reward';
import { DEFAULT_ANNOTATION_STYLE_WEIGHTS, DEFAULT_STYLE_WEIGHTS, goldenResponse, RESPONSE_STYLES, sampleResponse, type ResponseStyle } from './responses';
import { enumerateInstances, formatPrompt, instanceForPrompt, TASK_NAMES, taskArguments, type TaskInstance, type TaskName } from './tasks';

/** Options of the world. Every field has a default; sizes are numbers of distinct prompts. */
export interface WorldOptions {
  /** Seed of the world's own random streams (splits, demonstrations, annotators). Default 1. */
  seed: number;
  /** Tasks to draw questions from. Default: all of {@link TASK_NAMES}. */
  tasks: TaskName[];
  /**
   * Distinct arguments (facts) per task, drawn per seed: `8` keeps 8 digit pairs for `add`, 8 words
   * for `reverse`, … (the weekday tasks have 7). Every fact is asked in all of its task's phrasings,
   * and the splits are drawn over those prompts, so a held-out test prompt usually asks a fact that
   * training shows in other words. Unset: every argument (100 digit pairs, 48 words, 7 days).
   */
  argumentsPerTask?: number;
  /** RM queries (each with a golden answer and human pairs): the paper's RM split. Default 160. */
  rmPrompts: number;
  /** LLM queries the policy is optimised on: the paper's LLM split. Default 160. */
  llmPrompts: number;
  /** Test prompts: never RM or LLM queries, so the game never trains on them. Default 64. */
  testPrompts: number;
  /** SFT demonstrations for π₀, drawn on every non-test prompt (every prompt with `sftOnTestPrompts`). Default 1200. */
  sftDemos: number;
  /**
   * Let π₀'s SFT demonstrations (mixed quality, like all of them) cover the test prompts too.
   * Default false: test prompts are held out from everything. `true` holds them out of the game only
   * (no RM item, APO sample or policy update ever uses them), the way a pretrained LM has seen the
   * facts a test question asks about but the alignment stage has not seen the question: a tiny
   * from-scratch π₀ cannot learn a fact it was never shown (docs/decisions/0063).
   */
  sftOnTestPrompts: boolean;
  /**
   * Annotated pairs per RM query (D_P). Default 4. Labels are free here, and an RM needs a few
   * hundred pairs to beat chance (Gao et al. 2022): the quickstart uses 6 × 64 = 384.
   */
  humanPairsPerPrompt: number;
  /** Annotated pairs per test prompt (held-out human pairs, same annotation distribution). Default 4. */
  testPairsPerPrompt: number;
  /** Mixture of response styles of π₀'s SFT demonstrations (its behaviour distribution). */
  styleWeights: Record<ResponseStyle, number>;
  /**
   * Mixture of response styles of the annotation distribution: the responses of "other models"
   * that the human pairs compare (off-policy for π₀, as the paper's HH pairs are). It never
   * rambles by default (docs/concepts/world.md).
   */
  annotationStyleWeights: Record<ResponseStyle, number>;
  /** The simulated raters (Bradley–Terry on the gold reward, optionally length-biased). */
  annotator: AnnotatorOptions;
  /** The gold reward's knobs. */
  gold: GoldRewardOptions;
}

const positive = z.number().finite().positive();
const styleWeightsSchema = z
  .object(Object.fromEntries(RESPONSE_STYLES.map((s) => [s, z.number().finite().min(0)])) as Record<ResponseStyle, z.ZodNumber>)
  .strict()
  .refine((w) => Object.values(w).some((v) => v > 0), { message: 'needs at least one positive weight' });
export const worldOptionsSchema = z
  .object({
    seed: z.number().int().min(0).max(0xffffffff),
    tasks: z.array(z.enum(TASK_NAMES)).min(1),
    argumentsPerTask: z.number().int().min(1).optional(),
    rmPrompts: z.number().int().min(1),
    llmPrompts: z.number().int().min(1),
    testPrompts: z.number().int().min(1),
    sftDemos: z.number().int().min(1),
    sftOnTestPrompts: z.boolean(),
    humanPairsPerPrompt: z.number().int().min(1).max(16),
    testPairsPerPrompt: z.number().int().min(1).max(16),
    styleWeights: styleWeightsSchema,
    annotationStyleWeights: styleWeightsSchema,
    annotator: z.object({ rationality: z.number().finite().min(0), raterBias: z.number().finite(), lengthScale: positive, maxLength: positive }).strict(),
    gold: z
      .object({ styleWeight: z.number().min(0).max(1), courtesy: z.array(z.number().min(0).max(1)).min(1), hedgeCredit: z.number().min(0).max(1) })
      .strict(),
  })
  .strict();

export const DEFAULT_WORLD_OPTIONS: Readonly<WorldOptions> = {
  seed: 1,
  tasks: [...TASK_NAMES],
  rmPrompts: 160,
  llmPrompts: 160,
  testPrompts: 64,
  sftDemos: 1200,
  sftOnTestPrompts: false,
  humanPairsPerPrompt: 4,
  testPairsPerPrompt: 4,
  styleWeights: { ...DEFAULT_STYLE_WEIGHTS },
  annotationStyleWeights: { ...DEFAULT_ANNOTATION_STYLE_WEIGHTS },
  annotator: { ...DEFAULT_ANNOTATOR_OPTIONS },
  gold: { ...DEFAULT_GOLD_OPTIONS },
};

/** Options as a user writes them: every field optional, nested objects merged with the defaults. */
export type WorldOptionsInput = Partial<Omit<WorldOptions, 'styleWeights' | 'annotationStyleWeights' | 'annotator' | 'gold'>> & {
  styleWeights?: Partial<Record<ResponseStyle, number>>;
  annotationStyleWeights?: Partial<Record<ResponseStyle, number>>;
  annotator?: Partial<AnnotatorOptions>;
  gold?: Partial<GoldRewardOptions>;
};

/** Merge with the defaults and validate; errors name each bad field. */
export function resolveWorldOptions(input: WorldOptionsInput = {}): WorldOptions {
  const merged = {
    ...DEFAULT_WORLD_OPTIONS,
    ...input,
    styleWeights: { ...DEFAULT_WORLD_OPTIONS.styleWeights, ...input.styleWeights },
    annotationStyleWeights: { ...DEFAULT_WORLD_OPTIONS.annotationStyleWeights, ...input.annotationStyleWeights },
    annotator: { ...DEFAULT_WORLD_OPTIONS.annotator, ...input.annotator },
    gold: { ...DEFAULT_WORLD_OPTIONS.gold, ...input.gold },
  };
  return parseWithSchema(worldOptionsSchema, merged, {
    code: ERROR_CODES.PLUGIN_OPTIONS_INVALID,
    what: 'The world options',
    hint: 'See WorldOptions in @apogee/world for every field and its default.',
  }) as WorldOptions;
}

/** Game data plus the world's optional extras, all present. */
export type WorldGameData = GameData & Required<Pick<GameData, 'testQueries' | 'testItems' | 'sftDemos'>>;

/** Samples to annotate instead of the world's annotation distribution (e.g. a policy's samples: on-policy labels). */
export interface AnnotationPools {
  /** Samples for the RM queries (matched by `queryId`, else by prompt); ≥ 2 distinct per query to be used. */
  humanSamples?: readonly SampleSet[];
  /** Samples for the test prompts. */
  testSamples?: readonly SampleSet[];
}

/**
 * A synthetic preference world with a known gold reward: prompts from small computable tasks, a
 * gold reward r* ∈ [0, 1] (correctness and a shared style, courtesy, with an interior optimum),
 * mixed-quality SFT demonstrations (π₀'s behaviour distribution), human pairs from a separate
 * annotation distribution labelled by noisy-gold Bradley–Terry raters, golden answers in the
 * policy's own frame, and disjoint RM / LLM / test splits. Deterministic for a given seed. It
 * never knows which variant is played.
 */
export class PreferenceWorld {
  readonly options: WorldOptions;
  readonly annotator: BradleyTerryAnnotator;
  private readonly rng: Rng;
  private readonly splits: { rm: TaskInstance[]; llm: TaskInstance[]; test: TaskInstance[]; sft: TaskInstance[] };

  constructor(options: WorldOptionsInput = {}) {
    this.options = resolveWorldOptions(options);
    this.rng = Rng.fromSeed(this.options.seed, 'world');
    this.annotator = new BradleyTerryAnnotator((p, r) => this.goldReward(p, r), this.options.annotator);
    const all = this.rng.stream('split').shuffle(enumerateInstances(this.options.tasks, this.chooseArguments()));
    const { rmPrompts, llmPrompts, testPrompts } = this.options;
    const needed = rmPrompts + llmPrompts + testPrompts;
    if (needed > all.length) {
      throw new ApogeeError(
        ERROR_CODES.PLUGIN_OPTIONS_INVALID,
        `The world options ask for ${needed} distinct prompts (rmPrompts ${rmPrompts} + llmPrompts ${llmPrompts} + testPrompts ${testPrompts}), but the tasks [${this.options.tasks.join(', ')}]${this.options.argumentsPerTask === undefined ? '' : ` with ${this.options.argumentsPerTask} arguments each`} have only ${all.length}.`,
        { hint: 'Lower rmPrompts, llmPrompts or testPrompts, or add tasks (or raise argumentsPerTask).' },
      );
    }
    const test = all.slice(0, testPrompts);
    const rm = all.slice(testPrompts, testPrompts + rmPrompts);
    const llm = all.slice(testPrompts + rmPrompts, needed);
    this.splits = { test, rm, llm, sft: this.options.sftOnTestPrompts ? all : all.slice(testPrompts) };
  }

  /** Each task's arguments: all of them, or `argumentsPerTask` drawn from the `facts` stream. */
  private chooseArguments(): Partial<Record<TaskName, readonly string[]>> | undefined {
    const n = this.options.argumentsPerTask;
    if (n === undefined) return undefined;
    const rng = this.rng.stream('facts');
    return Object.fromEntries(this.options.tasks.map((t) => [t, rng.shuffle([...taskArguments(t)]).slice(0, n)]));
  }

  /** The gold reward r*(prompt, response) ∈ [0, 1]. Throws for prompts that are not the world's. */
  goldReward(prompt: string, response: string): number {
    return this.goldBreakdown(prompt, response).reward;
  }

  /** The gold reward's parts (correctness, courtesy phrases, style). */
  goldBreakdown(prompt: string, response: string): GoldBreakdown {
    const instance = instanceForPrompt(prompt);
    if (!instance) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `The gold reward can only judge the world's own prompts; this prompt is not one: ${JSON.stringify(prompt.slice(0, 80))}.`);
    }
    return goldBreakdown(instance, response, this.options.gold);
  }

  /** RM queries (the paper's RM split); ids `rm-0000`, … */
  rmQueries(): PromptRecord[] {
    return records('rm', this.splits.rm);
  }

  /** LLM queries (the paper's LLM split); ids `llm-0000`, … */
  llmQueries(): PromptRecord[] {
    return records('llm', this.splits.llm);
  }

  /** Held-out test prompts; ids `test-0000`, … */
  testQueries(): PromptRecord[] {
    return records('test', this.splits.test);
  }

  /**
   * Golden answers for the RM queries: correct, with one courtesy phrase, in the phrases and frames
   * of π₀'s own demonstrations (gold reward 1).
   */
  golden(): GoldenAnswer[] {
    const rng = this.rng.stream('golden');
    return this.splits.rm.map((inst, i) => ({ queryId: id('rm', i), prompt: formatPrompt(inst.question), golden: goldenResponse(inst, rng) }));
  }

  /** Mixed-quality SFT demonstrations on every non-test prompt (or every prompt, `sftOnTestPrompts`), drawn from the style mixture. */
  sftDemos(): PromptResponse[] {
    const rng = this.rng.stream('sft');
    const pool = this.splits.sft;
    const out: PromptResponse[] = [];
    for (let i = 0; i < this.options.sftDemos; i++) {
      const inst = pool[i < pool.length ? i : rng.int(pool.length)];
      out.push({ prompt: formatPrompt(inst.question), response: sampleResponse(inst, this.options.styleWeights, rng).response });
    }
    return rng.shuffle(out);
  }

  /**
   * Human preference items D_P on the RM queries: pairs labelled by the simulated raters. The pairs
   * come from the annotation distribution (`annotationStyleWeights`: off-policy for π₀, as HH is
   * for the paper's models), or from `samples` (on-policy labels) when given.
   */
  humanItems(samples?: readonly SampleSet[]): PreferenceItem[] {
    return this.annotate(this.splits.rm, 'rm', this.options.humanPairsPerPrompt, samples, 'human');
  }

  /** Held-out human items on the test prompts, labelled the same way (held-out raters). */
  testItems(samples?: readonly SampleSet[]): PreferenceItem[] {
    return this.annotate(this.splits.test, 'test', this.options.testPairsPerPrompt, samples, 'test');
  }

  /** Everything the game and the evaluator need. */
  gameData(pools: AnnotationPools = {}): WorldGameData {
    return {
      humanItems: this.humanItems(pools.humanSamples),
      rmQueries: this.rmQueries(),
      golden: this.golden(),
      llmQueries: this.llmQueries(),
      testQueries: this.testQueries(),
      testItems: this.testItems(pools.testSamples),
      sftDemos: this.sftDemos(),
    };
  }

  /**
   * Fresh rater labels on pairs of the given samples (e.g. the current policy's: what the
   * fresh-labels RM of the quickstart trains on, the upper bound APO approaches without new labels).
   * `pairsPerPrompt` pairs of distinct samples per set, labelled by the world's raters; sets with
   * fewer than two distinct samples give none. Deterministic for the world's seed and `stream`.
   */
  labelSamples(sets: readonly SampleSet[], pairsPerPrompt: number, stream: string): PreferenceItem[] {
    const pairRng = this.rng.stream(`${stream}-pairs`);
    const raterRng = this.rng.stream(`${stream}-raters`);
    const items: PreferenceItem[] = [];
    for (const set of sets) {
      const pool = [...new Set(set.samples)];
      if (pool.length < 2) continue;
      for (let k = 0; k < pairsPerPrompt; k++) {
        const ia = pairRng.int(pool.length);
        const ib = (ia + 1 + pairRng.int(pool.length - 1)) % pool.length;
        const [a, b] = [pool[ia], pool[ib]];
        const first = this.annotator.prefersFirst(set.prompt, a, b, raterRng);
        items.push({ id: `${set.queryId}#${k}`, prompt: set.prompt, responses: [a, b], scores: first ? [1, 0] : [0, 1], kind: 'human' });
      }
    }
    return items;
  }

  private annotate(
    instances: readonly TaskInstance[],
    split: string,
    pairsPerPrompt: number,
    samples: readonly SampleSet[] | undefined,
    stream: string,
  ): PreferenceItem[] {
    const pairRng = this.rng.stream(`${stream}-pairs`);
    const raterRng = this.rng.stream(`${stream}-raters`);
    const byId = new Map<string, string[]>();
    const byPrompt = new Map<string, string[]>();
    for (const s of samples ?? []) {
      byId.set(s.queryId, s.samples);
      byPrompt.set(s.prompt, s.samples);
    }
    const items: PreferenceItem[] = [];
    instances.forEach((inst, i) => {
      const queryId = id(split, i);
      const prompt = formatPrompt(inst.question);
      const pool = [...new Set(byId.get(queryId) ?? byPrompt.get(prompt) ?? [])];
      for (let k = 0; k < pairsPerPrompt; k++) {
        let a: string;
        let b: string;
        if (pool.length >= 2) {
          const ia = pairRng.int(pool.length);
          const ib = (ia + 1 + pairRng.int(pool.length - 1)) % pool.length;
          [a, b] = [pool[ia], pool[ib]];
        } else {
          const weights = this.options.annotationStyleWeights;
          a = sampleResponse(inst, weights, pairRng).response;
          b = a;
          for (let tries = 0; tries < 16 && b === a; tries++) b = sampleResponse(inst, weights, pairRng).response;
        }
        const first = this.annotator.prefersFirst(prompt, a, b, raterRng);
        items.push({ id: `${queryId}#${k}`, prompt, responses: [a, b], scores: first ? [1, 0] : [0, 1], kind: 'human' });
      }
    });
    return items;
  }
}

function id(split: string, i: number): string {
  return `${split}-${String(i).padStart(4, '0')}`;
}

function records(split: string, instances: readonly TaskInstance[]): PromptRecord[] {
  return instances.map((inst, i) => ({ queryId: id(split, i), prompt: formatPrompt(inst.question) }));
}
