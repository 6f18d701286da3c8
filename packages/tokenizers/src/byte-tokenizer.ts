import { ApogeeError, ERROR_CODES, type EncodedPair, type EncodePairOptions, type Tokenizer } from '@apogee/core';
import { injectable } from 'tsyringe';
import { encodePairWith } from './encoding';

/** Names of the byte tokenizer's special tokens, in id order after the 256 bytes. */
export const BYTE_SPECIAL_TOKENS = ['<|bos|>', '<|eos|>', '<|pad|>', '<|sep|>'] as const;

/** What `ByteTokenizer.toJSON()` returns and `tokenizerFromJSON` accepts. */
export interface ByteTokenizerJSON {
  type: 'byte';
  version: 1;
}

/**
 * The default tokenizer: one id per UTF-8 byte (0–255), then four special tokens
 * BOS = 256, EOS = 257, PAD = 258, SEP = 259 (`vocabSize` 260). Every string encodes (there is no
 * unknown token) and every id sequence decodes: invalid UTF-8 becomes U+FFFD, and decoding the
 * encoding of any string gives the string back exactly. Text never encodes to a special id, even
 * when it spells `<|eos|>`.
 */
@injectable()
export class ByteTokenizer implements Tokenizer {
  readonly vocabSize = 260;
  readonly bosId = 256;
  readonly eosId = 257;
  readonly padId = 258;
  readonly sepId = 259;

  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

  encode(text: string): number[] {
    return Array.from(this.encoder.encode(text));
  }

  /** Bytes to text; special ids become their names (`<|eos|>`) unless `skipSpecial`. */
  decode(ids: readonly number[], options: { skipSpecial?: boolean } = {}): string {
    let out = '';
    let bytes: number[] = [];
    const flush = (): void => {
      if (bytes.length > 0) out += this.decoder.decode(Uint8Array.from(bytes));
      bytes = [];
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (Number.isInteger(id) && id >= 0 && id < 256) {
        bytes.push(id);
      } else if (Number.isInteger(id) && id >= 256 && id < this.vocabSize) {
        flush();
        if (!options.skipSpecial) out += BYTE_SPECIAL_TOKENS[id - 256];
      } else {
        throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `ByteTokenizer.decode: id ${String(id)} at position ${i} is not a token id (allowed: integers 0–${this.vocabSize - 1}).`);
      }
    }
    flush();
    return out;
  }

  encodePair(prompt: string, response: string, options?: EncodePairOptions): EncodedPair {
    return encodePairWith(this, prompt, response, options);
  }

  toJSON(): ByteTokenizerJSON {
    return { type: 'byte', version: 1 };
  }
}
