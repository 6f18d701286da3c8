/** Token ids of one prompt+response, with the boundary between them known. */
export interface EncodedPair {
  /** Prompt ids followed by response ids (plus EOS when requested). */
  ids: number[];
  /** Number of leading ids that belong to the prompt (after truncation). */
  promptLength: number;
}

export interface EncodePairOptions {
  /** Append EOS after the response (training targets). Default true. */
  addEos?: boolean;
  /** Put BOS before the prompt (counted in `promptLength`). Default false: GPT-2 uses none. */
  addBos?: boolean;
  /** Keep at most this many ids; the prompt is cut from the left first, then the response from the right. */
  maxLength?: number;
}

/**
 * Text ↔ token ids. `@apogee/tokenizers` provides a byte-level tokenizer and a Hugging Face
 * `tokenizer.json` one behind this interface.
 */
export interface Tokenizer {
  /** Number of ids, special tokens included. */
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  encode(text: string): number[];
  decode(ids: readonly number[], options?: { skipSpecial?: boolean }): string;
  /** Encode prompt and response separately so that response-only losses know the boundary. */
  encodePair(prompt: string, response: string, options?: EncodePairOptions): EncodedPair;
  /** A JSON-serialisable description, saved with checkpoints and given to `@apogee/tokenizers` to rebuild it. */
  toJSON(): unknown;
}
