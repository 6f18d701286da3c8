export type { Container, RecordLocation } from './source';
export { isGzipFile, formatLocation, DEFAULT_MAX_LINE_BYTES } from './source';
export { FIELD_NAMES, mapFields, withHhMarkers, type FieldMap, type RoleMarkers } from './mapping';
export {
  DATA_FORMATS,
  PREFERENCE_FORMATS,
  FLAG_NAMES,
  detectRecordFormat,
  parseRecord,
  promptId,
  type DataFormat,
  type DataRecord,
  type FormatRecords,
  type FlagName,
  type ScoreEntry,
  type ParseContext,
  type Parsed,
  type FieldIssue,
} from './formats';
export {
  ASSISTANT_TURN,
  HUMAN_TURN,
  splitDialogues,
  renderMessages,
  renderCompletion,
  parseDialogue,
  type ChatMessage,
  type ChatFormat,
  type DialogueSplit,
} from './dialogue';
export { emptyReport, formatLoadReport, dataError, type FileReport, type LoadReport, type RuleAction, type ValidationPolicy } from './report';
export {
  DataLoader,
  DEFAULT_RULES,
  readAnyPreferenceFile,
  readDataFile,
  readGoldenAnswers,
  readSampleSets,
  readScoreEntries,
  readPrompts,
  type ReadOptions,
  type ReadResult,
  type RecordRules,
  type RecordFamily,
} from './reader';
export {
  createRecordWriter,
  writeRecords,
  preferenceRecord,
  writePreferenceItems,
  writeGoldenAnswers,
  writeSampleSets,
  writeScores,
  writeRejectionSamplingTargets,
  writePrompts,
  bestSample,
  type RecordWriter,
  type WriteOptions,
  type PreferenceWriteFormat,
  type PreferenceWriteOptions,
} from './writer';
export {
  hashUnit,
  splitByPrompt,
  dedupeItems,
  filterByLength,
  joinById,
  joinGoldenWithSamples,
  joinGoldenWithQueries,
  apoItems,
  attachScores,
  type SplitOptions,
  type LengthLimits,
  type JoinResult,
} from './transforms';
export { fileDataSource, FileDataSource, DATA_TOKENS, fileDataSourceSchema, type FileDataSourceOptions } from './file-data-source';
export { invalidUtf8Offset } from './utf8';
