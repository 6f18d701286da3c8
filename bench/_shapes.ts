import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { GPT_BENCH_SHAPES, initBackend, plainGptStep } from '@apogee/runtime';
async function main() {
  await initBackend({ backend: 'apogee-cpu' });
  const step = await plainGptStep(GPT_BENCH_SHAPES[(process.argv[2] as 'a') ?? 'a']);
  for (let i = 0; i < 2; i++) await step.step();
  const m = new Map<string, { ms: number; calls: number }>();
  for (let r = 0; r < 2; r++) {
    const p = await tf.profile(() => step.step());
    for (const k of p.kernels) {
      if (k.name.endsWith('__op') || k.name === 'forward') continue;
      const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
      const e = m.get(key) ?? { ms: 0, calls: 0 };
      e.ms += (k.kernelTimeMs as number) / 2; e.calls += 0.5; m.set(key, e);
    }
  }
  for (const [k, e] of [...m].sort((a, b) => b[1].ms - a[1].ms).slice(0, 40)) console.log(e.ms.toFixed(2), e.calls, k);
}
main();
