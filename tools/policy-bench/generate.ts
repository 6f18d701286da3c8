/**
 * Generation speed of @apogee/policy vs PyTorch, same run, same machine load: the small preset
 * (2 layers, d=128, 4 heads, vocab 260), 64 prompts of 16 bytes, 64 new tokens each, greedy (EOS
 * masked so every row runs to the end), one thread each (BLAS and torch). Prints tokens/s on wall
 * clock and on process CPU time per round; `torch_generate.py` is the PyTorch KV-cache loop.
 *
 *   npx tsx --tsconfig packages/policy/tsconfig.json --conditions=@apogee/source tools/policy-bench/generate.ts
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { initBackend } from '@apogee/runtime';
import { Rng, silentLogger, type Sampler } from '@apogee/core';
import { ByteTokenizer } from '@apogee/tokenizers';
import { GptPolicy, gptConfig } from '@apogee/policy';
const noEos: Sampler = { name: 'g', next({ logits, batch, vocab }) {
  const out = new Int32Array(batch);
  for (let r = 0; r < batch; r++) { let best = 0; for (let j = 1; j < vocab; j++) if (j !== 257 && logits[r*vocab+j] > logits[r*vocab+best]) best = j; out[r] = best; }
  return out; } };
async function main() {
  await initBackend({ logger: silentLogger, blasThreads: 1 });
  const policy = GptPolicy.create(gptConfig('small'), new ByteTokenizer(), 1);
  const prompts = Array.from({ length: 64 }, (_, i) => `Prompt number ${i}: `.padEnd(16, 'x'));
  const opts = { sampler: noEos, rng: Rng.fromSeed(1), maxNewTokens: 64, batchSize: 64 };
  await policy.generate(prompts.slice(0, 8), { ...opts, maxNewTokens: 8 });
  for (let rep = 0; rep < Number(process.env.REPS ?? 3); rep++) {
    let bw = 1e9, bc = 1e9;
    for (let i = 0; i < 2; i++) {
      const w = performance.now(), c = process.cpuUsage();
      await policy.generate(prompts, opts);
      const cu = process.cpuUsage(c);
      bw = Math.min(bw, (performance.now() - w) / 1000); bc = Math.min(bc, (cu.user + cu.system) / 1e6);
    }
    const [n, tw, tc] = execFileSync(process.env.APOGEE_PYTHON ?? '/usr/bin/python3', [path.join(__dirname, 'torch_generate.py'), '2']).toString().trim().split(' ').map(Number);
    console.log(`apogee ${(4096 / bw).toFixed(0)} tok/s wall (${(4096 / bc).toFixed(0)} cpu) | torch ${(n / tw).toFixed(0)} wall (${(n / tc).toFixed(0)} cpu) | ratio wall ${(tw / bw).toFixed(2)} cpu ${(tc / bc).toFixed(2)}`);
  }
}
main();
