import {
  ApogeeError,
  ERROR_CODES,
  isApogeeError,
  Rng,
  buildApoItems,
  type GameData,
  type PolicyFactory,
  type Problem,
  type RewardFactory,
  type RoundCallbacks,
  type RoundReport,
  type SftLoss,
  type Tokenizer,
} from '@apogee/core';
import * as fs from 'node:fs';
import { readSamples, readScores } from './artifacts';
import type { CheckpointManifest, CheckpointStore, RunInfo } from './checkpoint';
import type { GameOptions } from './options';
import { reportStep, StopRequested, type GameModelState, type RoundWork } from './phase-runners';
import { reportFile } from './phase-runners/evaluate';
import type { RoundPlanInput } from './phases';
import { sftPolicy } from './sft-init';

/** Refuse data the game cannot play, naming each missing part. */
export function checkGameData(data: GameData, plan: RoundPlanInput, updateName: string): void {
  const problems: Problem[] = [];
  if (data.humanItems.length === 0) problems.push({ path: 'humanItems', message: 'is empty; the RM needs human preference pairs' });
  if (plan.apo && data.rmQueries.length === 0) problems.push({ path: 'rmQueries', message: 'is empty; APO samples the policy on RM queries' });
  if (plan.apo && data.golden.length === 0) problems.push({ path: 'golden', message: 'is empty; APO compares samples with golden answers' });
  if (plan.needsSamples && data.llmQueries.length === 0) problems.push({ path: 'llmQueries', message: `is empty; the "${updateName}" update needs samples of LLM queries` });
  if (problems.length > 0) {
    throw new ApogeeError(ERROR_CODES.DATA_INVALID, 'The game data cannot be played:', { problems, hint: 'Check the data source (files or world) the run was given.' });
  }
}

/** What a fresh start needs beyond the controller's options. */
export interface FreshStart {
  options: GameOptions;
  store?: CheckpointStore;
  /** `run.json`'s content: the settings a resume must agree on. */
  runInfo: RunInfo;
  data: GameData;
  callbacks: RoundCallbacks;
  policyFactory: PolicyFactory;
  tokenizer?: Tokenizer;
  sftLoss?: SftLoss;
  /** The game's RNG (`rootRng.stream('game')`). */
  gameRng: Rng;
  signal?: AbortSignal;
}

/**
 * π₀ and π_ref for a new run: `run.json` first (a run killed at any later moment is recognisable,
 * and restartable, by resume), then π₀ loaded from `policyDir` or created with the run's tokenizer,
 * fine-tuned on the data's demonstrations (`sftInit`), and frozen as the reference.
 */
export async function startFresh(s: FreshStart): Promise<GameModelState> {
  if (s.store) {
    if (s.store.hasCheckpoint() && !s.options.overwrite) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `The run directory ${s.store.dir} already holds a checkpoint.`, {
        hint: `Continue it with \`apogee resume ${s.store.runDir}\` (or game.resume), choose another outDir, or pass overwrite: true to apoGame.`,
      });
    }
    await s.store.reset();
    await s.store.writeRunInfo(s.runInfo);
  }
  const policy = s.options.policyDir
    ? await s.policyFactory.load(s.options.policyDir)
    : await s.policyFactory.create({ tokenizer: s.tokenizer!, seed: s.gameRng.stream('init/policy').seed() });
  const demos = s.data.sftDemos ?? [];
  if (s.options.sftInit.enabled && demos.length > 0) {
    if (!s.sftLoss) {
      await policy.dispose();
      throw new ApogeeError(ERROR_CODES.MISSING_PROVIDER, `The data has ${demos.length} SFT demonstrations for π₀, but no SftLoss is registered.`, {
        hint: 'Add @apogee/losses (sftLoss) to `plugins`, or pass sftInit: { enabled: false } to apoGame.',
      });
    }
    const at = { round: 0, phase: 'update-policy' as const, play: { callbacks: s.callbacks, store: s.store } };
    let done: Record<string, number> | undefined;
    try {
      done = await sftPolicy(policy, demos, s.sftLoss, s.options.sftInit, s.gameRng.stream('init/sft'), (result, total) => reportStep(at, result, total), () => s.signal?.aborted === true);
    } catch (e) {
      await policy.dispose();
      if (isApogeeError(e) && e.code === ERROR_CODES.NON_FINITE) {
        throw new ApogeeError(ERROR_CODES.NON_FINITE, `SFT of π₀ before round 1: ${e.message}`, { hint: 'Lower sftInit.lr or check the demonstrations.', cause: e });
      }
      throw e;
    }
    if (done === undefined) {
      await policy.dispose();
      throw new StopRequested();
    }
  }
  const reference = await policy.clone({ trainable: false });
  const models: GameModelState = { policy, reference, paths: { policy: 'models/reference', reference: 'models/reference' } };
  if (s.store) await s.store.saveModel('models/reference', (d) => reference.save(d));
  return models;
}

/** The models and RNG of the checkpoint in `store`, after checking it belongs to this run. */
export async function restore(
  store: CheckpointStore,
  runInfo: RunInfo,
  policyFactory: PolicyFactory,
  rewardFactory: RewardFactory,
): Promise<{ gameRng: Rng; manifest: CheckpointManifest; models: GameModelState }> {
  const manifest = store.readManifest();
  store.assertSameRun(runInfo);
  await store.cleanTemporaries();
  const policy = await policyFactory.load(store.resolve(manifest.models.policy));
  const reference = await policyFactory.load(store.resolve(manifest.models.reference));
  const rm = manifest.models.rm ? await rewardFactory.load(store.resolve(manifest.models.rm)) : undefined;
  return { gameRng: Rng.fromState(manifest.rng.game), manifest, models: { policy, reference, rm, paths: { ...manifest.models } } };
}

/**
 * The report parts of the rounds a checkpoint has finished (written by the eval phase before its
 * commit), so a resumed run's `GameResult.reports` is the uninterrupted run's. JSON keeps NaN as
 * null, as summary.json does.
 */
export function loadReports(store: CheckpointStore, rounds: readonly number[]): RoundReport[] {
  const reports: RoundReport[] = [];
  for (const round of rounds) {
    const file = store.resolve(reportFile(round));
    if (fs.existsSync(file)) reports.push(JSON.parse(fs.readFileSync(file, 'utf8')) as RoundReport);
  }
  return reports;
}

/** Rebuild a round's working set from the artifacts a checkpoint names. */
export function loadRoundWork(store: CheckpointStore, manifest: CheckpointManifest, golden: Parameters<typeof buildApoItems>[1]): RoundWork {
  const a = manifest.artifacts;
  const work: RoundWork = { artifacts: { ...a } };
  if (a.samplesRm) {
    work.samplesRm = readSamples(store.resolve(a.samplesRm));
    work.apoItems = buildApoItems(work.samplesRm, golden);
  }
  if (a.samplesLlm) work.samplesLlm = readSamples(store.resolve(a.samplesLlm));
  if (a.scores && work.samplesLlm) work.scored = readScores(store.resolve(a.scores), work.samplesLlm);
  return work;
}
