/**
 * A tiny but real game for tests: the embedded preference world (a handful of prompts), a 1-block
 * byte-level GPT policy and reward model, the reference sampler, real losses and updates.
 */
import 'reflect-metadata';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRun, type ApoPlugin, type ApogeeConfigInput, type Run } from '@apogee/core';
import { evaluator } from '@apogee/eval';
import { apoRewardLoss, dpoLoss, rrhfLoss, sftLoss } from '@apogee/losses';
import { gptPolicy } from '@apogee/policy';
import { gptReward } from '@apogee/reward';
import { evalSampler, sampler } from '@apogee/samplers';
import { byteTokenizer } from '@apogee/tokenizers';
import { dpoUpdate, goldenSftUpdate, rjsUpdate, rrhfUpdate } from '@apogee/updates';
import { goldJudge, worldDataSource } from '@apogee/world';
import { apoGame, type GameOptionsInput } from '../src';
import { initQuietBackend } from './quiet-backend';

export const TINY_MODEL = { preset: 'tiny' as const, config: { nLayer: 1, nEmbd: 32, nHead: 2, blockSize: 128 } };

export type UpdateName = 'rjs' | 'dpo' | 'rrhf' | 'golden-sft';

export interface TinyGameOptions {
  update?: UpdateName;
  game?: GameOptionsInput;
  evaluate?: boolean;
  /** Plugins after the defaults (they override). */
  extra?: ApoPlugin[];
}

export function updatePlugins(update: UpdateName): ApoPlugin[] {
  const training = { lr: 3e-3, batchSize: 4, schedule: 'constant' as const };
  switch (update) {
    case 'rjs':
      return [rjsUpdate(training)];
    case 'dpo':
      return [dpoUpdate(training), dpoLoss()];
    case 'rrhf':
      return [rrhfUpdate(training), rrhfLoss()];
    case 'golden-sft':
      return [goldenSftUpdate(training)];
  }
}

/** The tiny game's parts a variant preset does not bring: tokenizer, policy, reward model, sampler, data. */
export function tinyGameParts(): ApoPlugin[] {
  return [byteTokenizer(), gptPolicy(TINY_MODEL), gptReward(), sampler(), worldDataSource({ seed: 3, rmPrompts: 4, llmPrompts: 4, testPrompts: 3, sftDemos: 16 })];
}

export function tinyPlugins(o: TinyGameOptions = {}): ApoPlugin[] {
  return [
    ...tinyGameParts(),
    sftLoss(),
    apoRewardLoss({ apoSampleNum: 2 }),
    ...updatePlugins(o.update ?? 'rjs'),
    apoGame({ rm: { lr: 3e-3, batchSize: 8, warmupSteps: 0, schedule: 'constant' }, sftInit: { epochs: 1, batchSize: 8, lr: 3e-3 }, ...o.game }),
    ...(o.evaluate ? [evalSampler(), goldJudge(), evaluator({ policySamples: 1, maxNewTokens: 8 })] : []),
    ...(o.extra ?? []),
  ];
}

export function tinyConfig(outDir: string, rounds = 2, seed = 11, rmInit: 'base' | 'continue' = 'base'): ApogeeConfigInput {
  return { seed, outDir, game: { rounds, samplesPerQuery: 2, maxNewTokens: 10, rmInit } };
}

export async function tinyRun(
  outDir: string,
  o: TinyGameOptions & { rounds?: number; seed?: number; rmInit?: 'base' | 'continue' } = {},
): Promise<Run> {
  await initQuietBackend();
  return createRun({ plugins: tinyPlugins(o), config: tinyConfig(outDir, o.rounds, o.seed, o.rmInit) });
}

/** sha256 of every model weight file the final checkpoint names (policy, reference, RM). */
export function weightsHash(checkpointDir: string): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(checkpointDir, 'checkpoint.json'), 'utf8'));
  const h = crypto.createHash('sha256');
  for (const rel of [manifest.models.policy, manifest.models.reference, manifest.models.rm]) {
    if (!rel) continue;
    const file = path.join(checkpointDir, rel, 'model.safetensors');
    h.update(rel).update(fs.readFileSync(file));
  }
  return h.digest('hex');
}
