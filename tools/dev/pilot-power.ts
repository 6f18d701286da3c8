// Sizing the declared run from a pilot (issue #13, decision 0066): for each claim, the pilot's
// per-seed mean and standard deviation, and the smallest effect that N seeds detect with 80% power
// at two-sided 5% (normal approximation: δ = (z₀.₉₇₅ + z₀.₈) · sd / √N), and the seeds a pilot-sized
// effect would need. Reads seed-runs.json of a quickstart directory.
//   npx tsx --tsconfig bench/tsconfig.json tools/dev/pilot-power.ts <quickstart-dir> [N=10]
import * as fs from 'node:fs';
import * as path from 'node:path';

const [dir, nArg] = process.argv.slice(2);
const n = Number(nArg ?? 10);
const runs = JSON.parse(fs.readFileSync(path.join(dir, 'seed-runs.json'), 'utf8')) as Array<{ seed: number; analysis?: { claimValues: Record<string, number> } }>;
const ids = [...new Set(runs.flatMap((r) => Object.keys(r.analysis?.claimValues ?? {})))];
const z = 1.959964 + 0.841621;
console.log(`pilot seeds ${runs.map((r) => r.seed).join(', ')}; N = ${n}`);
console.log('| claim | pilot values | mean | sd | detectable at N (80%) | seeds for the pilot mean |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const id of ids) {
  const v = runs.map((r) => r.analysis?.claimValues[id]).filter((x): x is number => typeof x === 'number');
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(v.length - 1, 1));
  const need = m === 0 ? Infinity : Math.ceil((z * sd / Math.abs(m)) ** 2);
  console.log(`| ${id} | ${v.map((x) => x.toFixed(3)).join(' ')} | ${m.toFixed(3)} | ${sd.toFixed(3)} | ${(z * sd / Math.sqrt(n)).toFixed(3)} | ${need} |`);
}
