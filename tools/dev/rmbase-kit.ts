// Shared pieces of the RM_Base dev probes (issue #13): a finished quickstart's π₀ and held-out
// samples, those samples pooled per prompt, and RM_Base trained exactly as the game's round-1 RM
// (same init and order streams).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRun, Rng, TOKENS, type PolicyModel, type PromptRecord, type RewardModel } from '@apogee/core';
import { trainRewardModel } from '@apogee/game';
import { ApoRewardLoss } from '@apogee/losses';
import { gptPolicy } from '@apogee/policy';
import { gptReward } from '@apogee/reward';
import { byteTokenizer } from '@apogee/tokenizers';
import type { WorldGameData } from '@apogee/world';
import { QUICKSTART_PRESETS } from '../../packages/cli/src/quickstart/presets';

export const preset = QUICKSTART_PRESETS.default;
export type HeldOut = { responses: string[][]; gold: number[][] };

/** π₀ and its held-out samples from `<dir>/units/seed-N/pi0/unit.json` and `<dir>/models/seed-N/pi0`. */
export async function openPi0(dir: string, seed: number) {
  const unit = JSON.parse(fs.readFileSync(path.join(dir, 'units', `seed-${seed}`, 'pi0', 'unit.json'), 'utf8'));
  const held = unit.result.heldOut as HeldOut;
  const run = await createRun({ plugins: [byteTokenizer(), gptPolicy({ preset: 'tiny', config: preset.model }), gptReward()] });
  const pi0 = await run.resolve(TOKENS.PolicyFactory).load(path.join(dir, 'models', `seed-${seed}`, 'pi0'));
  return { held, run, pi0 };
}

/** Each prompt's distinct samples, in order (identical texts tie in gold), with their gold. */
export function poolHeldOut(prompts: readonly PromptRecord[], held: HeldOut) {
  const pooled: { promptId: string; gold: number }[] = [];
  const texts: { prompt: string; response: string }[] = [];
  prompts.forEach((p, i) => {
    const seen = new Set<string>();
    held.responses[i].forEach((r, k) => {
      if (seen.has(r)) return;
      seen.add(r);
      pooled.push({ promptId: p.queryId, gold: held.gold[i][k] });
      texts.push({ prompt: p.prompt, response: r });
    });
  });
  return { pooled, texts };
}

/** RM_Base from π₀ on the human pairs, with the game's round-1 streams. */
export async function trainRmBase(
  run: Awaited<ReturnType<typeof createRun>>,
  pi0: PolicyModel,
  data: WorldGameData,
  seed: number,
  o: { epochs?: number; lr?: number } = {},
): Promise<RewardModel> {
  const rng = Rng.fromSeed(seed).stream('game').stream('r1/train-rm');
  const rm = await run.resolve(TOKENS.RewardFactory).fromPolicy(pi0, { seed: rng.stream('init').seed() });
  const loss = new ApoRewardLoss({ rmKlCoeff: 1, apoLossCoeff: 0, apoSampleNum: preset.samplesPerQuery, variant: 'ranking', centeringCoeff: 0 });
  const options = { weightDecay: 0, gradClip: 1, ...preset.rm, epochs: o.epochs ?? preset.rm.epochs, lr: o.lr ?? preset.rm.lr };
  await trainRewardModel(rm, data.humanItems, loss, options, rng.stream('order'), { onStep: async () => undefined, shouldStop: () => false });
  return rm;
}
