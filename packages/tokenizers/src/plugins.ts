import { definePlugin, token, TOKENS } from '@apogee/core';
import { Lifecycle } from 'tsyringe';
import { z } from 'zod';
import { ByteTokenizer } from './byte-tokenizer';

const PKG = '@apogee/tokenizers';

/** The byte tokenizer has nothing to configure; its options token exists for symmetry and inspection. */
export type ByteTokenizerOptions = Record<string, never>;
export const BYTE_TOKENIZER_OPTIONS = token<ByteTokenizerOptions>(PKG, 'ByteTokenizerOptions');

/** Registers `ByteTokenizer` (ids 0–255 bytes, 256 BOS, 257 EOS, 258 PAD, 259 SEP) as `TOKENS.Tokenizer`. */
export const byteTokenizer = definePlugin<ByteTokenizerOptions>('byte-tokenizer', {
  provides: [TOKENS.Tokenizer, BYTE_TOKENIZER_OPTIONS],
  defaults: {},
  schema: z.object({}).strict() as unknown as z.ZodType<ByteTokenizerOptions>,
  register: (container, options) => {
    container.register(BYTE_TOKENIZER_OPTIONS, { useValue: options });
    container.register(TOKENS.Tokenizer, { useClass: ByteTokenizer }, { lifecycle: Lifecycle.ContainerScoped });
  },
});
