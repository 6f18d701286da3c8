/**
 * The fused ops on apogee-cpu (single kernels) against their composite form on the cpu backend:
 * values and gradients, tolerance 1e-5 + 1e-4·|x|.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, silentLogger } from '@apogee/core';
import { initBackend } from '../init-backend';
import { adamwUpdate, geluTanh, layerNorm, logSumExpRows, multiHeadAttention, scaledMaskedSoftmax, sumOfSquares } from './fused';
import { loadBlas } from '../blas';
import { activeBlas, activeSimd, setActiveBlas, setActiveSimd } from '../apogee-cpu-backend';
import { isSimdDisabled, loadSimdKernels } from '../wasm/simd';
import { expectSameAsCpu, randomInputs } from '../testing/kernel-compare';

const rng = Rng.fromSeed(11, 'fused');
beforeAll(async () => {
  await initBackend({ backend: 'apogee-cpu', logger: silentLogger });
});

function withGrads(f: (...xs: tf.Tensor[]) => tf.Tensor) {
  return (...xs: tf.Tensor[]) => {
    const w = tf.sin(tf.reshape(tf.range(0, f(...xs).size, 1, 'float32'), f(...xs).shape));
    return [f(...xs), ...tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), w)))(xs)];
  };
}

const simd = loadSimdKernels().kernels;
const kernelPaths: [string, typeof simd][] = [['JS kernels', null]];
if (simd) kernelPaths.unshift(['WebAssembly SIMD kernels', simd]);

it('the WebAssembly SIMD kernels load (set APOGEE_SIMD=0 to run without)', () => {
  if (isSimdDisabled(process.env.APOGEE_SIMD)) return;
  expect(simd).not.toBeNull();
});

describe.each(kernelPaths)('fused ops, %s', (_name, kernels) => {
  beforeAll(() => setActiveSimd(kernels));
  afterAll(() => setActiveSimd(simd));
  it('runs on the intended kernels', () => expect(activeSimd()).toBe(kernels));

  it('geluTanh: values and gradient match the composite form (GPT-2 gelu_new)', () => {
    for (const shape of [[7], [16, 33], [2, 3, 4], [0, 5], [9, 64], [1031]]) {
      expectSameAsCpu(randomInputs(rng, [shape], 3), withGrads((x) => geluTanh(x)), undefined, `gelu [${shape}]`);
    }
    expectSameAsCpu(randomInputs(rng, [[64]], 40), (x) => geluTanh(x), undefined, 'gelu large');
  });

  it('geluTanh, layerNorm, logSumExpRows: what the forward saves for the gradient is freed with the tape, nothing is kept outside one', () => {
    const x = tf.tensor1d([-3, -0.5, 0, 0.7, 4]);
    const before = tf.memory().numTensors;
    tf.dispose(tf.grad((t: tf.Tensor) => tf.sum(geluTanh(t)))(x));
    tf.dispose(geluTanh(x));
    // Likewise layerNorm's saved row statistics and logSumExpRows' saved output.
    const g = tf.ones([5]);
    const x2 = tf.reshape(x, [1, 5]) as tf.Tensor2D;
    tf.dispose(tf.grads((t: tf.Tensor, gg: tf.Tensor) => tf.sum(tf.mul(layerNorm(t, gg, g, 1e-5), x)))([x2, g]));
    tf.dispose(layerNorm(x2, g, g, 1e-5));
    tf.dispose(tf.grad((t: tf.Tensor) => tf.sum(logSumExpRows(t as tf.Tensor2D)))(x2));
    tf.dispose([g, x2]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('layerNorm: values and gradients for x, gamma and beta match the composite form', () => {
    for (const shape of [[5, 8], [2, 3, 16], [1, 1], [4, 1], [6, 37], [3, 128]]) {
      const d = shape[shape.length - 1];
      const inputs = randomInputs(rng, [shape, [d], [d]]);
      expectSameAsCpu(inputs, withGrads((x, g, b) => layerNorm(x, g, b, 1e-5)), { rtol: 1e-4, atol: 1e-4 }, `layerNorm [${shape}]`);
    }
  });

  it('scaledMaskedSoftmax: values and gradients (scores and mask) match softmax(scale·s + bias), broadcast masks', () => {
    const cases: [number[], number[]][] = [
      [[2, 3, 5, 5], [1, 1, 5, 5]], // causal mask shared by batch and heads
      [[2, 3, 4, 6], [2, 1, 4, 6]], // per-example padding mask
      [[3, 7], [7]],
      [[2, 1, 1, 4], [2, 1, 1, 4]],
      [[2, 2, 9, 9], [1, 1, 9, 9]],
      [[3, 13], [3, 13]],
    ];
    for (const [s, b] of cases) {
      const inputs = randomInputs(rng, [s, b], 3);
      expectSameAsCpu(inputs, withGrads((x, bias) => scaledMaskedSoftmax(x, bias, 0.35)), undefined, `scaledMaskedSoftmax [${s}] + [${b}]`);
      expectSameAsCpu(inputs.slice(0, 1), withGrads((x) => scaledMaskedSoftmax(x, tf.tensor(inputs[1].values, inputs[1].shape), 0.35)), undefined, `scaledMaskedSoftmax [${s}], constant mask`);
    }
    // Empty batch: values only (the composite form's mask gradient fails on tfjs's cpu backend).
    expectSameAsCpu(randomInputs(rng, [[2, 0, 3, 3], [1, 1, 3, 3]]), (x, bias) => scaledMaskedSoftmax(x, bias, 0.35), undefined, 'scaledMaskedSoftmax empty');
    // A causal −1e9 mask: masked entries are exactly 0, large scores stay finite.
    const t = 4;
    const mask = tf.tensor4d(Float32Array.from({ length: t * t }, (_, i) => (i % t > Math.floor(i / t) ? -1e9 : 0)), [1, 1, t, t]);
    const p = scaledMaskedSoftmax(tf.mul(tf.randomNormal([2, 2, t, t], 0, 1, 'float32', 3), 1e3), mask, 0.125).arraySync() as number[][][][];
    expect(p[1][1][0]).toEqual([1, 0, 0, 0]);
    expect(p[0][1][2][3]).toBe(0);
    expect(p.flat(3).every(Number.isFinite)).toBe(true);
  });

  describe.each([['with BLAS', true], ['without BLAS', false]])('multiHeadAttention %s', (_name, withBlas) => {
    const blas = loadBlas().blas;
    beforeAll(() => setActiveBlas(withBlas ? blas : null));
    afterAll(() => setActiveBlas(blas));

    it('values and d(qkv) match the transpose/matMul/softmax composite, causal and padding masks', () => {
      if (withBlas) expect(activeBlas()).not.toBeNull();
      const cases: [number, number, number, number, number[]][] = [
        // batch, time, heads, headDim, mask shape
        [2, 5, 3, 4, [1, 1, 5, 5]],
        [3, 4, 2, 3, [3, 1, 4, 4]],
        [1, 1, 1, 2, [1, 1, 1, 1]],
        [2, 6, 2, 5, [2, 2, 6, 6]],
      ];
      for (const [B, T, H, hd, maskShape] of cases) {
        const inputs = randomInputs(rng, [[B * T, 3 * H * hd], maskShape], 2);
        const mask = tf.tensor(inputs[1].values.map((x) => (x > 1 ? -1e9 : x)), maskShape);
        expectSameAsCpu(inputs.slice(0, 1), withGrads((qkv) => multiHeadAttention(qkv as tf.Tensor2D, mask, { batch: B, heads: H })), undefined, `attention B${B} T${T} H${H} hd${hd} mask [${maskShape}]`);
      }
    });

    it('frees what it saves for the gradient', () => {
      const qkv = tf.randomNormal([8, 12], 0, 1, 'float32', 5) as tf.Tensor2D;
      const mask = tf.zeros([1, 1, 4, 4]);
      const before = tf.memory().numTensors;
      tf.dispose(tf.grad((t: tf.Tensor) => tf.sum(multiHeadAttention(t as tf.Tensor2D, mask, { batch: 2, heads: 2 })))(qkv));
      tf.dispose(multiHeadAttention(qkv, mask, { batch: 2, heads: 2 }));
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([qkv, mask]);
    });
  });

  it('logSumExpRows: values and gradient match the composite max/exp/sum/log form, large logits, empty and one-column rows', () => {
    for (const [shape, scale] of [[[5, 9], 3], [[3, 1], 1], [[0, 4], 1], [[4, 300], 50], [[6, 259], 4]] as [number[], number][]) {
      expectSameAsCpu(randomInputs(rng, [shape], scale), withGrads((x) => logSumExpRows(x as tf.Tensor2D)), undefined, `logSumExpRows [${shape}] ×${scale}`);
    }
    // Same formula as tfjs's logSumExp (values only: its gradient differs at ±∞).
    const x = tf.tensor2d([[1e4, 0, -1e4], [-Infinity, -Infinity, -Infinity], [3, Infinity, 1]]);
    const got = Array.from(logSumExpRows(x).dataSync());
    expect(got[0]).toBeCloseTo(1e4, 3);
    expect(got[1]).toBe(-Infinity);
    expect(got[2]).toBe(Infinity);
  });

  it('sumOfSquares: one pass over a list of tensors equals addN of sum(square) per tensor, empty tensors included', () => {
    const inputs = randomInputs(rng, [[4, 5], [7], [0, 3], [2, 3, 2], [1], [33, 17]], 3);
    expectSameAsCpu(inputs, (...xs) => sumOfSquares(xs), undefined, 'sumOfSquares');
    expect(sumOfSquares([]).dataSync()[0]).toBe(0);
    // Under a tape it falls back to the differentiable composite form.
    const g = tf.grad((x: tf.Tensor) => sumOfSquares([x]))(tf.tensor1d([1, -2, 3]));
    expect(Array.from(g.dataSync())).toEqual([2, -4, 6]);
  });

  it('adamwUpdate: one fused pass equals the composite AdamW step', () => {
    const inputs = randomInputs(rng, [[6, 5], [6, 5], [6, 5], [6, 5]]);
    const big = randomInputs(rng, [[9, 13], [9, 13], [9, 13], [9, 13]]);
    big[2].values = big[2].values.map((x) => x * x);
    inputs[2].values = inputs[2].values.map((x) => x * x); // v ≥ 0
    for (const o of [
      { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: 1, weightDecay: 0, gradScale: 1 },
      { lr: 3e-4, beta1: 0.8, beta2: 0.95, epsilon: 1e-6, step: 7, weightDecay: 0.1, gradScale: 0.25 },
    ]) {
      expectSameAsCpu(inputs, (p, m, v, g) => {
        const r = adamwUpdate(p, m, v, g, o);
        return [r.param, r.m, r.v];
      }, undefined, `adamw ${JSON.stringify(o)}`);
      expectSameAsCpu(big, (p, m, v, g) => {
        const r = adamwUpdate(p, m, v, g, o);
        return [r.param, r.m, r.v];
      }, undefined, `adamw [9, 13] ${JSON.stringify(o)}`);
    }
  });
});

it('fall back to tfjs ops on backends without the kernels', async () => {
  await tf.setBackend('cpu');
  const y = geluTanh(tf.tensor1d([0, 1]));
  expect(y.dataSync()[0]).toBe(0);
  expect(y.dataSync()[1]).toBeCloseTo(0.8412, 4);
  await tf.setBackend('apogee-cpu');
});
