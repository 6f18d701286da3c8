import * as fs from 'node:fs';
import * as path from 'node:path';
import 'reflect-metadata';
import { ApogeeError, createRun, ERROR_CODES, minibatchSteps, Rng, TOKENS, writeJsonAtomic, type ApoPlugin, type PreferenceItem, type RewardModel, type Run, type SampleSet } from '@apogee/core';
import { readAnyPreferenceFile, readPrompts, writeSampleSets } from '@apogee/data';
import { rmTrainingSchema, trainRewardModel } from '@apogee/game';
import { rankingLoss } from '@apogee/losses';
import { gptPolicy, hfPolicy, type GptPresetName } from '@apogee/policy';
import { gptReward } from '@apogee/reward';
import { initBackend } from '@apogee/runtime';
import { generateOptions, SAMPLING_PRESETS } from '@apogee/samplers';
import { byteTokenizer, ChatTemplate, type ChatMessage } from '@apogee/tokenizers';
import type { CommandContext } from '../context';
import { MetricsWriter } from '../metrics/metrics-writer';
import { createProgress } from '../progress/progress';
import { writeReport } from '../report/render-report';
import { claimOutDir } from '../run/run-dir';
import { evaluateRewardModel, type RmEvaluation } from './rm-eval';
import { reliabilityRows } from '@apogee/eval';

function progressLogger(ctx: CommandContext) {
  return { info: (m: string) => ctx.io.err(`${m}\n`), warn: (m: string) => ctx.io.err(`warning: ${m}\n`), debug: () => undefined };
}

async function readItems(file: string, max?: number): Promise<PreferenceItem[]> {
  // train-rm/eval-rm have no skip option: the hint must not suggest one.
  const { items } = await readAnyPreferenceFile(file, { skipHint: null });
  return max ? items.slice(0, max) : items;
}

export interface TrainRmOptions {
  train: string;
  eval: string;
  out: string;
  base?: string;
  preset: string;
  blockSize: number;
  epochs: number;
  batchSize: number;
  lr: number;
  maxPairs?: number;
  maxEval?: number;
  seed: number;
  report: boolean;
}

/**
 * The models of the model commands come from the same plugins a run uses (byte tokenizer, GPT
 * policy, GPT reward model), through `TOKENS.PolicyFactory` / `TOKENS.RewardFactory`.
 */
function modelRun(seed: number, policy: { preset?: string; blockSize?: number } = {}, extra: ApoPlugin[] = []) {
  const shape = { ...(policy.preset ? { preset: policy.preset as GptPresetName } : {}), ...(policy.blockSize ? { config: { blockSize: policy.blockSize } } : {}) };
  return createRun({ plugins: [byteTokenizer(), gptPolicy(shape), gptReward(), ...extra], config: { seed } });
}

/**
 * A fresh reward model: on the backbone of the policy in `base`, or on a fresh policy of the
 * preset's shape; either way `RewardFactory.fromPolicy` adds a head from `seed`.
 */
async function newRewardModel(run: Run, o: Pick<TrainRmOptions, 'base' | 'seed'>): Promise<RewardModel> {
  const policies = run.resolve(TOKENS.PolicyFactory);
  const policy = o.base ? await policies.load(o.base) : await policies.create({ tokenizer: run.resolve(TOKENS.Tokenizer), seed: o.seed });
  try {
    return await run.resolve(TOKENS.RewardFactory).fromPolicy(policy, { seed: o.seed });
  } finally {
    await policy.dispose();
  }
}

