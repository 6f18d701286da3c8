import { definePlugin, token, TOKENS } from '@apogee/core';
import { Lifecycle } from 'tsyringe';
import { z } from 'zod';
import { ByteTokenizer } from './byte-tokenizer';
import { loadHfTokenizer } from './hf-tokenizer';

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

export interface HfTokenizerOptions {
  /** A model directory holding `tokenizer.json` (+ optional `tokenizer_config.json`), or the `tokenizer.json` path. */
  path: string;
  /** Override the BOS token (by text); default from tokenizer_config.json, else EOS. */
  bosToken?: string;
  /** Override the EOS token (by text); default from tokenizer_config.json, else `<|endoftext|>`/`</s>`/`<eos>`. */
  eosToken?: string;
  /** Override the PAD token (by text); default from tokenizer_config.json, else EOS. */
  padToken?: string;
}
export const HF_TOKENIZER_OPTIONS = token<HfTokenizerOptions>(PKG, 'HfTokenizerOptions');

/**
 * Registers an `HfTokenizer` loaded from `path` as `TOKENS.Tokenizer`. The files are read when the
 * run is created, so a bad path or file fails before any work starts.
 */
export const hfTokenizer = definePlugin<HfTokenizerOptions>('hf-tokenizer', {
  provides: [TOKENS.Tokenizer, HF_TOKENIZER_OPTIONS],
  schema: z
    .object({
      path: z.string().min(1),
      bosToken: z.string().optional(),
      eosToken: z.string().optional(),
      padToken: z.string().optional(),
    })
    .strict(),
  register: (container, options) => {
    container.register(HF_TOKENIZER_OPTIONS, { useValue: options });
    const tokenizer = loadHfTokenizer(options.path, { bosToken: options.bosToken, eosToken: options.eosToken, padToken: options.padToken });
    container.register(TOKENS.Tokenizer, { useValue: tokenizer });
  },
});
