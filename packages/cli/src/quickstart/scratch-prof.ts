import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { silentLogger } from '@apogee/core';
import { gptConfig, GptPolicy } from '@apogee/policy';
import { initBackend } from '@apogee/runtime';
import { SftNllLoss } from '@apogee/losses';
import { ByteTokenizer } from '@apogee/tokenizers';
import { PreferenceWorld } from '@apogee/world';
async function main() {
  await initBackend({ logger: silentLogger });
  const demos = new PreferenceWorld({ seed: 1 }).sftDemos();
  const policy = GptPolicy.create(gptConfig('tiny', { blockSize: 112, nEmbd: 64, nHead: 4, nLayer: 2 }), new ByteTokenizer(), 1);
  const loss = new SftNllLoss({ average: 'token' } as never);
  policy.setOptimizer({ lr: 1e-3 });
  await policy.trainStep((f) => loss.compute({ logProbs: f.responseLogProbs(demos.slice(0, 32)) }));
  const prof = await tf.profile(async () => { await policy.trainStep((f) => loss.compute({ logProbs: f.responseLogProbs(demos.slice(32, 64)) })); });
  const agg = new Map<string, { ms: number; n: number }>();
  for (const k of prof.kernels) { const a = agg.get(k.name) ?? { ms: 0, n: 0 }; a.ms += Number(k.kernelTimeMs) || 0; a.n++; agg.set(k.name, a); }
  const rows = [...agg.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15);
  let total = 0; for (const [, v] of agg) total += v.ms;
  console.log('total kernel ms', total.toFixed(0), 'kernels', prof.kernels.length);
  for (const [k, v] of rows) console.log(k.padEnd(24), v.ms.toFixed(1).padStart(8), v.n);
}
main();