/** `apogee train-rm`: Bradley–Terry training (ranking-loss) of a GPT reward model, then evaluation. */
export async function trainRm(o: TrainRmOptions, ctx: CommandContext) {
  // Only a new or empty folder, or one apogee made: never write into the user's model/ (issue 17).
  claimOutDir(o.out, 'train-rm', path.relative(ctx.io.cwd, o.out) || o.out);
  await initBackend({ logger: progressLogger(ctx) });
  const trainItems = await readItems(o.train, o.maxPairs);
  const evalItems = await readItems(o.eval, o.maxEval);
  const run = await modelRun(o.seed, { preset: o.preset, blockSize: o.blockSize }, [rankingLoss()]);
  let rm: RewardModel | undefined;
  const progress = createProgress(ctx.io);
  try {
    rm = await newRewardModel(run, o);
    const loss = run.resolve(TOKENS.RewardLoss);
    const metrics = new MetricsWriter(o.out);
    const options = rmTrainingSchema.parse({ lr: o.lr, epochs: o.epochs, batchSize: o.batchSize, warmupSteps: 10 });
    const total = minibatchSteps(trainItems.length, options);
    const task = progress.task(`train-rm (${trainItems.length} items)`, total);
    let step = 0;
    const trained = await trainRewardModel(rm, trainItems, loss, options, Rng.fromSeed(o.seed).stream('train-rm'), {
      onStep: async (result, totalSteps) => {
        step += 1;
        if (!Number.isFinite(result.loss)) {
          throw new ApogeeError(ERROR_CODES.NON_FINITE, `The reward-model loss became ${result.loss} at step ${step}.`, { hint: 'Lower --lr or check the data for empty or duplicate responses.' });
        }
        metrics.onStep({ round: 1, phase: 'train-rm', step, totalSteps, loss: result.loss, lr: result.lr, gradNorm: result.gradNorm, metrics: result.metrics });
        task.update(step, totalSteps, { loss: result.loss });
      },
      shouldStop: () => ctx.signal.aborted,
    });
    if (!trained) throw new ApogeeError(ERROR_CODES.ABORTED, 'Training was stopped before it finished; nothing was saved.', { hint: 'Run the command again (it starts over).' });
    task.finish(`loss ${trained['rm/loss']?.toFixed(3)}`);
    const evalTask = progress.task(`eval-rm (${evalItems.length} items)`, evalItems.length);
    const e = await evaluateRewardModel(rm, evalItems, { onProgress: (done) => evalTask.update(done) });
    evalTask.finish(`accuracy ${e.accuracy.toFixed(3)}`);
    metrics.write({ event: 'round-end', round: 1, metrics: { accuracy: e.accuracy, ece: e.ece, ace: e.ace, mce: e.mce, pairs: e.pairs, ...trained } });
    const modelDir = path.join(o.out, 'model');
    await rm.save(modelDir);
    const summary = {
      accuracy: e.accuracy,
      ece: e.ece,
      ace: e.ace,
      mce: e.mce,
      pairs: e.pairs,
      orderedPairs: e.orderedPairs,
      items: e.items,
      trainItems: trainItems.length,
      train: o.train,
      eval: o.eval,
      reliability: { rm: reliabilityRows(e.bins) },
    };
    await writeJsonAtomic(path.join(o.out, 'summary.json'), summary);
    const reportFile = o.report ? await writeReport(o.out) : undefined;
    return { summary, modelDir, reportFile };
  } finally {
    progress.stop();
    await rm?.dispose();
    await run.dispose();
  }
}

/** `apogee eval-rm`: accuracy and calibration of a saved reward model on a preference file. */
export async function evalRm(o: { model: string; data: string; maxPairs?: number }, ctx: CommandContext): Promise<Omit<RmEvaluation, 'bins'> & { reliability: ReturnType<typeof reliabilityRows> }> {
  await initBackend({ logger: progressLogger(ctx) });
  const items = await readItems(o.data, o.maxPairs);
  const run = await modelRun(0);
  const rm = await run.resolve(TOKENS.RewardFactory).load(o.model).catch(async (e: unknown) => {
    await run.dispose();
    throw e;
  });
  const progress = createProgress(ctx.io);
  try {
    const task = progress.task(`eval-rm (${items.length} items)`, items.length);
    const { bins, ...e } = await evaluateRewardModel(rm, items, { onProgress: (done) => task.update(done) });
    task.finish();
    return { ...e, reliability: reliabilityRows(bins) };
  } finally {
    progress.stop();
    await rm.dispose();
    await run.dispose();
  }
}

/**
 * The chat template `apogee sample` formats prompts with: `chatTemplate` false: none; a path: that
 * `tokenizer_config.json` (or model directory); undefined: the model directory's, when its
 * `tokenizer_config.json` has a `chat_template` (GPT-2 policies apogee writes have none).
 */
