export { GPT_PRESETS, gptConfig, checkGptConfig, toHfConfig, fromHfConfig, type GptConfig, type GptPresetName } from './config';
export {
  LLAMA_PRESETS,
  LLAMA_MODEL_TYPES,
  llamaConfig,
  checkLlamaConfig,
  toLlamaHfConfig,
  fromLlamaHfConfig,
  type LlamaConfig,
  type LlamaPresetName,
  type RopeScaling,
} from './llama/config';
export { type CausalLm, type CausalLmShape, type DecodeCache, type ForwardOptions } from './causal-lm';
export { architectureFromHfConfig, architectureOf, createModel, modelFromTensors, readModelCheckpoint, SUPPORTED_MODEL_TYPES, type Architecture } from './architecture';
export { CAUSAL_LM_BACKBONE, causalLmBackboneOf, type CausalLmBackbone, type CausalLmBackboneSource } from './backbone';
export { GptModel } from './gpt-model';
export { LlamaModel } from './llama/llama-model';
export { ropeFrequencies } from './llama/rope';
export { CausalLmPolicy, type GptPolicyRuntimeOptions, type PolicyCheckpointExtras, type PolicyClass } from './causal-lm-policy';
export { GptPolicy } from './gpt-policy';
export { LlamaPolicy } from './llama/llama-policy';
export { LoraAdapter, loraConfig, loraTargets, LORA_TARGETS, type LoraConfig } from './llama/lora';
export { ADAPTER_FILES, readAdapter, writeAdapter } from './llama/lora-files';
export { type GptGenerateOptions } from './generate';
export { encodeRows, sequenceLogProbs } from './log-probs';
export { gptPolicy, GptPolicyFactory, GPT_POLICY_OPTIONS, type GptPolicyOptions } from './plugin';
export { gptParamSpecs, type ParamSpec } from './model/weights';
export { llamaParamSpecs } from './llama/weights';

export { hfPolicy, HfPolicyFactory, HF_POLICY_OPTIONS, type HfPolicyOptions } from './hf-plugin';
