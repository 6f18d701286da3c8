import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import * as zlib from 'node:zlib';
import type { Writable } from 'node:stream';
import { ApogeeError, bestSampleIndex, ERROR_CODES, REFERENCE_SEP, removeCreatedDirs, sampleRecord, scoreEntries, syncDir, temporaryPath, textScoresRecord, type GoldenAnswer, type PreferenceItem, type PromptRecord, type SampleSet, type ScoredSampleSet } from '@apogee/core';
import { ASSISTANT_TURN, parseDialogue } from './dialogue';

export interface WriteOptions {
  /** `jsonl` (one record per line) or `json` (one array). Default: `json` when the name ends in `.json` or `.json.gz`, else `jsonl`. */
  container?: 'json' | 'jsonl';
  /** gzip the output. Default: when the name ends in `.gz`. */
  gzip?: boolean;
}

/** A file being written record by record; it appears under its name only on `close()`. */
export interface RecordWriter {
  write(record: unknown): Promise<void>;
  /** Finish, fsync and rename into place. */
  close(): Promise<void>;
  /** Throw the partial output away; the previous file (if any) is left untouched. */
  abort(): Promise<void>;
  /** Records written so far. */
  readonly count: number;
}

/**
 * Write records to a temporary file beside `file` and rename it over `file` on `close()`, so a
 * reader (or a crash) never sees a half-written artifact: the streaming counterpart of
 * `writeFileAtomic` from @apogee/core.
 */
export async function createRecordWriter(file: string, options: WriteOptions = {}): Promise<RecordWriter> {
  const container = options.container ?? (/\.json(\.gz)?$/i.test(file) ? 'json' : 'jsonl');
  const gzip = options.gzip ?? /\.gz$/i.test(file);
  const dir = path.dirname(file);
  const created = await fs.promises.mkdir(dir, { recursive: true });
  const tmp = temporaryPath(file);
  const fileStream = fs.createWriteStream(tmp);
  /**
   * Remove every trace of the write before returning: wait until the stream has really closed its
   * file (it opens it asynchronously: removing the temporary file before the open completes would
   * let the open create it again afterwards, the race of issue 20), then remove it and any folder
   * this writer created.
   */
  const discard = async () => {
    out.destroy();
    fileStream.destroy();
    if (!fileStream.closed) await once(fileStream, 'close').catch(() => undefined);
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    await removeCreatedDirs(dir, created);
  };
  const out: Writable = gzip ? zlib.createGzip() : fileStream;
  if (gzip) out.pipe(fileStream);
  let failed: unknown;
  out.on('error', (e) => (failed ??= e));
  fileStream.on('error', (e) => (failed ??= e));
  let count = 0;
  let closed = false;
  const put = async (text: string) => {
    if (failed) throw failed;
    if (!out.write(text)) await once(out, 'drain');
  };
  if (container === 'json') await put('[');
  return {
    get count() {
      return count;
    },
    async write(record: unknown) {
      if (closed) throw new ApogeeError(ERROR_CODES.INTERNAL, `write() after close() on ${file}`);
      const line = JSON.stringify(record);
      await put(container === 'json' ? `${count === 0 ? '\n' : ',\n'}${line}` : `${line}\n`);
      count++;
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        if (container === 'json') await put(count === 0 ? ']\n' : '\n]\n');
        out.end();
        if (!fileStream.closed) await once(fileStream, 'close');
        if (failed) throw failed;
        const handle = await fs.promises.open(tmp, 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        await fs.promises.rename(tmp, file);
      } catch (e) {
        await discard();
        throw e;
      }
      await syncDir(dir);
    },
    async abort() {
      closed = true;
      await discard();
    },
  };
}

/** Write every record of an iterable atomically; returns the number written. */
export async function writeRecords(file: string, records: Iterable<unknown> | AsyncIterable<unknown>, options: WriteOptions = {}): Promise<number> {
  const writer = await createRecordWriter(file, options);
  try {
    for await (const r of records) await writer.write(r);
  } catch (e) {
    await writer.abort();
    throw e;
  }
  await writer.close();
  return writer.count;
}

async function* mapIter<T, U>(items: Iterable<T> | AsyncIterable<T>, fn: (item: T, index: number) => U): AsyncGenerator<U> {
  let i = 0;
  for await (const item of items) yield fn(item, i++);
}

/** The preference formats a writer can produce. */
export type PreferenceWriteFormat = 'text-scores' | 'hh' | 'trl' | 'trl-conversational';

export interface PreferenceWriteOptions extends WriteOptions {
  /** Default `text-scores`, the APO reference's format. */
  format?: PreferenceWriteFormat;
  /**
   * text-scores only: `separator` writes `prompt<sep>response` (the reference's RM files); `dialogue`
   * writes `prompt + response` (the HH/DSP shape). Default `separator`.
   */
  join?: 'separator' | 'dialogue';
  /** Default `<sep>`. */
  separator?: string;
}

