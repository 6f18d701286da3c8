/**
 * `npx tsx --tsconfig bench/tsconfig.json --conditions=@apogee/source bench/llama.ts [--threads N] [--iters N] [--layers N]
 * [--parts train,generate,memory]`:
 * a SmolLM2-135M-shaped Llama with random weights, apogee against the PyTorch reference
 * (bench/reference/llama_bench.py) in the same run: (a) a LoRA r=16 training step (q/k/v/o) at
 * T=256, batch 4; (b) greedy KV-cache generation of 64 tokens for 8 prompts; wall and CPU time on
 * both sides, each the mean of `--iters` runs after one warm-up run. (c) Peak tensor memory (tf.profile's peakBytes) of a LoRA DPO step whose reference is
 * the same weights with the adapter off, against the policy's own step on the same pairs (one copy of
 * the weights plus its activations). Prints one JSON line.
 */
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@apogee/runtime';
import { Rng, silentLogger, type PromptResponse, type Sampler, type Tokenizer } from '@apogee/core';
import { llamaConfig, LlamaPolicy } from '@apogee/policy';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

/** A tokenizer of SmolLM2's vocabulary size over plain ids ("12 7 99"): the bench feeds ids, not text. */
function idTokenizer(vocabSize: number): Tokenizer {
  return {
    vocabSize,
    bosId: 1,
    eosId: 0,
    padId: 2,
    encode: (text) => (text.trim() === '' ? [] : text.trim().split(/\s+/).map(Number)),
    decode: (ids) => ids.join(' '),
    encodePair(prompt, response, options = {}) {
      const p = this.encode(prompt);
      const r = this.encode(response);
      const ids = [...p, ...r, ...(options.addEos === false ? [] : [0])];
      return { ids: ids.slice(-(options.maxLength ?? ids.length)), promptLength: p.length };
    },
    toJSON: () => ({ type: 'bench-ids' }),
  };
}

const greedy: Sampler = {
  name: 'greedy',
  next({ logits, batch, vocab }) {
    const out = new Int32Array(batch);
    for (let b = 0; b < batch; b++) {
      let best = 0;
      for (let j = 1; j < vocab; j++) if (logits[b * vocab + j] > logits[b * vocab + best]) best = j;
      out[b] = best;
    }
    return out;
  },
};

async function main(): Promise<void> {
  const threads = arg('threads', 1);
  const iters = arg('iters', 2);
  const layers = arg('layers', 30);
  const partsArg = process.argv.indexOf('--parts');
  const parts = new Set(partsArg < 0 ? ['train', 'generate', 'memory'] : process.argv[partsArg + 1].split(','));
  process.env.OPENBLAS_NUM_THREADS = String(threads);
  const info = await initBackend({ logger: silentLogger, blasThreads: threads });
  const config = llamaConfig('smollm2-135m', { nLayer: layers, blockSize: 512 });
  const shape = { d: config.nEmbd, heads: config.nHead, kvHeads: config.nKvHead, headDim: config.headDim, inter: config.intermediateSize, vocab: config.vocabSize, layers, ropeTheta: config.ropeTheta, r: 16, T: 256, batch: 4, prompts: 8, promptLength: 16, newTokens: 64, iters, threads };
  const rng = Rng.fromSeed(1, 'bench');
  const tokenizer = idTokenizer(config.vocabSize);
  const policy = LlamaPolicy.create(config, tokenizer, 1);
  policy.addAdapter({ r: 16, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] }, 1);
  policy.setOptimizer({ lr: 1e-4 });
  const row = (n: number) => Array.from({ length: n }, () => 3 + Math.floor(rng.float() * (config.vocabSize - 3))).join(' ');
  const batch = Array.from({ length: 4 }, () => ({ prompt: row(1), response: row(255) }));
  const prompts = Array.from({ length: 8 }, () => row(16));
  const reference = policy.withoutAdapter();
  const apogee: Record<string, unknown> = { backend: info.name };
  if (parts.has('train')) {
    const t = await warmedMean(() => policy.trainStep((f) => ({ loss: tf.neg(tf.mean(f.responseLogProbs(batch).sum)) as tf.Scalar })), iters);
    apogee.trainStepS = t.wallS;
    apogee.trainStepCpuS = t.cpuS;
  }
  if (parts.has('generate')) {
    // One full-length warm-up (as the training step's), then the mean of `iters` generations.
    const t = await warmedMean(() => reference.generate(prompts, { sampler: greedy, rng, maxNewTokens: 64, batchSize: 8 }), iters);
    apogee.generateS = t.wallS;
    apogee.generateCpuS = t.cpuS;
  }
  const memory = parts.has('memory') ? await dpoMemory(policy, reference, batch, rng, config.vocabSize) : null;
  reference.dispose();
  policy.dispose();
  const script = path.join(__dirname, 'reference', 'llama_bench.py');
  const r = spawnSync(process.env.APOGEE_PYTHON ?? '/usr/bin/python3', [script, JSON.stringify({ ...shape, parts: [...parts] })], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
  const torch = r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').pop()!) : { error: r.stderr.trim().split('\n').pop() };
  const ratio = (a: unknown, b: unknown) => (typeof a === 'number' && typeof b === 'number' ? a / b : null);
  process.stdout.write(
    `${JSON.stringify({
      shape,
      loadAverage: os.loadavg(),
      apogee,
      torch,
      trainRatio: ratio(apogee.trainStepS, torch.trainStepS),
      trainCpuRatio: ratio(apogee.trainStepCpuS, torch.trainStepCpuS),
      generateTokensPerSecondRatio: ratio(torch.generateS, apogee.generateS),
      generateTokensPerCpuSecondRatio: ratio(torch.generateCpuS, apogee.generateCpuS),
      memory,
    })}\n`,
  );
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}

