import 'reflect-metadata';
import { silentLogger } from '@apogee/core';
import { gptConfig, GptPolicy } from '@apogee/policy';
import { initBackend } from '@apogee/runtime';
import { SftNllLoss } from '@apogee/losses';
import { ByteTokenizer } from '@apogee/tokenizers';
import { PreferenceWorld } from '@apogee/world';
async function main() {
  await initBackend({ logger: silentLogger });
  const demos = new PreferenceWorld({ seed: 1 }).sftDemos();
  const tok = new ByteTokenizer();
  for (const d of [64, 128]) for (const bs of [8, 32, 64]) {
    const policy = GptPolicy.create(gptConfig('tiny', { blockSize: 112, nEmbd: d, nHead: 4, nLayer: 2 }), tok, 1);
    const loss = new SftNllLoss({ average: 'token' } as never);
    policy.setOptimizer({ lr: 1e-3 });
    await policy.trainStep((f) => loss.compute({ logProbs: f.responseLogProbs(demos.slice(0, bs)) }));
    const c0 = process.cpuUsage(); const t0 = Date.now();
    for (let i = 0; i < 4; i++) await policy.trainStep((f) => loss.compute({ logProbs: f.responseLogProbs(demos.slice(i * bs, (i + 1) * bs)) }));
    const c = process.cpuUsage(c0);
    console.log(`d=${d} bs=${bs} cpu ms/step ${((c.user + c.system) / 4000).toFixed(0)} wall ${((Date.now() - t0) / 4).toFixed(0)}`);
    policy.dispose();
  }
}
main();
