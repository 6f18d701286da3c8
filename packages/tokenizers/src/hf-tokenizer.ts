import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApogeeError, ERROR_CODES, type EncodedPair, type EncodePairOptions, type Tokenizer } from '@apogee/core';
import { Tokenizer as HfLibTokenizer } from '@huggingface/tokenizers';
import { ChatTemplate } from './chat-template';
import { encodePairWith } from './encoding';

/** Special-token overrides, by token text (e.g. `'<|endoftext|>'`). */
export interface HfSpecialTokens {
  bosToken?: string;
  eosToken?: string;
  padToken?: string;
}

/** What `HfTokenizer.toJSON()` returns: self-contained, so checkpoints need no other file. */
export interface HfTokenizerJSON {
  type: 'huggingface';
  version: 1;
  /** The parsed `tokenizer.json`. */
  tokenizer: Record<string, unknown>;
  /** The parsed `tokenizer_config.json`, or null. */
  config: Record<string, unknown> | null;
  specialTokens: HfSpecialTokens;
}

/** Tokenizer models `@huggingface/tokenizers` implements. */
const SUPPORTED_MODELS = ['BPE', 'WordPiece', 'Unigram'];
const EOS_FALLBACKS = ['<|endoftext|>', '</s>', '<eos>', '<|eos|>'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(where: string, problem: string, cause?: unknown): ApogeeError {
  return new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${where}: not a valid Hugging Face tokenizer: ${problem}`, {
    hint: 'Use the tokenizer.json (and tokenizer_config.json) saved by Hugging Face `tokenizers`/`transformers` for this model.',
    cause,
  });
}

/** The text of a special token in tokenizer_config.json: a string or an AddedToken object `{ content }`. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.content === 'string') return value.content;
  return undefined;
}

/** Structural checks before the library sees the file, so errors name the field. */
function checkStructure(json: unknown, where: string): asserts json is Record<string, unknown> {
  if (!isObject(json)) throw invalid(where, 'the top level is not a JSON object');
  const model = json.model;
  if (!isObject(model)) throw invalid(where, 'it has no "model" object');
  if (typeof model.type !== 'string' && model.vocab === undefined) throw invalid(where, '"model" has neither "type" nor "vocab"');
  if (typeof model.type === 'string' && !SUPPORTED_MODELS.includes(model.type)) {
    throw invalid(where, `"model.type" is ${JSON.stringify(model.type)}; supported: ${SUPPORTED_MODELS.join(', ')}`);
  }
  if (model.vocab !== undefined && !isObject(model.vocab) && !Array.isArray(model.vocab)) throw invalid(where, '"model.vocab" is neither an object nor an array');
  if (isObject(model.vocab)) {
    for (const [token, id] of Object.entries(model.vocab)) {
      if (!Number.isInteger(id) || (id as number) < 0) throw invalid(where, `"model.vocab"["${token}"] is ${JSON.stringify(id)}, not a non-negative integer id`);
    }
  }
  if (model.merges !== undefined && !Array.isArray(model.merges)) throw invalid(where, '"model.merges" is not an array');
  if (json.added_tokens !== undefined) {
    if (!Array.isArray(json.added_tokens)) throw invalid(where, '"added_tokens" is not an array');
    json.added_tokens.forEach((t, i) => {
      if (!isObject(t) || !Number.isInteger(t.id) || typeof t.content !== 'string') throw invalid(where, `"added_tokens"[${i}] is not { id: integer, content: string }`);
    });
  }
}

/**
 * A tokenizer read from a Hugging Face `tokenizer.json` (any model `@huggingface/tokenizers`
 * supports: BPE as in GPT-2/Llama, WordPiece, Unigram), with special tokens from
 * `tokenizer_config.json` or the overrides given.
 *
 * - `encode` never adds special tokens (BOS/EOS are `encodePair`'s job); text that spells an added
 *   special token (`<|endoftext|>`) encodes to its id, as in Hugging Face.
 * - `decode` does not "clean up tokenization spaces", so decode(encode(text)) is text for
 *   byte-level tokenizers.
 * - Missing BOS falls back to EOS, missing PAD to EOS (GPT-2 has neither); padding is told apart by
 *   the attention mask, never by id.
 */
export class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  /** Ids of every special (added) token: dropped by `decode(ids, { skipSpecial: true })`. */
  readonly specialIds: ReadonlySet<number>;

  private readonly lib: HfLibTokenizer;
  private readonly json: Record<string, unknown>;
  private chat?: ChatTemplate | null;
  private readonly config: Record<string, unknown> | null;
  private readonly overrides: HfSpecialTokens;

  /**
   * @param tokenizerJson the parsed `tokenizer.json`
   * @param config the parsed `tokenizer_config.json` (optional)
   * @param specialTokens overrides of the special tokens, by text
   * @param where the file name used in error messages
   */
  /** The model's chat template (`tokenizer_config.json`'s `chat_template`), or null when it has none. */
  get chatTemplate(): ChatTemplate | null {
    if (this.chat === undefined) this.chat = this.config ? ChatTemplate.fromTokenizerConfig(this.config) : null;
    return this.chat;
  }

  constructor(tokenizerJson: unknown, config: unknown = null, specialTokens: HfSpecialTokens = {}, where = 'tokenizer.json') {
    checkStructure(tokenizerJson, where);
    if (config !== null && config !== undefined && !isObject(config)) throw invalid(where, 'tokenizer_config.json is not a JSON object');
    this.json = tokenizerJson;
    this.config = (config as Record<string, unknown> | null) ?? null;
    this.overrides = { ...specialTokens };
    try {
      this.lib = new HfLibTokenizer(tokenizerJson, this.config ?? {});
      this.lib.encode('probe 123', { add_special_tokens: false });
    } catch (e) {
      throw invalid(where, `@huggingface/tokenizers cannot use it (${(e as Error).message})`, e);
    }
    const vocab = this.lib.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) maxId = Math.max(maxId, id);
    if (maxId < 0) throw invalid(where, 'the vocabulary is empty');
    this.vocabSize = maxId + 1;
    this.specialIds = new Set([...this.lib.get_added_tokens_decoder()].filter(([, t]) => t.special).map(([id]) => id));

    const idOf = (role: string, text: string | undefined): number | undefined => {
      if (text === undefined) return undefined;
      const id = this.lib.token_to_id(text);
      if (id === undefined) throw invalid(where, `the ${role} token ${JSON.stringify(text)} is not in the vocabulary`);
      return id;
    };
    const cfg = this.config ?? {};
    const eos =
      idOf('EOS', specialTokens.eosToken ?? tokenText(cfg.eos_token)) ??
      EOS_FALLBACKS.map((t) => this.lib.token_to_id(t)).find((id) => id !== undefined);
    if (eos === undefined) {
      throw invalid(where, `no EOS token: tokenizer_config.json names none and none of ${EOS_FALLBACKS.join(', ')} is in the vocabulary`);
    }
    this.eosId = eos;
    this.bosId = idOf('BOS', specialTokens.bosToken ?? tokenText(cfg.bos_token)) ?? eos;
    this.padId = idOf('PAD', specialTokens.padToken ?? tokenText(cfg.pad_token)) ?? eos;
  }

  encode(text: string): number[] {
    return this.lib.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: readonly number[], options: { skipSpecial?: boolean } = {}): string {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `HfTokenizer.decode: id ${String(id)} at position ${i} is not a token id (allowed: integers 0–${this.vocabSize - 1}).`);
      }
    }
    const kept = options.skipSpecial ? ids.filter((id) => !this.specialIds.has(id) && id !== this.padId && id !== this.bosId && id !== this.eosId) : [...ids];
    if (kept.length === 0) return ''; // the library refuses empty input
    return this.lib.decode(kept, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  encodePair(prompt: string, response: string, options?: EncodePairOptions): EncodedPair {
    return encodePairWith(this, prompt, response, options);
  }

  /** The token text of an id, or undefined. */
  idToToken(id: number): string | undefined {
    return this.lib.id_to_token(id);
  }

  toJSON(): HfTokenizerJSON {
    return { type: 'huggingface', version: 1, tokenizer: this.json, config: this.config, specialTokens: { ...this.overrides } };
  }

  /**
   * The files to save beside a model: `tokenizer.json` and, when there is one or special-token
   * overrides were given, `tokenizer_config.json` (the overrides written as its
   * `bos_token`/`eos_token`/`pad_token`, so the saved directory loads with the same special ids here
   * and in Hugging Face `transformers`).
   */
  files(): { 'tokenizer.json': Record<string, unknown>; 'tokenizer_config.json'?: Record<string, unknown> } {
    const config: Record<string, unknown> = { ...(this.config ?? {}) };
    if (this.overrides.bosToken !== undefined) config.bos_token = this.overrides.bosToken;
    if (this.overrides.eosToken !== undefined) config.eos_token = this.overrides.eosToken;
    if (this.overrides.padToken !== undefined) config.pad_token = this.overrides.padToken;
    return this.config || Object.keys(config).length > 0 ? { 'tokenizer.json': this.json, 'tokenizer_config.json': config } : { 'tokenizer.json': this.json };
  }
}

function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: cannot read tokenizer file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: not valid JSON (${(e as Error).message})`, {
      hint: 'The file is truncated or not a tokenizer file; download or export it again.',
      cause: e,
    });
  }
}

/**
 * Load a Hugging Face tokenizer from a model directory (its `tokenizer.json` and optional
 * `tokenizer_config.json`) or from the path of a `tokenizer.json` file.
 */
export function loadHfTokenizer(location: string, specialTokens: HfSpecialTokens = {}): HfTokenizer {
  let file = location;
  if (fs.existsSync(location) && fs.statSync(location).isDirectory()) file = path.join(location, 'tokenizer.json');
  return hfTokenizerFromParsed(readJsonFile(file), file, specialTokens);
}

/** An `HfTokenizer` from an already parsed `tokenizer.json` found at `file`, with the `tokenizer_config.json` beside it. */
export function hfTokenizerFromParsed(json: unknown, file: string, specialTokens: HfSpecialTokens = {}): HfTokenizer {
  const configFile = path.join(path.dirname(file), 'tokenizer_config.json');
  const config = fs.existsSync(configFile) ? readJsonFile(configFile) : null;
  if (config !== null && !isObject(config)) throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${configFile}: not a JSON object`);
  return new HfTokenizer(json, config, specialTokens, file);
}
