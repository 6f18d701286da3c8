/**
 * A small causal-attention language model built from tf ops, trained with Adam: tensors must not
 * leak over 100 steps on apogee-cpu (BLAS and no-BLAS), and its losses must track the cpu
 * backend's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, silentLogger } from '@apogee/core';
import { initBackend } from './init-backend';
import { activeBlas, setActiveBlas } from './apogee-cpu-backend';

const V = 13; // vocab
const D = 8; // width
const H = 2; // heads
const T = 6; // positions
const B = 3; // batch

interface Model {
  params: tf.Variable[];
  loss(ids: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar;
}

function makeModel(seed: number): Model {
  const rng = Rng.fromSeed(seed, 'tiny-lm');
  const init = (shape: number[], scale = 0.2) => tf.variable(tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * scale), shape));
  const wte = init([V, D]);
  const wpe = init([T, D]);
  const wqkv = init([D, 3 * D]);
  const wo = init([D, D]);
  const bo = init([D], 0.01);
  const w1 = init([D, 4 * D]);
  const b1 = init([4 * D], 0.01);
  const w2 = init([4 * D, D]);
  const gamma = tf.variable(tf.ones([D]));
  const mask = tf.keep(tf.linalg.bandPart(tf.ones([T, T]), -1, 0));
  const layerNorm = (x: tf.Tensor) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma);
  };
  return {
    params: [wte, wpe, wqkv, wo, bo, w1, b1, w2, gamma],
    loss(ids, targets) {
      return tf.tidy(() => {
        const x = tf.add(tf.gather(wte, ids), wpe); // [B,T,D]
        const qkv = tf.reshape(tf.matMul(tf.reshape(layerNorm(x), [B * T, D]), wqkv), [B, T, 3, H, D / H]);
        const [q, k, v] = tf.split(qkv, 3, 2).map((t) => tf.transpose(tf.reshape(t, [B, T, H, D / H]), [0, 2, 1, 3]));
        const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D / H));
        const masked = tf.add(scores, tf.mul(tf.sub(1, mask), -1e9));
        const att = tf.matMul(tf.softmax(masked), v); // [B,H,T,hd]
        const merged = tf.reshape(tf.transpose(att, [0, 2, 1, 3]), [B * T, D]);
        const h = tf.add(tf.reshape(x, [B * T, D]), tf.fused.matMul({ a: merged, b: wo, bias: bo }));
        const mlp = tf.matMul(tf.fused.matMul({ a: layerNorm(h), b: w1, bias: b1, activation: 'relu' }), w2);
        const out = tf.concat([tf.add(h, mlp)], 1);
        const logits = tf.matMul(out, wte, false, true); // tied embedding
        const logp = tf.logSoftmax(logits);
        const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.reshape(targets, [B * T]), V)), -1);
        return tf.neg(tf.mean(picked)) as tf.Scalar;
      });
    },
  };
}

function batch(rng: Rng): { ids: tf.Tensor2D; targets: tf.Tensor2D } {
  const seq = Array.from({ length: B }, () => {
    const start = rng.int(V);
    return Array.from({ length: T + 1 }, (_, i) => (start + 2 * i) % V); // a learnable pattern
  });
  return { ids: tf.tensor2d(seq.map((s) => s.slice(0, T)), [B, T], 'int32'), targets: tf.tensor2d(seq.map((s) => s.slice(1)), [B, T], 'int32') };
}

function train(steps: number, onStep?: (step: number, loss: number) => void): number[] {
  const model = makeModel(7);
  const opt = tf.train.adam(0.02);
  const rng = Rng.fromSeed(3, 'batches');
  const losses: number[] = [];
  for (let s = 1; s <= steps; s++) {
    const { ids, targets } = batch(rng);
    const loss = opt.minimize(() => model.loss(ids, targets), true, model.params) as tf.Scalar;
    losses.push(loss.dataSync()[0]);
    tf.dispose([loss, ids, targets]);
    onStep?.(s, losses[losses.length - 1]);
  }
  opt.dispose();
  tf.dispose(model.params);
  return losses;
}

let blas: ReturnType<typeof activeBlas> = null;
beforeAll(async () => {
  blas = (await initBackend({ backend: 'apogee-cpu', logger: silentLogger })) && activeBlas();
});
afterAll(() => setActiveBlas(blas));

describe.each([
  ['BLAS', true],
  ['no BLAS', false],
])('training on apogee-cpu (%s)', (_name, withBlas) => {
  beforeAll(() => setActiveBlas(withBlas ? blas : null));

  it('tf.memory().numTensors is unchanged after 100 Adam steps, and the loss falls', async () => {
    await tf.setBackend('apogee-cpu');
    let afterFirst = -1;
    const losses = train(100, (step) => {
      if (step === 1) afterFirst = tf.memory().numTensors;
      if (step === 100) expect(tf.memory().numTensors).toBe(afterFirst);
    });
    expect(losses[99]).toBeLessThan(losses[0] * 0.5);
  });

  it('losses match the cpu backend step for step (rtol 1e-3 over 10 steps)', async () => {
    await tf.setBackend('cpu');
    const want = train(10);
    await tf.setBackend('apogee-cpu');
    const got = train(10);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-3 * Math.abs(want[i]) + 1e-5);
  });
});
