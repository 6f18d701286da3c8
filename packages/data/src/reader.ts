import type { GoldenAnswer, PreferenceItem, Problem, PromptRecord, SampleSet, ScoredSampleSet, Tokenizer } from '@apogee/core';
import { ApogeeError, ERROR_CODES } from '@apogee/core';
import {
  DATA_FORMATS,
  PREFERENCE_FORMATS,
  detectRecordFormat,
  parseRecord,
  recordPrompt,
  type DataFormat,
  type DataRecord,
  type FlagName,
  type FormatRecords,
  type ScoreEntry,
} from './formats';
import type { ChatFormat } from './dialogue';
import { dataError, emptyReport, type FileReport, type LoadReport, type RuleAction, type ValidationPolicy } from './report';
import { checkFieldMap, checkRoleMarkers, mapRecords, sourceField, type FieldMap, type RoleMarkers } from './mapping';
import { DEFAULT_MAX_LINE_BYTES, displayPath, formatLocation, openSource, type Container, type RawRecord } from './source';

/** Rules for suspicious-but-well-formed records (decision 0042). */
export interface RecordRules {
  /** A response that is empty or only whitespace. Default `keep`: an empty answer losing is a valid preference. */
  emptyResponse: RuleAction;
  /** Two identical responses with different scores. Default `keep`: they add no gradient and change no ranking. */
  identicalResponses: RuleAction;
  /** All scores equal: the item has no ordered pair, so it contributes nothing to the ranking loss. Default `drop`. */
  allTied: RuleAction;
  /** The dialogues differ before their last Assistant turn; the prompt is their common prefix. Default `keep`. */
  diverged: RuleAction;
  /** A prompt longer than `maxPromptLength`. Default `drop`. */
  longPrompt: RuleAction;
  /** An empty golden answer. Default `keep`. */
  emptyGolden: RuleAction;
  /** An empty policy sample. Default `keep` (the reference keeps them; RJS skips them when picking a target). */
  emptySample: RuleAction;
}

export const DEFAULT_RULES: RecordRules = {
  emptyResponse: 'keep',
  identicalResponses: 'keep',
  allTied: 'drop',
  diverged: 'keep',
  longPrompt: 'drop',
  emptyGolden: 'keep',
  emptySample: 'keep',
};

export interface ReadOptions {
  /** Skip detection and read every file as this format. */
  format?: DataFormat;
  /** Skip container detection (`json`, `jsonl`, `text`). */
  container?: Container;
  /** `error` (default): read everything, then throw one DATA_INVALID error listing the problems. `skip`: skip and count. */
  policy?: ValidationPolicy;
  /** Problems listed in the report and the error; the rest are counted. Default 50. */
  maxListed?: number;
  /** Prompt/response separator of the text/scores family (reference: `<sep>`). */
  separator?: string;
  /** Wrap plain-text prompt lines as `\n\nHuman: <line>\n\nAssistant:`. Default true. */
  wrapTextPrompts?: boolean;
  /** Render message lists (`messages`, conversational `prompt`/`chosen`/`rejected`) with a model's chat template instead of HH turns. */
  chat?: ChatFormat;
  /** Prompts longer than this (tokens with `tokenizer`, else characters) raise `longPrompt`. Default: no limit. */
  maxPromptLength?: number;
  /** Counts `maxPromptLength` in tokens. */
  tokenizer?: Tokenizer;
  /** Per-condition keep/drop rules, merged over `DEFAULT_RULES`. */
  rules?: Partial<RecordRules>;
  /** Records inspected to detect a file's format. Default 20. */
  detectRecords?: number;
  /**
   * Longest line of a JSON Lines or text file, in bytes: a longer line stops the read with an error
   * naming it (a binary file or `/dev/zero` never ends a line). Default 64 MiB.
   */
  maxLineBytes?: number;
  /**
   * How a user of this reader chooses policy `skip`, for the error's hint (a command-line tool names
   * its own option); `null`: the caller offers no skip, so the hint does not suggest one. Default
   * `load with policy "skip"`.
   */
  skipHint?: string | null;
  /**
   * Tied items (all scores equal: no ordered pair): `drop` (default) or `keep`. Shorthand for
   * `rules.allTied`; a kept tie adds nothing to the ranking loss but counts in evaluation.
   */
  ties?: RuleAction;
  /**
   * Field names of your files, mapped to the ones apogee reads (as OpenRLHF's `--input_key`,
   * `--chosen_key`, `--rejected_key`): e.g. `{ prompt: 'question', chosen: 'response_j' }`.
   * Mapped before the format is detected; see {@link FieldMap}.
   */
  fields?: FieldMap;
  /**
   * The role markers of your dialogues when they are not HH's `\n\nHuman:` / `\n\nAssistant:`:
   * e.g. `{ human: '## Human:', assistant: '## Assistant:' }`. Every marker (and the white space
   * before it) becomes the HH marker before dialogues are split into prompt and response.
   */
  roleMarkers?: RoleMarkers;
}

