/**
 * Kernel profile of one GPT training step on the current backend:
 * `npx tsx --tsconfig bench/tsconfig.json --conditions=@apogee/source bench/profile.ts [a|b] [plain]`
 * (`plain`: the plain-tfjs GPT step of the `plain-a`/`plain-b` cases instead of apogee's fused one;
 * `shapes`: one line per kernel and input shapes; `cpu`: kernel times as process CPU time, which a
 * loaded machine's preemption does not inflate as it does wall time).
 * Prints each kernel's share of kernel time (composite-op wrappers such as `fusedMatMul__op` and custom-gradient `forward`
 * are left out: their time is their kernels'), and the step's time outside kernels.
 */
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { GPT_BENCH_SHAPES, initBackend, plainGptStep } from '@apogee/runtime';
import { gptBenchStep } from '@apogee/cli';

async function main(): Promise<void> {
  const shapeName = process.argv[2] === 'b' ? 'b' : 'a';
  await initBackend({ backend: (process.env.APOGEE_BACKEND as 'apogee-cpu' | undefined) ?? 'apogee-cpu' });
  const plain = process.argv.includes('plain');
  const byShapes = process.argv.includes('shapes');
  if (process.argv.includes('cpu')) {
    // tf.profile times each kernel through backend.time(): count process CPU time instead.
    (tf.backend() as unknown as { time(f: () => void): Promise<{ kernelMs: number }> }).time = async (f) => {
      const start = process.cpuUsage();
      f();
      const used = process.cpuUsage(start);
      return { kernelMs: (used.user + used.system) / 1000 };
    };
  }
  const step = await (plain ? plainGptStep : gptBenchStep)(GPT_BENCH_SHAPES[shapeName]);
  for (let i = 0; i < 3; i++) await step.step();
  const profiles = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const c = process.cpuUsage();
    const p = await tf.profile(() => step.step());
    const cpu = process.cpuUsage(c);
    profiles.push({ wall: performance.now() - t, cpu: (cpu.user + cpu.system) / 1000, kernels: p.kernels.filter((k) => !k.name.endsWith('__op') && k.name !== 'forward') });
  }
  step.dispose();
  const byName = new Map<string, { ms: number; calls: number; elements: number }>();
  let kernelMs = 0;
  let wall = 0;
  let cpu = 0;
  for (const p of profiles) {
    wall += p.wall / profiles.length;
    cpu += p.cpu / profiles.length;
    for (const k of p.kernels) {
      const key = byShapes ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
      const e = byName.get(key) ?? { ms: 0, calls: 0, elements: 0 };
      const ms = (k.kernelTimeMs as number) / profiles.length;
      e.ms += ms;
      e.calls += 1 / profiles.length;
      e.elements += k.outputShapes.reduce((s, sh) => s + (sh ?? []).reduce((a, b) => a * b, 1), 0) / profiles.length;
      byName.set(key, e);
      kernelMs += ms;
    }
  }
  console.log(`${plain ? 'plain-tfjs ' : ''}GPT step (${shapeName}) on ${tf.getBackend()}: ${wall.toFixed(0)} ms (${cpu.toFixed(0)} ms CPU) per profiled step, ${kernelMs.toFixed(0)} ms in kernels (${(100 * kernelMs / (process.argv.includes('cpu') ? cpu : wall)).toFixed(0)}%), ${profiles[0].kernels.length} kernel calls`);
  console.log('| kernel | share of kernel time | calls | output elements |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30)) {
    console.log(`| ${name} | ${(100 * e.ms / kernelMs).toFixed(1)}% | ${Math.round(e.calls)} | ${(e.elements / 1e6).toFixed(2)}M |`);
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
