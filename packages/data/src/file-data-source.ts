import { ChatTemplate } from '@apogee/tokenizers';
import { inject, injectable } from 'tsyringe';
import { z } from 'zod';
import {
  ApogeeError,
  ERROR_CODES,
  TOKENS,
  definePlugin,
  token,
  type GameData,
  type GameDataSource,
  type GoldenAnswer,
  type Logger,
  type PreferenceItem,
  type PromptRecord,
} from '@apogee/core';
import { DATA_FORMATS, PREFERENCE_FORMATS, type DataFormat } from './formats';
import { FIELD_NAMES, type FieldMap, type RoleMarkers } from './mapping';
import { DataLoader, type RecordRules } from './reader';
import { formatLoadReport, type LoadReport } from './report';
import { displayPath } from './source';
import { joinGoldenWithQueries } from './transforms';

export interface FileDataSourceOptions {
  /** Human preference files D_P (any preference format, any compression). */
  humanFiles: string[];
  /** Golden answers `{"query_id", "golden"}` for the RM queries. */
  goldenFile?: string;
  /**
   * RM queries (a prompts file). Default: the golden file's own prompts (`query`/`prompt`), else
   * the prompts of human items whose `query_id` matches a golden answer.
   */
  rmQueriesFile?: string;
  /** LLM queries (a prompts file). Default: none. */
  llmQueriesFile?: string;
  /** `error` (default) or `skip`; see `ReadOptions.policy`. */
  policy: 'error' | 'skip';
  /** Problems listed in the error and the report. Default 50. */
  maxListed: number;
  /** Read the human files as this format instead of detecting it. */
  humanFormat?: DataFormat;
  /** The text/scores separator. Default `<sep>`. */
  separator: string;
  /** Prompt length limit in characters (tokens when a tokenizer is registered). */
  maxPromptLength?: number;
  /** Keep/drop rules for suspicious records (decision 0042). */
  rules?: Partial<RecordRules>;
  /** Tied items (all scores equal): `drop` (default) or `keep`; see `ReadOptions.ties`. */
  ties?: 'keep' | 'drop';
  /** Your files' field names for apogee's (`{ prompt: 'question', chosen: 'response_j' }`); see `ReadOptions.fields`. */
  fields?: FieldMap;
  /** Your dialogues' role markers (`{ human: '## Human:', assistant: '## Assistant:' }`); see `ReadOptions.roleMarkers`. */
  roleMarkers?: RoleMarkers;
  /** Longest line of a JSON Lines or text file, in bytes. Default 64 MiB. */
  maxLineBytes?: number;
  /**
   * A model directory (or its `tokenizer_config.json`) whose `chat_template` renders message-list
   * records (`messages`, conversational TRL/HH) as that model expects. Default: HH turns.
   */
  chatTemplate?: string;
}

export const DATA_TOKENS = {
  /** Options of `fileDataSource`. */
  FileDataSourceOptions: token<FileDataSourceOptions>('@apogee/data', 'FileDataSourceOptions'),
};

const RULE = z.enum(['keep', 'drop']);
export const fileDataSourceSchema = z.object({
  humanFiles: z.array(z.string().min(1)).min(1, 'needs at least one human preference file'),
  goldenFile: z.string().min(1).optional(),
  rmQueriesFile: z.string().min(1).optional(),
  llmQueriesFile: z.string().min(1).optional(),
  policy: z.enum(['error', 'skip']),
  maxListed: z.number().int().positive(),
  humanFormat: z
    .enum(DATA_FORMATS as [DataFormat, ...DataFormat[]])
    .refine((f) => PREFERENCE_FORMATS.includes(f), 'must be a preference format: hh, text-scores or trl')
    .optional(),
  separator: z.string(),
  chatTemplate: z.string().min(1).optional(),
  maxPromptLength: z.number().int().positive().optional(),
  rules: z
    .object({
      emptyResponse: RULE,
      identicalResponses: RULE,
      allTied: RULE,
      diverged: RULE,
      longPrompt: RULE,
      emptyGolden: RULE,
      emptySample: RULE,
    })
    .partial()
    .optional(),
  ties: RULE.optional(),
  fields: z
    .object(Object.fromEntries(FIELD_NAMES.map((f) => [f, z.string().min(1).optional()])))
    .strict()
    .optional(),
  roleMarkers: z.object({ human: z.string().min(1), assistant: z.string().min(1) }).strict().optional(),
  maxLineBytes: z.number().int().positive().optional(),
}) as unknown as z.ZodType<FileDataSourceOptions>;

/**
 * The game's data from files: reads every file, validates every record, joins golden answers
 * with RM queries by `query_id`, and reports all problems of all files at once before training
 * starts (policy `error`), or skips and counts them (policy `skip`).
 */
@injectable()
export class FileDataSource implements GameDataSource {
  /** The report of the last `load()`. */
  lastReport?: LoadReport;

