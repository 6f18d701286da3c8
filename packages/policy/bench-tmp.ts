import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@apogee/runtime';
import { silentLogger } from '@apogee/core';
import { GptModel, gptConfig } from '@apogee/policy';
async function main() {
  await initBackend({ logger: silentLogger, blasThreads: 1 });
  const m = GptModel.create(gptConfig('small'), 1);
  const B = 64, t = 48;
  const past = Array.from({ length: 2 }, () => ({ k: tf.randomNormal([B, 4, t, 32]) as tf.Tensor4D, v: tf.randomNormal([B, 4, t, 32]) as tf.Tensor4D }));
  const ids = tf.zeros([B, 1], 'int32') as tf.Tensor2D, pos = tf.fill([B, 1], 20, 'int32') as tf.Tensor2D, bias = tf.zeros([B, 1, 1, t + 1]) as tf.Tensor4D;
  const step = () => tf.tidy(() => { const h = m.hidden(ids, { positions: pos, bias, past }); return m.logits(h.hidden); });
  for (let i = 0; i < 5; i++) step().dispose();
  const N = 30;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) { const l = step(); await l.data(); l.dispose(); }
  console.log('step ms', ((performance.now() - t0) / N).toFixed(2));
  const prof = await tf.profile(async () => { for (let i = 0; i < N; i++) { const l = step(); await l.data(); l.dispose(); } });
  const by = new Map<string, [number, number]>();
  let total = 0;
  for (const k of prof.kernels) { const e = by.get(k.name) ?? [0, 0]; e[0] += k.kernelTimeMs as number; e[1]++; by.set(k.name, e); total += k.kernelTimeMs as number; }
  console.log('kernel ms/step', (total / N).toFixed(2), 'kernels/step', prof.kernels.length / N);
  console.log([...by].sort((a, b) => b[1][0] - a[1][0]).slice(0, 25).map(([k, [t, n]]) => `${k} ${(t / N).toFixed(2)}ms x${n / N}`).join('\n'));
}
main();
