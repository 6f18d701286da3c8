import * as tf from '@tensorflow/tfjs-core';
import { silentLogger } from '@apogee/core';
import { initBackend } from '@apogee/runtime';
import { ByteTokenizer } from '@apogee/tokenizers';
import { gptConfig } from './config';
import { GptPolicy } from './gpt-policy';

beforeAll(async () => {
  await initBackend({ logger: silentLogger });
});

describe('GptPolicy.trainStep on a failing loss', () => {
  it('a loss that throws after the forward pass leaks none of its activations', async () => {
    const policy = GptPolicy.create(gptConfig('tiny', { blockSize: 32, nEmbd: 16, nHead: 2 }), new ByteTokenizer(), 1);
    policy.setOptimizer({ lr: 1e-3 });
    const batch = [{ prompt: 'Hi', response: ' there' }];
    const before = tf.memory().numTensors;
    await expect(
      policy.trainStep((forward) => {
        forward.responseLogProbs(batch);
        throw new Error('loss failed');
      }),
    ).rejects.toThrow('loss failed');
    expect(tf.memory().numTensors).toBe(before);
    policy.dispose();
  });
});