/** One untimed call, then the mean wall and CPU seconds of `iters` calls. */
async function warmedMean(fn: () => unknown, iters: number): Promise<{ wallS: number; cpuS: number }> {
  await fn();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < iters; i++) await fn();
  return { wallS: (performance.now() - t0) / 1000 / iters, cpuS: cpuSeconds(c0) / iters };
}

/**
 * Peak tensor bytes of (1) the policy's own step on chosen + rejected (weights, adapter, optimizer
 * state and the step's activations) and (2) a DPO step: the reference's log-probs (adapter off, same
 * weights, no gradient), then the policy's step with the DPO loss (Rafailov et al. 2023, eq. 7).
 */
async function dpoMemory(policy: LlamaPolicy, reference: LlamaPolicy, chosen: PromptResponse[], rng: Rng, vocab: number) {
  const rejected = chosen.map((c) => ({ prompt: c.prompt, response: c.response.split(' ').map(() => 3 + Math.floor(rng.float() * (vocab - 3))).join(' ') }));
  const both = [...chosen, ...rejected];
  const weightBytes = tf.memory().numBytes;
  const own = await tf.profile(async () => {
    await policy.trainStep((f) => ({ loss: tf.neg(tf.mean(f.responseLogProbs(both).sum)) as tf.Scalar }));
  });
  const dpo = await tf.profile(async () => {
    const ref = await reference.logProbs(both, { batchSize: both.length });
    const refSums = tf.tensor1d(ref.sum);
    await policy.trainStep((f) => {
      const sums = f.responseLogProbs(both).sum;
      const [c, r] = tf.split(tf.sub(sums, refSums), 2); // log π/π_ref of chosen, of rejected
      // −log σ(z) as softplus(−z): tf.logSigmoid's custom gradient breaks under tf.profile (tfjs 4).
      return { loss: tf.mean(tf.softplus(tf.mul(-0.1, tf.sub(c, r)))) as tf.Scalar };
    });
    refSums.dispose();
  });
  return {
    tensorBytesBeforeSteps: weightBytes,
    policyStepPeakBytes: own.peakBytes,
    dpoStepPeakBytes: dpo.peakBytes,
    dpoOverPolicyStep: dpo.peakBytes / own.peakBytes,
    rssPeakBytes: process.resourceUsage().maxRSS * 1024,
  };
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
