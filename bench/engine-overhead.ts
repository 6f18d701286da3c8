/**
 * What tfjs's engine costs per op on small tensors, apart from the kernel's own work:
 * `npx tsx --tsconfig bench/tsconfig.json --conditions=@apogee/source bench/engine-overhead.ts`.
 * Times, in process CPU µs per op (steadier than wall time on a shared machine): the kernel
 * function called directly, the same op through `tf.add` (engine dispatch, tensor bookkeeping),
 * inside `tf.tidy`, under a gradient tape (`tf.grads`: the tape records each op), a `Reshape`,
 * and `dataSync()` of a small tensor.
 */
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@apogee/runtime';

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Median over 5 runs of the CPU µs per call of `fn`, called `n` times per run. */
function perCall(fn: () => void, n: number): number {
  for (let i = 0; i < n; i++) fn();
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = cpuMs();
    for (let i = 0; i < n; i++) fn();
    runs.push(((cpuMs() - t) * 1000) / n);
  }
  return runs.sort((a, b) => a - b)[2];
}

async function main(): Promise<void> {
  await initBackend({ backend: (process.env.APOGEE_BACKEND as 'apogee-cpu' | undefined) ?? 'apogee-cpu' });
  const rows: [string, number][] = [];
  for (const size of [1, 128, 16384]) {
    const a = tf.randomNormal([size], 0, 1, 'float32', 1);
    const b = tf.randomNormal([size], 0, 1, 'float32', 2);
    const backend = tf.backend();
    const kernel = tf.getKernel('Add', tf.getBackend())!;
    const n = size > 1000 ? 2000 : 20000;
    rows.push([`Add [${size}]: kernel function alone`, perCall(() => {
      const out = kernel.kernelFunc({ inputs: { a, b }, backend, attrs: {} }) as tf.TensorInfo;
      backend.disposeData(out.dataId);
    }, n)]);
    rows.push([`Add [${size}]: tf.add + dispose`, perCall(() => tf.add(a, b).dispose(), n)]);
    rows.push([`Add [${size}]: tf.add inside tf.tidy`, perCall(() => tf.tidy(() => tf.add(a, b)).dispose(), n)]);
    const chain = 20;
    const g = tf.grads((x: tf.Tensor) => {
      let y = x;
      for (let i = 0; i < chain; i++) y = tf.add(y, b);
      return tf.sum(y);
    });
    rows.push([`Add [${size}]: forward + backward under tf.grads, per op (${chain}-op chain)`, perCall(() => tf.dispose(g([a])), Math.max(20, n / chain / 4)) / chain]);
    rows.push([`Reshape [${size}] → [1, ${size}]`, perCall(() => tf.reshape(a, [1, size]).dispose(), n)]);
    rows.push([`dataSync() of [${size}]`, perCall(() => a.dataSync(), n)]);
    tf.dispose([a, b]);
  }
  console.log(`tfjs engine overhead on ${tf.getBackend()}, CPU µs per call (median of 5 runs)`);
  console.log('| what | µs |');
  console.log('| --- | ---: |');
  for (const [what, us] of rows) console.log(`| ${what} | ${us.toFixed(2)} |`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
