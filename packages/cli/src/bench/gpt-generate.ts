/**
 * Generation the benchmark times (`npm run bench` and `apogee bench`, case `generate-a`):
 * `@apogee/policy`'s GptPolicy with its KV cache, shape (a),
 * the byte tokenizer (vocab 260), 64 prompts of 16 bytes, 64 new tokens each, greedy decoding,
 * no stop sequences. `bench/reference/torch_bench.py generate` mirrors it (KV-cache greedy loop).
 */
import { Rng } from '@apogee/core';
import { GptPolicy, gptConfig } from '@apogee/policy';
import { GreedySampler } from '@apogee/samplers';
import { ByteTokenizer } from '@apogee/tokenizers';
import type { GptBenchShape, GptStep } from '@apogee/runtime';

export const GENERATE_PROMPTS = 64;
export const GENERATE_NEW_TOKENS = 64;

export async function gptBenchGenerate(shape: GptBenchShape): Promise<GptStep> {
  const tokenizer = new ByteTokenizer();
  const config = gptConfig('tiny', { vocabSize: tokenizer.vocabSize, nLayer: shape.layers, nHead: shape.heads, nEmbd: shape.d, blockSize: 128 });
  const policy = GptPolicy.create(config, tokenizer, 1, { generateBatchSize: GENERATE_PROMPTS });
  const prompts = Array.from({ length: GENERATE_PROMPTS }, (_, i) => `prompt #${i}: `.padEnd(16, '.').slice(0, 16));
  const out: GptStep = {
    info: {
      prompts: GENERATE_PROMPTS,
      promptTokens: tokenizer.encodePair(prompts[0], '', { addEos: false }).ids.length,
      newTokens: GENERATE_NEW_TOKENS,
      vocab: tokenizer.vocabSize,
      generated: 0,
    },
    async step() {
      const rows = await policy.generate(prompts, { sampler: new GreedySampler(), rng: Rng.fromSeed(1, 'bench'), maxNewTokens: GENERATE_NEW_TOKENS, stop: [], batchSize: GENERATE_PROMPTS });
      out.info!.generated = rows.reduce((s, r) => s + r.reduce((t, g) => t + g.tokenIds.length + (g.finishReason === 'eos' ? 1 : 0), 0), 0);
    },
    dispose() {
      policy.dispose();
    },
  };
  return out;
}