export function sampleChatTemplate(model: string, chatTemplate: string | false | undefined): ChatTemplate | null {
  if (chatTemplate === false) return null;
  if (typeof chatTemplate === 'string') return ChatTemplate.load(chatTemplate);
  const file = path.join(model, 'tokenizer_config.json');
  if (!fs.existsSync(file)) return null;
  let config: unknown;
  try {
    config = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: cannot read the tokenizer config (${(e as Error).message}).`, { cause: e });
  }
  return typeof config === 'object' && config !== null && !Array.isArray(config) ? ChatTemplate.fromTokenizerConfig(config as Record<string, unknown>, file) : null;
}

/**
 * `apogee sample`: n samples per prompt from a saved policy (any supported architecture), seeded.
 * With a chat template, message-list prompts are rendered by it and text prompts become one user
 * turn; the samples file's `query` is the formatted prompt (what the samples continue).
 */
export async function sample(
  o: { model: string; prompts: string; num: number; preset: string; temperature?: number; maxNewTokens: number; seed: number; out?: string; chatTemplate?: string | false },
  ctx: CommandContext,
): Promise<void> {
  const preset = SAMPLING_PRESETS[o.preset as 'training' | 'test'];
  if (!preset) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `--preset must be one of ${Object.keys(SAMPLING_PRESETS).join(', ')}; got "${o.preset}".`);
  }
  await initBackend({ logger: progressLogger(ctx) });
  const template = sampleChatTemplate(o.model, o.chatTemplate);
  // Prompts the template rendered (message lists); the others are text, sent as one user turn.
  const rendered = new Set<string>();
  const chat = template && {
    prompt: (m: readonly ChatMessage[]) => {
      const p = template.prompt(m);
      rendered.add(p);
      return p;
    },
    completion: (m: readonly ChatMessage[], r: readonly ChatMessage[]) => template.completion(m, r),
  };
  const read = await readPrompts(o.prompts, chat ? { skipHint: null, chat, wrapTextPrompts: false } : { skipHint: null });
  const prompts = read.records.map((p) => (template && !rendered.has(p.prompt) ? { ...p, prompt: template.prompt([{ role: 'user', content: p.prompt }]) } : p));
  // hf-policy's factory loads any supported architecture (GPT-2 or Llama-family) from its folder.
  const run = await createRun({ plugins: [byteTokenizer(), hfPolicy()], config: { seed: o.seed } });
  const policy = await run.resolve(TOKENS.PolicyFactory).load(o.model).catch(async (e: unknown) => {
    await run.dispose();
    throw e;
  });
  const progress = createProgress(ctx.io);
  try {
    const settings = { ...preset, sampler: { ...preset.sampler, ...(o.temperature !== undefined ? { temperature: o.temperature } : {}) } };
    const rng = Rng.fromSeed(o.seed).stream('sample');
    const task = progress.task(`sample (${prompts.length} prompts × ${o.num})`, prompts.length);
    const sets: SampleSet[] = [];
    const chunk = 16;
    for (let start = 0; start < prompts.length; start += chunk) {
      if (ctx.signal.aborted) throw new ApogeeError(ERROR_CODES.ABORTED, 'Sampling was stopped; nothing was written.');
      const part = prompts.slice(start, start + chunk);
      const gens = await policy.generate(
        part.map((p) => p.prompt),
        generateOptions(settings, rng.stream(`chunk-${start}`), { n: o.num, maxNewTokens: o.maxNewTokens, signal: ctx.signal }),
      );
      part.forEach((p, i) => sets.push({ queryId: p.queryId, prompt: p.prompt, samples: gens[i].map((g) => g.text) }));
      task.update(Math.min(start + chunk, prompts.length));
    }
    task.finish();
    if (o.out) {
      await writeSampleSets(o.out, sets);
      ctx.io.err(`Wrote ${sets.length} prompts × ${o.num} samples to ${o.out}\n`);
    } else {
      for (const s of sets) {
        const rec: Record<string, string> = { query_id: s.queryId, query: s.prompt };
        s.samples.forEach((text, i) => (rec[`sample_${i}`] = text));
        ctx.io.out(`${JSON.stringify(rec)}\n`);
      }
    }
  } finally {
    progress.stop();
    await policy.dispose();
    await run.dispose();
  }
}