type Resolved = Required<Omit<ReadOptions, 'format' | 'container' | 'tokenizer' | 'maxPromptLength' | 'rules' | 'ties' | 'fields' | 'roleMarkers' | 'skipHint' | 'chat'>> &
  Pick<ReadOptions, 'format' | 'container' | 'tokenizer' | 'maxPromptLength' | 'fields' | 'roleMarkers' | 'chat'> & { rules: RecordRules; skipHint: string | null };

const POLICIES: readonly ValidationPolicy[] = ['error', 'skip'];

function resolve(options: ReadOptions): Resolved {
  const policy = options.policy ?? 'error';
  if (!POLICIES.includes(policy)) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Option "policy" must be one of ${POLICIES.map((p) => `"${p}"`).join(', ')} (got ${JSON.stringify(policy)}).`);
  }
  if (options.format !== undefined && !DATA_FORMATS.includes(options.format)) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Option "format" must be one of ${DATA_FORMATS.map((p) => `"${p}"`).join(', ')} (got ${JSON.stringify(options.format)}).`);
  }
  if (options.container !== undefined && !['json', 'jsonl', 'text'].includes(options.container)) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Option "container" must be one of "json", "jsonl", "text" (got ${JSON.stringify(options.container)}).`);
  }
  if (options.ties !== undefined && options.ties !== 'keep' && options.ties !== 'drop') {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Option "ties" must be one of "keep", "drop" (got ${JSON.stringify(options.ties)}).`);
  }
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
    throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Option "maxLineBytes" must be a positive integer (got ${JSON.stringify(options.maxLineBytes)}).`);
  }
  checkFieldMap(options.fields);
  checkRoleMarkers(options.roleMarkers);
  return {
    policy,
    maxLineBytes,
    skipHint: options.skipHint === undefined ? 'load with policy "skip"' : options.skipHint,
    fields: options.fields,
    roleMarkers: options.roleMarkers,
    maxListed: options.maxListed ?? 50,
    separator: options.separator ?? '<sep>',
    wrapTextPrompts: options.wrapTextPrompts ?? true,
    detectRecords: options.detectRecords ?? 20,
    format: options.format,
    container: options.container,
    tokenizer: options.tokenizer,
    chat: options.chat,
    maxPromptLength: options.maxPromptLength,
    rules: { ...DEFAULT_RULES, ...(options.ties ? { allTied: options.ties } : {}), ...(options.rules ?? {}) },
  };
}

/** Which record family a reader call expects. */
export type RecordFamily = 'preference' | 'golden' | 'samples' | 'scores' | 'prompts';
const FAMILY_FORMATS: Record<RecordFamily, readonly DataFormat[]> = {
  preference: PREFERENCE_FORMATS,
  golden: ['golden'],
  samples: ['samples'],
  scores: ['scored-samples'],
  prompts: ['prompts'],
};
const FAMILY_WORDS: Record<RecordFamily, string> = {
  preference: 'preference items (hh, text-scores, trl or multi-response)',
  golden: 'golden answers',
  samples: 'policy samples',
  scores: 'scored samples',
  prompts: 'prompts',
};

/**
 * Reads one or more files record by record, with one load report and one problem list for all of
 * them. Records stream out as they are read (memory stays bounded); call `finish()` at the end:
 * under policy `error` it throws one ApogeeError (DATA_INVALID) listing every problem.
 */
export class DataLoader {
  readonly options: Resolved;
  readonly report: LoadReport = emptyReport();

  constructor(options: ReadOptions = {}) {
    this.options = resolve(options);
  }

  /** Record a problem found outside record parsing (a join, say): listed and counted like the rest. */
  addProblem(path: string, message: string): void {
    this.problem(path, message);
  }

  private problem(path: string, message: string): void {
    this.report.problemCount++;
    if (this.report.problems.length < this.options.maxListed) this.report.problems.push({ path, message });
  }

  /**
   * Every record of `file` as its format's type. `expect` restricts the accepted formats (a golden
   * file handed to a preference reader is reported, not misread).
   */
  async *records(file: string, expect?: RecordFamily): AsyncGenerator<DataRecord> {
    const name = displayPath(file);
    const fr: FileReport = { file: name, gzip: false, detected: false, read: 0, kept: 0, skipped: 0, dropped: 0, complete: true };
    this.report.files.push(fr);
    const opened = await openSource(file, { container: this.options.container, maxLineBytes: this.options.maxLineBytes });
    if ('error' in opened) {
      fr.complete = false;
      this.problem(name, opened.error);
      return;
    }
    fr.gzip = opened.info.gzip;
    fr.container = opened.info.container;
    const mapping = this.options.fields;
    const iterator = mapping ? mapRecords(opened.records, mapping) : opened.records;
    // Detect the format from the first records, holding them to replay.
    const held: RawRecord[] = [];
    let format = this.options.format;
    if (format === undefined) {
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        held.push(next.value);
        if (next.value.kind === 'value') format = detectRecordFormat(next.value.value);
        if (format !== undefined || next.value.kind === 'fatal' || held.length >= this.options.detectRecords) break;
      }
      fr.detected = format !== undefined;
    }
    if (format === undefined) {
      const firstValue = held.find((r): r is Extract<RawRecord, { kind: 'value' }> => r.kind === 'value');
      if (held.length === 0) {
        this.problem(name, 'the file holds no records');
      } else if (!firstValue) {
        // Nothing readable to judge by: report what was wrong with the records held.
        for (const r of held as Array<Exclude<RawRecord, { kind: 'value' }>>) {
          this.problem(formatLocation({ ...r.loc, file: name }), r.message);
          if (r.kind === 'bad') {
            fr.read++;
            fr.skipped++;
            this.report.read++;
            this.report.skipped++;
          }
        }
        const more = !(await iterator.next()).done;
        if (more) this.problem(name, `stopped after ${held.length} unreadable records: the format cannot be told, the rest of the file was not read`);
        fr.complete = !more && held.every((r) => r.kind !== 'fatal');
        await iterator.return(undefined);
        return;
      } else {
        const v = firstValue.value;
        const keys = typeof v === 'object' && v !== null && !Array.isArray(v) ? `keys ${Object.keys(v).map((k) => JSON.stringify(k)).join(', ') || '(none)'}` : `a ${Array.isArray(v) ? 'list' : typeof v}`;
        this.problem(
          formatLocation({ ...firstValue.loc, file: name }),
          `cannot tell the data format: the first record has ${keys}. Known formats: hh {chosen, rejected}, text-scores {text, scores}, trl {prompt, chosen, rejected}, multi-response {query, responses, scores}, golden {query_id, golden}, samples {query_id, query, sample_0…}, scored-samples {"id:sample_k": score}, prompts {prompt} / {query_id, query} / text lines. Pass the "format" option to choose one, or map your field names with the "fields" option.`,
        );
      }
      fr.complete = held.length === 0;
      await iterator.return(undefined);
      return;
    }
    fr.format = format;
    if (expect && !FAMILY_FORMATS[expect].includes(format)) {
      this.problem(name, `holds ${format} records, but ${FAMILY_WORDS[expect]} were expected here${fr.detected ? ' (detected from the content; pass "format" to override)' : ''}`);
      fr.complete = false;
      await iterator.return(undefined);
      return;
    }
    if (fr.container === 'text' && format !== 'prompts') {
      this.problem(name, `is plain text, not JSON: only prompt files may be text lines (format "${format}" needs JSON records)`);
      fr.complete = false;
      await iterator.return(undefined);
      return;
    }
    const ctx = { separator: this.options.separator, wrapTextPrompts: this.options.wrapTextPrompts, roleMarkers: this.options.roleMarkers, chat: this.options.chat };
    const self = this;
    async function* all(): AsyncGenerator<RawRecord> {
      yield* held;
      yield* iterator;
    }
    for await (const raw of all()) {
      const where = formatLocation({ ...raw.loc, file: name });
      if (raw.kind === 'fatal') {
        fr.complete = false;
        self.problem(where, raw.message);
        break;
      }
      fr.read++;
      self.report.read++;
      if (raw.kind === 'bad') {
        self.problem(where, raw.message);
        fr.skipped++;
        self.report.skipped++;
        continue;
      }
      const parsed = parseRecord(format, raw.value, ctx);
      if (!parsed.ok) {
        for (const issue of parsed.issues) self.problem(issue.field ? `${where} ${sourceField(issue.field, mapping)}` : where, issue.message);
        fr.skipped++;
        self.report.skipped++;
        continue;
      }
      const flags: FlagName[] = parsed.flags;
      const limit = self.options.maxPromptLength;
      if (limit !== undefined) {
        const prompt = recordPrompt(parsed.record);
        if (prompt !== undefined) {
          const length = self.options.tokenizer ? self.options.tokenizer.encode(prompt).length : prompt.length;
          if (length > limit) flags.push('longPrompt');
        }
      }
      let dropBy: FlagName | undefined;
      for (const f of flags) {
        self.report.flagged[f]++;
        if (dropBy === undefined && self.options.rules[f] === 'drop') dropBy = f;
      }
      if (dropBy !== undefined) {
        fr.dropped++;
        self.report.dropped++;
        self.report.droppedBy[dropBy] = (self.report.droppedBy[dropBy] ?? 0) + 1;
        continue;
      }
      fr.kept++;
      self.report.kept++;
      yield parsed.record;
    }
  }

  /** Preference items (hh, text-scores, trl) of one or more files, streamed. */
  async *preferenceItems(files: string | readonly string[]): AsyncGenerator<PreferenceItem> {
    for (const f of typeof files === 'string' ? [files] : files) yield* this.records(f, 'preference') as AsyncGenerator<PreferenceItem>;
  }

  goldenAnswers(file: string): AsyncGenerator<GoldenAnswer> {
    return this.records(file, 'golden') as AsyncGenerator<GoldenAnswer>;
  }

  sampleSets(file: string): AsyncGenerator<SampleSet | ScoredSampleSet> {
    return this.records(file, 'samples') as AsyncGenerator<SampleSet | ScoredSampleSet>;
  }

  /** Score entries, one per `"<query_id>:<key>": score` pair. */
  async *scoreEntries(file: string): AsyncGenerator<ScoreEntry> {
    for await (const entries of this.records(file, 'scores') as AsyncGenerator<ScoreEntry[]>) yield* entries;
  }

  prompts(file: string): AsyncGenerator<PromptRecord> {
    return this.records(file, 'prompts') as AsyncGenerator<PromptRecord>;
  }

  /** Whether the load found problems. */
  get hasProblems(): boolean {
    return this.report.problemCount > 0;
  }

  /**
   * End the load: under policy `error`, throw one DATA_INVALID error listing every problem (up to
   * `maxListed`, plus a count); under `skip`, return the report.
   */
  finish(): LoadReport {
    if (this.options.policy === 'error' && this.report.problemCount > 0) throw dataError(this.report, this.options.skipHint);
    return this.report;
  }
}

/** Result of a whole-file read. */
export interface ReadResult<T> {
  records: T[];
  report: LoadReport;
  /** The format of each file, in order (detected or given). */
  formats: Array<DataFormat | undefined>;
}

async function collect<T>(loader: DataLoader, iterable: AsyncIterable<T>, what: string, requireSome: boolean): Promise<ReadResult<T>> {
  const records: T[] = [];
  for await (const r of iterable) records.push(r);
  const report = loader.finish();
  if (requireSome && records.length === 0) {
    const problems: Problem[] = report.problems;
    throw new ApogeeError(ERROR_CODES.DATA_INVALID, `${report.files.map((f) => f.file).join(', ')}: no usable ${what} (read ${report.read}, skipped ${report.skipped}, dropped ${report.dropped}).`, {
      problems,
      maxProblems: Infinity,
      hint: 'Check the file is one of the formats listed in docs/guides/data.md.',
    });
  }
  return { records, report, formats: report.files.map((f) => f.format) };
}

/**
 * Read preference items from any supported file, format and compression found from the
 * content: "point apogee at the file". Throws DATA_INVALID under policy `error` when any record
 * is malformed, and always when no usable item remains.
 */
export async function readAnyPreferenceFile(files: string | readonly string[], options: ReadOptions = {}): Promise<ReadResult<PreferenceItem> & { items: PreferenceItem[] }> {
  const loader = new DataLoader(options);
  const result = await collect(loader, loader.preferenceItems(files), 'preference items', true);
  return { ...result, items: result.records };
}

export async function readGoldenAnswers(file: string, options: ReadOptions = {}): Promise<ReadResult<GoldenAnswer>> {
  const loader = new DataLoader(options);
  return collect(loader, loader.goldenAnswers(file), 'golden answers', true);
}

export async function readSampleSets(file: string, options: ReadOptions = {}): Promise<ReadResult<SampleSet | ScoredSampleSet>> {
  const loader = new DataLoader(options);
  return collect(loader, loader.sampleSets(file), 'sample sets', true);
}

export async function readScoreEntries(file: string, options: ReadOptions = {}): Promise<ReadResult<ScoreEntry>> {
  const loader = new DataLoader(options);
  return collect(loader, loader.scoreEntries(file), 'scores', true);
}

export async function readPrompts(file: string, options: ReadOptions = {}): Promise<ReadResult<PromptRecord>> {
  const loader = new DataLoader(options);
  return collect(loader, loader.prompts(file), 'prompts', true);
}

/** Read any supported file; the records' type follows the detected format. */
export async function readDataFile(file: string, options: ReadOptions = {}): Promise<ReadResult<DataRecord> & { format: DataFormat | undefined }> {
  const loader = new DataLoader(options);
  const result = await collect(loader, loader.records(file), 'records', false);
  return { ...result, format: result.formats[0] };
}

export type { FormatRecords };
