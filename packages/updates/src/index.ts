export { RjsUpdate } from './rjs-update';
export { DpoUpdate } from './dpo-update';
export { RrhfUpdate } from './rrhf-update';
export { GoldenSftUpdate } from './golden-sft-update';
export { rjsUpdate, dpoUpdate, rrhfUpdate, goldenSftUpdate } from './plugins';
export { bestSamples, preferencePairs } from './select';
export {
  trainingSchema,
  rjsOptionsSchema,
  dpoUpdateOptionsSchema,
  rrhfUpdateOptionsSchema,
  goldenSftOptionsSchema,
  lrForRound,
  optimizerFor,
  RJS_OPTIONS,
  DPO_UPDATE_OPTIONS,
  RRHF_UPDATE_OPTIONS,
  GOLDEN_SFT_OPTIONS,
  type TrainingOptions,
  type RjsOptions,
  type DpoUpdateOptions,
  type RrhfUpdateOptions,
  type GoldenSftOptions,
} from './options';
