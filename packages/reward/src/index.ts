export { CausalLmReward, GptReward, SCORE_WEIGHT, type FromBackboneOptions, type GptRewardRuntimeOptions, type RewardClass } from './causal-lm-reward';
export { encodeRewardRows, readoutWeights, type RewardPooling, type RewardReadout } from './pooling';
export { gptReward, GptRewardFactory, GPT_REWARD_OPTIONS, type GptRewardOptions } from './plugin';
