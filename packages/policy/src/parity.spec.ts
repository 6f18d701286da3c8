import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@apogee/runtime';
import { silentLogger } from '@apogee/core';
import { readSafetensors } from '@apogee/safetensors';
import { makeTempDir, maxAbsDiff } from '@apogee/testing';
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

// The export half: a checkpoint apogee writes (after training steps, so that nothing is at its
// initial value) read by the same independent PyTorch GPT-2 (tools/policy-parity/check_export.py).
// It needs the system Python with PyTorch (Debian's python3-torch); without it the test says so and
// is skipped.
const PYTHON = process.env.APOGEE_PYTHON ?? '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
(hasTorch ? describe : describe.skip)('an exported checkpoint read by the independent PyTorch GPT-2 (needs python3-torch)', () => {
  it('gives the same logits within 1e-4', async () => {
    await initBackend({ logger: silentLogger });
    const policy = await GptPolicy.load(FIXTURE);
    policy.setOptimizer({ lr: 1e-2, schedule: 'constant' });
    const batch = [{ prompt: 'Hello', response: ' world, again.' }];
    for (let i = 0; i < 3; i++) await policy.trainStep((f) => ({ loss: tf.neg(tf.mean(f.responseLogProbs(batch).sum)) as tf.Scalar }));
    const tmp = makeTempDir();
    await policy.save(tmp.dir);
    const sequences = [[72, 101, 108, 108, 111, 32, 119], [10, 10, 72, 117, 109, 97, 110, 58, 32, 49, 43, 49]];
    const script = path.join(__dirname, '..', '..', '..', 'tools', 'policy-parity', 'check_export.py');
    const r = spawnSync(PYTHON, [script, tmp.dir, JSON.stringify(sequences)], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(r.stderr).toBe('');
    const theirs = JSON.parse(r.stdout) as number[][][];
    for (const [s, ids] of sequences.entries()) {
      const logits = tf.tidy(() => policy.model.logits(policy.model.hidden(tf.tensor2d([ids], [1, ids.length], 'int32')).hidden));
      expect(maxAbsDiff(await logits.data(), theirs[s].flat())).toBeLessThan(1e-4);
      logits.dispose();
    }
    policy.dispose();
    tmp.cleanup();
  });
});
