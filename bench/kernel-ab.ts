/**
 * In-process A/B of apogee-cpu kernels against tfjs's own cpu kernels, on a loaded machine:
 * `npx tsx --tsconfig bench/tsconfig.json --conditions=@apogee/source bench/kernel-ab.ts <plain-a|plain-b|layers> <Kernel[,Kernel…]> [rounds]`.
 * Alternates blocks of training steps (plain-tfjs GPT step, or one `layers-fit` epoch) with the
 * named kernels as apogee-cpu's (on) and as the cpu backend's (off), in one process, and prints
 * the median process CPU time per step of each: other jobs' load hits both sides alike, which
 * separate processes minutes apart do not guarantee.
 */
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { GPT_BENCH_SHAPES, initBackend, layersFitStep, plainGptStep } from '@apogee/runtime';

(async () => {
  await initBackend({ backend: 'apogee-cpu', logger: { info() {}, warn() {}, debug() {} } as never });
  const which = process.argv[2] ?? 'plain-a';
  const names = (process.argv[3] ?? 'Step').split(',');
  const rounds = Number(process.argv[4] ?? 6);
  const mine = names.map((n) => {
    const k = tf.getKernel(n, 'apogee-cpu');
    if (!k) throw new Error(`no kernel ${n} on apogee-cpu`);
    return k;
  });
  const use = (on: boolean) => names.forEach((n, i) => {
    tf.unregisterKernel(n, 'apogee-cpu');
    tf.registerKernel(on ? mine[i] : { ...tf.getKernel(n, 'cpu')!, backendName: 'apogee-cpu' });
  });
  const step = which === 'layers' ? await layersFitStep() : await plainGptStep(GPT_BENCH_SHAPES[which === 'plain-b' ? 'b' : 'a']);
  const per = which === 'plain-b' ? 2 : 4;
  const cpu: Record<'on' | 'off', number[]> = { on: [], off: [] };
  for (let r = 0; r < rounds; r++) {
    for (const on of r % 2 ? [true, false] : [false, true]) {
      use(on);
      await step.step(); // untimed: the first step after a switch
      const c = process.cpuUsage();
      for (let i = 0; i < per; i++) await step.step();
      const u = process.cpuUsage(c);
      cpu[on ? 'on' : 'off'].push((u.user + u.system) / 1000 / per);
    }
  }
  use(true);
  step.dispose();
  const med = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1];
  console.log(`${which}, ${names.join(', ')}: apogee-cpu's ${med(cpu.on).toFixed(1)} ms CPU per step (min ${Math.min(...cpu.on).toFixed(1)}), tfjs cpu's ${med(cpu.off).toFixed(1)} (min ${Math.min(...cpu.off).toFixed(1)}); ratio ${(med(cpu.on) / med(cpu.off)).toFixed(3)}`);
})();
