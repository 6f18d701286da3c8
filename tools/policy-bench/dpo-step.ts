/**
 * One DPO training step of @apogee/policy vs PyTorch, same run: the small preset, 16 pairs (32
 * rows of 64 tokens: 32 prompt + 32 response incl. EOS), frozen reference forward + policy
 * forward/backward + clipping + AdamW, one thread each. `torch_dpo.py` mirrors it. Prints the best
 * of 3 steps per side and round, wall clock and process CPU time.
 *
 *   npx tsx --tsconfig packages/policy/tsconfig.json --conditions=@apogee/source tools/policy-bench/dpo-step.ts
 */
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { initBackend } from '@apogee/runtime';
import { silentLogger } from '@apogee/core';
import { ByteTokenizer } from '@apogee/tokenizers';
import { GptPolicy, gptConfig } from '@apogee/policy';
async function main() {
  await initBackend({ logger: silentLogger, blasThreads: 1 });
  const policy = GptPolicy.create(gptConfig('small'), new ByteTokenizer(), 1);
  const ref = await policy.clone({ trainable: false });
  policy.setOptimizer({ lr: 1e-4 });
  const P = 16;
  const mk = (i: number, tag: string) => ({ prompt: `Prompt ${i} `.padEnd(32, 'p'), response: `${tag} answer ${i} `.padEnd(31, 'r') });
  const rows = [...Array.from({ length: P }, (_, i) => mk(i, 'good')), ...Array.from({ length: P }, (_, i) => mk(i, 'bad'))];
  const step = () => policy.trainStep((f) => {
    const lp = f.responseLogProbs(rows);
    const r = tf.tidy(() => ref.responseLogProbs(rows).sum);
    const d = tf.sub(tf.sub(tf.slice(lp.sum, 0, P), tf.slice(r, 0, P)), tf.sub(tf.slice(lp.sum, P, P), tf.slice(r, P, P)));
    return { loss: tf.mean(tf.softplus(tf.mul(d, -0.1))) as tf.Scalar };
  });
  for (let i = 0; i < 2; i++) await step();
  for (let rep = 0; rep < Number(process.env.REPS ?? 3); rep++) {
    let bw = 1e9, bc = 1e9;
    for (let i = 0; i < 3; i++) {
      const w = performance.now(), c = process.cpuUsage();
      await step();
      const u = process.cpuUsage(c);
      bw = Math.min(bw, performance.now() - w); bc = Math.min(bc, (u.user + u.system) / 1000);
    }
    const [tw, tc] = execFileSync(process.env.APOGEE_PYTHON ?? '/usr/bin/python3', [path.join(__dirname, 'torch_dpo.py'), '3']).toString().trim().split(' ').map(Number);
    console.log(`dpo step: apogee ${bw.toFixed(0)} ms wall (${bc.toFixed(0)} cpu) | torch ${tw.toFixed(0)} wall (${tc.toFixed(0)} cpu) | apogee/torch wall ${(bw / tw).toFixed(2)} cpu ${(bc / tc).toFixed(2)}`);
  }
}
main();
