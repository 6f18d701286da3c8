/**
 * Process CPU time per plain-tfjs GPT step (the `plain-a`/`plain-b` model), apogee only:
 * `npx tsx --tsconfig bench/tsconfig.json --conditions=@apogee/source bench/plain-cpu.ts [a|b] [steps]`.
 * CPU time, unlike wall time, is not inflated by other jobs on a loaded machine, so alternating
 * runs with an environment switch (`APOGEE_WASM_ARENA=0`, `APOGEE_SIMD=0`, `APOGEE_BLAS=none`) are
 * an A/B of one change.
 */
import 'reflect-metadata';
import { GPT_BENCH_SHAPES, initBackend, plainGptStep } from '@apogee/runtime';
(async () => {
  await initBackend({ backend: 'apogee-cpu', logger: { info() {}, warn() {}, debug() {} } as never });
  const shape = process.argv[2] === 'b' ? 'b' : 'a';
  const step = await plainGptStep(GPT_BENCH_SHAPES[shape]);
  for (let i = 0; i < 3; i++) await step.step();
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < Number(process.argv[3] ?? 8); i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await step.step();
    wall.push(performance.now() - t);
    const u = process.cpuUsage(c);
    cpu.push((u.user + u.system) / 1000);
  }
  const med = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1];
  console.log(`plain-${shape} (APOGEE_WASM_ARENA=${process.env.APOGEE_WASM_ARENA ?? 'unset'}): median CPU ${med(cpu).toFixed(1)} ms, min CPU ${Math.min(...cpu).toFixed(1)}, median wall ${med(wall).toFixed(1)} ms`);
  step.dispose();
})();
