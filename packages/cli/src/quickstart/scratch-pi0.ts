import 'reflect-metadata';
import { Rng, silentLogger } from '@apogee/core';
import { gptConfig, GptPolicy } from '@apogee/policy';
import { initBackend } from '@apogee/runtime';
import { ComposableSampler } from '@apogee/samplers';
import { SftNllLoss } from '@apogee/losses';
import { ByteTokenizer } from '@apogee/tokenizers';
import { PreferenceWorld } from '@apogee/world';

async function main() {
  const info = await initBackend({ logger: silentLogger });
  console.log('backend', info.name, info.blas);
  const world = new PreferenceWorld({ seed: 1 });
  const demos = world.sftDemos();
  const tok = new ByteTokenizer();
  const cfg = gptConfig('tiny', { blockSize: 112, nEmbd: Number(process.env.D ?? 64), nHead: 4, nLayer: 2 });
  const policy = GptPolicy.create(cfg, tok, 1);
  const loss = new SftNllLoss({ average: 'token' } as never);
  const epochs = Number(process.env.EPOCHS ?? 3), bs = Number(process.env.BS ?? 32);
  const steps = Math.ceil(demos.length / bs) * epochs;
  policy.setOptimizer({ lr: Number(process.env.LR ?? 3e-3), warmupSteps: 10, totalSteps: steps, schedule: 'cosine' });
  const rng = Rng.fromSeed(1);
  let t0 = Date.now();
  for (let e = 0; e < epochs; e++) {
    const order = rng.shuffle(demos.map((_, i) => i));
    let s = 0, n = 0;
    for (let i = 0; i < order.length; i += bs) {
      const batch = order.slice(i, i + bs).map((k) => demos[k]);
      const r = await policy.trainStep((f) => loss.compute({ logProbs: f.responseLogProbs(batch) }));
      s += r.loss; n++;
    }
    console.log('epoch', e, 'loss', (s / n).toFixed(3), 'elapsed', ((Date.now() - t0) / 1000).toFixed(1));
  }
  const test = world.testQueries();
  t0 = Date.now();
  for (const [name, opts] of [['train', { temperature: 1.2, topP: 1 }], ['test', { temperature: 0.3, topK: 5, topP: 0.85, repetitionPenalty: 1.05 }]] as const) {
    const gens = await policy.generate(test.map((q) => q.prompt), { sampler: new ComposableSampler(opts as never), rng: Rng.fromSeed(2), n: 4, maxNewTokens: 48, stop: ['\nHuman'] });
    const gold = gens.flatMap((g, i) => g.map((x) => world.goldReward(test[i].prompt, x.text)));
    const corr = gens.flatMap((g, i) => g.map((x) => world.goldBreakdown(test[i].prompt, x.text).correctness));
    console.log(name, 'gen s', ((Date.now() - t0) / 1000).toFixed(1), 'gold', (gold.reduce((a, b) => a + b) / gold.length).toFixed(3), 'correct', (corr.filter((c) => c === 1).length / corr.length).toFixed(3), 'len', (gens.flat().reduce((a, x) => a + x.text.length, 0) / gens.flat().length).toFixed(1));
    for (let i = 0; i < 6; i++) console.log(JSON.stringify(test[i].prompt.slice(9, -12)), JSON.stringify(gens[i].map((x) => x.text)));
    t0 = Date.now();
  }
}
main();
