/**
 * A GPT-2 training step written the way a tfjs user writes one: plain tfjs ops only, none of
 * apogee's fused ops. LayerNorm through `tf.moments`, the tanh GELU through `pow`/`tanh`,
 * attention through `split`/`transpose`/`matMul`/`softmax`, the embedding through `gather`, the
 * loss through `logSoftmax` and `oneHot`, the update through `tf.train.adam`. The benchmark times
 * it beside apogee's fused GPT step to show what an arbitrary model gets from the backend; the
 * PyTorch reference (`torch_bench.py plain-gpt`) trains the same model with `torch.optim.Adam`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GptBenchShape, GptStep } from './types';

interface Layer {
  ln1g: tf.Variable; ln1b: tf.Variable;
  wAttn: tf.Variable; bAttn: tf.Variable;
  wProj: tf.Variable; bProj: tf.Variable;
  ln2g: tf.Variable; ln2b: tf.Variable;
  wFc: tf.Variable; bFc: tf.Variable;
  wOut: tf.Variable; bOut: tf.Variable;
}

/** LayerNorm over the last axis with the population variance (PyTorch's nn.LayerNorm, eps 1e-5). */
function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
}

/** GPT-2's tanh GELU: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
function gelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/** `[rows, in] · w + b` (a dense layer). */
function dense(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b);
}

/** A fresh model of `shape` (weights N(0, 0.02), seeded) and its training step on fixed tokens. */
export async function plainGptStep(shape: GptBenchShape): Promise<GptStep> {
  const { layers: L, d, heads: H, time: T, batch: B, vocab: V } = shape;
  const hd = d / H;
  let seed = 1;
  const weight = (s: number[]) => tf.variable(tf.randomNormal(s, 0, 0.02, 'float32', seed++));
  const ones = (n: number) => tf.variable(tf.ones([n]));
  const zeros = (n: number) => tf.variable(tf.zeros([n]));
  const wte = weight([V, d]);
  const wpe = weight([T, d]);
  const blocks: Layer[] = [];
  for (let l = 0; l < L; l++) {
    blocks.push({
      ln1g: ones(d), ln1b: zeros(d), wAttn: weight([d, 3 * d]), bAttn: zeros(3 * d), wProj: weight([d, d]), bProj: zeros(d),
      ln2g: ones(d), ln2b: zeros(d), wFc: weight([d, 4 * d]), bFc: zeros(4 * d), wOut: weight([4 * d, d]), bOut: zeros(d),
    });
  }
  const lnfg = ones(d);
  const lnfb = zeros(d);
  // The same fixed tokens as the PyTorch reference: (i·7919 + (i >> 3)) mod vocab.
  const tokens = new Int32Array(B * (T + 1));
  for (let i = 0; i < tokens.length; i++) tokens[i] = (i * 7919 + (i >> 3)) % V;
  const ids = tf.tensor2d(tokens.filter((_, i) => i % (T + 1) !== T), [B, T], 'int32');
  const targets = tf.tensor1d(tokens.filter((_, i) => i % (T + 1) !== 0), 'int32');
  const mask = tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9));
  const optimizer = tf.train.adam(3e-4, 0.9, 0.999, 1e-8);

  const attention = (x: tf.Tensor, p: Layer): tf.Tensor => {
    const qkv = tf.reshape(dense(x, p.wAttn, p.bAttn), [B, T, 3 * d]);
    const [q, k, v] = tf.split(qkv, 3, 2).map((t) => tf.transpose(tf.reshape(t, [B, T, H, hd]), [0, 2, 1, 3]));
    const att = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)), mask);
    const y = tf.matMul(tf.softmax(att), v);
    return dense(tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * T, d]), p.wProj, p.bProj);
  };

  const loss = (): tf.Scalar => {
    let x = tf.reshape(tf.add(tf.reshape(tf.gather(wte, ids), [B, T, d]), wpe), [B * T, d]);
    for (const p of blocks) {
      x = tf.add(x, attention(layerNorm(x, p.ln1g, p.ln1b), p));
      x = tf.add(x, dense(gelu(dense(layerNorm(x, p.ln2g, p.ln2b), p.wFc, p.bFc)), p.wOut, p.bOut));
    }
    const logits = tf.matMul(layerNorm(x, lnfg, lnfb), wte, false, true);
    const logp = tf.logSoftmax(logits);
    return tf.neg(tf.mean(tf.sum(tf.mul(logp, tf.oneHot(targets, V)), -1))) as tf.Scalar;
  };

  const variables = [wte, wpe, ...blocks.flatMap((p) => Object.values(p) as tf.Variable[]), lnfg, lnfb];
  return {
    async step() {
      const value = optimizer.minimize(loss, true) as tf.Scalar;
      await value.data();
      value.dispose();
    },
    dispose() {
      optimizer.dispose();
      tf.dispose([...variables, ids, targets, mask]);
    },
  };
}

/**
 * A small Keras-style model trained with `model.fit`: `tf.sequential` of three dense layers
 * (64 → 256 → 256 → 10, ReLU, softmax), categorical cross-entropy, Adam, one epoch over 1024
 * samples in batches of 128. tfjs-layers comes from `@tensorflow/tfjs`, loaded on first use.
 */
export async function layersFitStep(): Promise<GptStep> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tfl = require('@tensorflow/tfjs') as typeof import('@tensorflow/tfjs');
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [64], units: 256, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
      tfl.layers.dense({ units: 256, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
      tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
  model.compile({ optimizer: tfl.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const n = 1024;
  const x = tf.randomNormal([n, 64], 0, 1, 'float32', 7);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = (i * 7919) % 10;
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 10));
  return {
    info: { samples: n, batch: 128 },
    async step() {
      await model.fit(x, y, { batchSize: 128, epochs: 1, verbose: 0, shuffle: false });
    },
    dispose() {
      model.dispose();
      tf.dispose([x, y]);
    },
  };
}