  constructor(
    @inject(DATA_TOKENS.FileDataSourceOptions) private readonly options: FileDataSourceOptions,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  async load(): Promise<GameData> {
    const o = this.options;
    const loader = new DataLoader({
      policy: o.policy,
      maxListed: o.maxListed,
      separator: o.separator,
      chat: o.chatTemplate ? ChatTemplate.load(o.chatTemplate) : undefined,
      maxPromptLength: o.maxPromptLength,
      rules: o.rules,
      ties: o.ties,
      fields: o.fields,
      roleMarkers: o.roleMarkers,
      maxLineBytes: o.maxLineBytes,
      skipHint: 'set "policy: skip" in the file-data-source options of the config',
    });
    const humanLoader = o.humanFormat ? new DataLoader({ ...loader.options, format: o.humanFormat }) : loader;
    const humanItems: PreferenceItem[] = [];
    for await (const item of humanLoader.preferenceItems(o.humanFiles)) humanItems.push(item);
    if (humanLoader !== loader) mergeInto(loader, humanLoader.report);

    const golden: GoldenAnswer[] = [];
    if (o.goldenFile) for await (const g of loader.goldenAnswers(o.goldenFile)) golden.push(g);

    let rmQueries: PromptRecord[] = [];
    if (o.rmQueriesFile) {
      for await (const q of loader.prompts(o.rmQueriesFile)) rmQueries.push(q);
    } else if (golden.length > 0) {
      const byId = new Map<string, string>();
      for (const item of humanItems) if (item.id !== undefined && !byId.has(item.id)) byId.set(item.id, item.prompt);
      for (const g of golden) {
        const prompt = g.prompt ?? byId.get(g.queryId);
        if (prompt !== undefined) rmQueries.push({ queryId: g.queryId, prompt });
      }
    }
    let goldenOut = golden;
    if (golden.length > 0 || rmQueries.length > 0) {
      const join = joinGoldenWithQueries(golden, rmQueries);
      const goldenName = o.goldenFile ? displayPath(o.goldenFile) : '(no golden file)';
      const queryName = o.rmQueriesFile ? displayPath(o.rmQueriesFile) : 'the golden file and the human items';
      for (const id of join.leftOnly) loader.addProblem(`${goldenName} query_id ${id}`, `has no RM query: no prompt for it in ${queryName}`);
      for (const id of join.rightOnly) loader.addProblem(`${o.rmQueriesFile ? displayPath(o.rmQueriesFile) : queryName} query_id ${id}`, `has no golden answer in ${goldenName}`);
      for (const id of join.duplicateIds) loader.addProblem(`query_id ${id}`, 'occurs more than once among the golden answers or RM queries; the first is used');
      goldenOut = join.matched.map(({ left, right }) => ({ ...left, prompt: left.prompt ?? right.prompt }));
      rmQueries = join.matched.map(({ right }) => right);
    }

    const llmQueries: PromptRecord[] = [];
    if (o.llmQueriesFile) for await (const q of loader.prompts(o.llmQueriesFile)) llmQueries.push(q);

    this.lastReport = loader.report;
    // Under policy "error" the problems travel in the thrown error; the log gets the summary.
    if (o.policy === 'skip' || loader.report.problemCount === 0) this.logger.info(formatLoadReport(loader.report));
    loader.finish();
    if (humanItems.length === 0) {
      throw new ApogeeError(ERROR_CODES.DATA_INVALID, `No usable human preference items in ${o.humanFiles.join(', ')}.`, {
        problems: loader.report.problems,
        hint: 'See docs/guides/data.md for the formats apogee reads.',
      });
    }
    return { humanItems, rmQueries, golden: goldenOut, llmQueries };
  }
}

function mergeInto(loader: DataLoader, other: LoadReport): void {
  const r = loader.report;
  r.files.unshift(...other.files);
  r.read += other.read;
  r.kept += other.kept;
  r.skipped += other.skipped;
  r.dropped += other.dropped;
  for (const [k, n] of Object.entries(other.droppedBy)) r.droppedBy[k as keyof typeof r.droppedBy] = (r.droppedBy[k as keyof typeof r.droppedBy] ?? 0) + (n ?? 0);
  for (const [k, n] of Object.entries(other.flagged)) r.flagged[k as keyof typeof r.flagged] += n;
  for (const p of other.problems) loader.addProblem(p.path, p.message);
  r.problemCount += other.problemCount - other.problems.length;
}

/**
 * `fileDataSource({ humanFiles: ['hh.jsonl.gz'], goldenFile: 'golden.jsonl' })`: registers
 * `TOKENS.GameDataSource` backed by files in any of the formats of docs/guides/data.md.
 */
export const fileDataSource = definePlugin<FileDataSourceOptions>('file-data-source', {
  provides: [TOKENS.GameDataSource, DATA_TOKENS.FileDataSourceOptions],
  defaults: { humanFiles: [], policy: 'error', maxListed: 50, separator: '<sep>' },
  schema: fileDataSourceSchema,
  register(container, options) {
    container.register(DATA_TOKENS.FileDataSourceOptions, { useValue: options });
    container.register(TOKENS.GameDataSource, { useClass: FileDataSource });
  },
});