function bestWorst(item: PreferenceItem, index: number): { chosen: string; rejected: string } {
  if (item.responses.length !== 2 || item.scores[0] === item.scores[1]) {
    throw new ApogeeError(
      ERROR_CODES.INVALID_ARGUMENT,
      `Item ${index}${item.id ? ` (id ${item.id})` : ''} has ${item.responses.length} responses${item.responses.length === 2 ? ' with tied scores' : ''}: chosen/rejected formats need exactly two with different scores.`,
      { hint: 'Write it as text-scores, which keeps any number of responses and ties.' },
    );
  }
  const c = item.scores[0] > item.scores[1] ? 0 : 1;
  return { chosen: item.responses[c], rejected: item.responses[1 - c] };
}

function promptMessages(prompt: string) {
  const messages = parseDialogue(prompt);
  const last = messages[messages.length - 1];
  if (last && last.role === 'assistant' && last.content === '' && prompt.endsWith(ASSISTANT_TURN)) messages.pop();
  return messages;
}

/** Convert one item to a record of `format`. */
export function preferenceRecord(item: PreferenceItem, options: PreferenceWriteOptions = {}, index = 0): Record<string, unknown> {
  const format = options.format ?? 'text-scores';
  switch (format) {
    case 'text-scores':
      return textScoresRecord(item, (options.join ?? 'separator') === 'separator' ? (options.separator ?? REFERENCE_SEP) : '');
    case 'hh': {
      const { chosen, rejected } = bestWorst(item, index);
      return { chosen: item.prompt + chosen, rejected: item.prompt + rejected };
    }
    case 'trl': {
      const { chosen, rejected } = bestWorst(item, index);
      return { prompt: item.prompt, chosen, rejected };
    }
    case 'trl-conversational': {
      const { chosen, rejected } = bestWorst(item, index);
      return { prompt: promptMessages(item.prompt), chosen: parseDialogue(ASSISTANT_TURN + chosen), rejected: parseDialogue(ASSISTANT_TURN + rejected) };
    }
    default:
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Option "format" must be one of "text-scores", "hh", "trl", "trl-conversational" (got ${JSON.stringify(format)}).`);
  }
}

/** Write preference items (human pairs, or APO items with `"type": "apo"`) in a format the reference tools read. */
export function writePreferenceItems(file: string, items: Iterable<PreferenceItem> | AsyncIterable<PreferenceItem>, options: PreferenceWriteOptions = {}): Promise<number> {
  return writeRecords(file, mapIter(items, (item, i) => preferenceRecord(item, options, i)), options);
}

/** `{"query_id", "golden"}` (plus `"query"` when the prompt is known). */
export function writeGoldenAnswers(file: string, golden: Iterable<GoldenAnswer> | AsyncIterable<GoldenAnswer>, options: WriteOptions = {}): Promise<number> {
  return writeRecords(
    file,
    mapIter(golden, (g) => (g.prompt === undefined ? { query_id: g.queryId, golden: g.golden } : { query_id: g.queryId, query: g.prompt, golden: g.golden })),
    options,
  );
}

/** `{"query_id", "query", "sample_0".."sample_k"}`, the reference's sample files. */
export function writeSampleSets(file: string, sets: Iterable<SampleSet> | AsyncIterable<SampleSet>, options: WriteOptions = {}): Promise<number> {
  return writeRecords(file, mapIter(sets, sampleRecord), options);
}

/** `[{"<query_id>:sample_k": score}, …]`, one dict per sample, as the reference's scoring step writes. Default container `json`. */
export function writeScores(file: string, sets: Iterable<ScoredSampleSet> | AsyncIterable<ScoredSampleSet>, options: WriteOptions = {}): Promise<number> {
  async function* entries() {
    for await (const set of sets) yield* scoreEntries([set]);
  }
  return writeRecords(file, entries(), { container: 'json', ...options });
}

/**
 * The rejection-sampling target (APO paper §5, RJS; core's `bestSampleIndex`: the highest-scored
 * non-empty sample, first on ties), or undefined when every sample is empty.
 */
export function bestSample(set: ScoredSampleSet): { index: number; text: string } | undefined {
  const best = bestSampleIndex(set);
  return best < 0 ? undefined : { index: best, text: set.samples[best] };
}

/** The sample record plus `"target"` (best sample) and `"scores"` ({sample_k: score}), as the reference's RJS step writes. Sets whose samples are all empty are skipped; returns the number written. */
export function writeRejectionSamplingTargets(file: string, sets: Iterable<ScoredSampleSet> | AsyncIterable<ScoredSampleSet>, options: WriteOptions = {}): Promise<number> {
  async function* records() {
    for await (const set of sets) {
      const best = bestSample(set);
      if (!best) continue;
      const scores: Record<string, number> = {};
      set.scores.forEach((s, i) => (scores[`sample_${i}`] = s));
      yield { ...sampleRecord(set), target: best.text, scores };
    }
  }
  return writeRecords(file, records(), options);
}

/** `{"query_id", "query"}` per prompt. */
export function writePrompts(file: string, prompts: Iterable<PromptRecord> | AsyncIterable<PromptRecord>, options: WriteOptions = {}): Promise<number> {
  return writeRecords(file, mapIter(prompts, (p) => ({ query_id: p.queryId, query: p.prompt })), options);
}
