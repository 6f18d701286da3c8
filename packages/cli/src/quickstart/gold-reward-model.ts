import * as path from 'node:path';
import { writeJsonAtomic, type LossOutput, type OptimizerConfig, type PromptResponse, type RewardForward, type RewardModel, type Tokenizer, type TrainStepResult } from '@apogee/core';
import type { PreferenceWorld } from '@apogee/world';

/**
 * The world's gold reward r* dressed as a reward model, for the quickstart's oracle arm (RJS that
 * ranks its samples with the gold reward itself). It validates the world every run: if the oracle
 * cannot beat π₀ on held-out prompts, no RM-driven method can, and the world has no headroom.
 * Training is a no-op (the gold reward needs no data); the game's RM phase runs unchanged.
 */
export class GoldRewardModel implements RewardModel {
  private steps = 0;
  constructor(
    private readonly world: PreferenceWorld,
    readonly tokenizer: Tokenizer,
  ) {}

  async score(batch: readonly PromptResponse[]): Promise<Float32Array> {
    return Float32Array.from(batch, (b) => this.world.goldReward(b.prompt, b.response));
  }

  setOptimizer(_config: OptimizerConfig): void {}

  async trainStep(_loss: (forward: RewardForward) => LossOutput): Promise<TrainStepResult> {
    this.steps += 1;
    return { step: this.steps, loss: 0, gradNorm: 0, lr: 0, metrics: {} };
  }

  async clone(): Promise<RewardModel> {
    return new GoldRewardModel(this.world, this.tokenizer);
  }

  async save(dir: string): Promise<void> {
    await writeJsonAtomic(path.join(dir, 'gold-reward.json'), { kind: 'gold', world: this.world.options });
  }

  async dispose(): Promise<void> {}
}
