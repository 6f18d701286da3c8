import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@apogee/runtime';
import { silentLogger } from '@apogee/core';
import { readSafetensors } from '@apogee/safetensors';
import { maxAbsDiff } from '@apogee/testing';
import { GptPolicy } from './gpt-policy';
import { sequenceLogProbs } from './log-probs';

// Fixture made by tools/policy-parity/make_fixture.py: an independent PyTorch GPT-2 (float64) on
// F16-rounded random weights stored with Hugging Face names ("transformer." prefix, mask buffers).

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'gpt2-parity');

describe('parity with an independent PyTorch GPT-2', () => {
  let policy: GptPolicy;
  let expected: Awaited<ReturnType<typeof readSafetensors>>['tensors'];

  beforeAll(async () => {
    await initBackend({ logger: silentLogger });
    policy = await GptPolicy.load(FIXTURE);
    expected = (await readSafetensors(path.join(FIXTURE, 'expected.safetensors'))).tensors;
  });
  afterAll(() => policy.dispose());

  it('loads the Hugging Face config and tensors', () => {
    expect(policy.config).toMatchObject({ vocabSize: 260, blockSize: 64, nLayer: 2, nHead: 4, nEmbd: 64, dropout: 0 });
  });

  for (const s of [0, 1, 2]) {
    it(`matches logits and per-token log-probs of sequence ${s} within 1e-4`, async () => {
      const ids = Array.from(expected.get(`ids.${s}`)!.data);
      const logits = tf.tidy(() => policy.model.logits(policy.model.hidden(tf.tensor2d([ids], [1, ids.length], 'int32')).hidden));
      expect(maxAbsDiff(await logits.data(), expected.get(`logits.${s}`)!.data)).toBeLessThan(1e-4);
      logits.dispose();
      // Per-token log-probs through the log-prob path (prompt = first token, response = the rest).
      const lp = tf.tidy(() => sequenceLogProbs(policy.model, [{ ids, promptLength: 1 }], 258).tokenLogProbs);
      const got = (await lp.data()).slice(1);
      lp.dispose();
      expect(maxAbsDiff(got, expected.get(`logprobs.${s}`)!.data)).toBeLessThan(1e-4);
    });
  }
});
