/**
 * The DPO step the benchmark times (`npm run bench` and `apogee bench`, case `dpo-a`): the issue's
 * "log-prob + backward of a DPO batch". `@apogee/policy`'s GptPolicy of shape (a) with the byte
 * tokenizer (vocab 260), `shape.batch` pairs of 64-token rows (32 prompt bytes, 31 response bytes
 * and EOS), a frozen reference copy's log-probs, the policy's log-probs with their gradient, the
 * sigmoid DPO loss with β = 0.1 (Rafailov et al. 2023, eq. 7), clipping at 1.0 and AdamW.
 * `bench/reference/torch_bench.py dpo` mirrors it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GptPolicy, gptConfig } from '@apogee/policy';
import { ByteTokenizer } from '@apogee/tokenizers';
import type { GptBenchShape, GptStep } from '@apogee/runtime';

/** Bytes of each prompt and of each response (plus EOS: 64 tokens per row). */
export const DPO_PROMPT_BYTES = 32;
export const DPO_RESPONSE_BYTES = 31;

export async function gptBenchDpo(shape: GptBenchShape): Promise<GptStep> {
  const tokenizer = new ByteTokenizer();
  const config = gptConfig('tiny', { vocabSize: tokenizer.vocabSize, nLayer: shape.layers, nHead: shape.heads, nEmbd: shape.d, blockSize: 128 });
  const policy = GptPolicy.create(config, tokenizer, 1);
  const reference = await policy.clone({ trainable: false });
  policy.setOptimizer({ lr: 1e-4, weightDecay: 0.01, schedule: 'constant' });
  const P = shape.batch;
  const row = (i: number, tag: string) => ({
    prompt: `Prompt ${i} `.padEnd(DPO_PROMPT_BYTES, 'p'),
    response: `${tag} answer ${i} `.padEnd(DPO_RESPONSE_BYTES, 'r'),
  });
  // Chosen responses first, then rejected ones: one forward pass per model for the whole batch.
  const rows = [...Array.from({ length: P }, (_, i) => row(i, 'good')), ...Array.from({ length: P }, (_, i) => row(i, 'bad'))];
  const beta = 0.1;
  return {
    info: { pairs: P, tokensPerRow: DPO_PROMPT_BYTES + DPO_RESPONSE_BYTES + 1, vocab: tokenizer.vocabSize },
    async step() {
      // The reference's log-probs outside the gradient tape (PyTorch: torch.no_grad()).
      const ref = tf.tidy(() => reference.responseLogProbs(rows).sum);
      try {
        await policy.trainStep((forward) => {
          const lp = forward.responseLogProbs(rows).sum;
          const margin = tf.sub(tf.sub(tf.slice(lp, 0, P), tf.slice(ref, 0, P)), tf.sub(tf.slice(lp, P, P), tf.slice(ref, P, P)));
          return { loss: tf.mean(tf.softplus(tf.mul(margin, -beta))) as tf.Scalar };
        });
      } finally {
        ref.dispose();
      }
    },
    dispose() {
      reference.dispose();
      policy.dispose();
    },
  };
}
