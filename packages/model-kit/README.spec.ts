// The README's usage example, verbatim in substance: it must keep working.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@apogee/runtime';
import { silentLogger } from '@apogee/core';
import { makeTempDir } from '@apogee/testing';
import { ByteTokenizer } from '@apogee/tokenizers';
import { AdamWOptimizer, readCheckpoint, writeCheckpoint } from './src';

it('README example: one AdamW step, a sharded checkpoint with optimizer state, read back', async () => {
  await initBackend({ logger: silentLogger });
  const tmp = makeTempDir();
  const dir = path.join(tmp.dir, 'ckpt');
  const w = tf.variable(tf.tensor1d([3, -2]));
  const opt = new AdamWOptimizer({ lr: 0.1 }, [{ name: 'w', variable: w, decay: false }]);
  const step = await opt.trainStep(() => ({ loss: tf.sum(tf.square(w)) as tf.Scalar }));
  expect(step.step).toBe(1);
  const b = new Float32Array([1, 2]);
  await writeCheckpoint(dir, {
    hfConfig: { vocab_size: 260 },
    tensors: new Map([['w', { shape: [2], data: w.dataSync() as Float32Array }], ['b', { shape: [2], data: b }]]),
    tokenizer: new ByteTokenizer(),
    optimizer: opt,
    maxShardBytes: 8,
  });
  expect(fs.readdirSync(dir).filter((f) => f.startsWith('model-'))).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
  const back = await readCheckpoint(dir, { parseConfig: (json) => json as { vocab_size: number }, vocabSize: (c) => c.vocab_size });
  expect(back.config.vocab_size).toBe(260);
  expect(Array.from(back.tensors.get('w')!.data)).toEqual(Array.from(w.dataSync()));
  expect(Array.from(back.tensors.get('b')!.data)).toEqual([1, 2]);
  expect(back.optimizer?.step).toBe(1);
  opt.dispose();
  w.dispose();
  tmp.cleanup();
});
