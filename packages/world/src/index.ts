export { TASK_NAMES, WEEKDAYS, WORDS, enumerateInstances, formatPrompt, instanceForPrompt, type TaskInstance, type TaskName } from './tasks';
export {
  ANSWER_FRAMES,
  COURTESY_PHRASES,
  DEFAULT_ANNOTATION_STYLE_WEIGHTS,
  DEFAULT_STYLE_WEIGHTS,
  FILLER_PREFIXES,
  FILLER_SUFFIXES,
  FILLER_VOCABULARY,
  MAX_RESPONSE_BYTES,
  RESPONSE_STYLES,
  goldenResponse,
  sampleResponse,
  writeResponse,
  type ResponseStyle,
} from './responses';
export { DEFAULT_GOLD_OPTIONS, goldBreakdown, goldReward, type GoldBreakdown, type GoldRewardOptions } from './gold-reward';
export { BradleyTerryAnnotator, DEFAULT_ANNOTATOR_OPTIONS, type AnnotatorOptions } from './annotator';
export {
  DEFAULT_WORLD_OPTIONS,
  PreferenceWorld,
  resolveWorldOptions,
  worldOptionsSchema,
  type AnnotationPools,
  type WorldGameData,
  type WorldOptions,
  type WorldOptionsInput,
} from './world';
export {
  GOLD_JUDGE_OPTIONS,
  GoldJudge,
  WORLD,
  WORLD_DATA_SOURCE_OPTIONS,
  WorldDataSource,
  goldJudge,
  worldDataSource,
  type GoldJudgeOptions,
  type WorldDataSourceOptions,
} from './plugins';
