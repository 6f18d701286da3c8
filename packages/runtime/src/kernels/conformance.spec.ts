/**
 * Kernel conformance: every kernel apogee-cpu replaces is checked against tfjs's own `cpu`
 * kernel on randomized shapes (broadcasting, non-contiguous permutations, empty and size-1 dims,
 * large values) and through gradients. The whole suite runs on four paths: the CBLAS library
 * with the WebAssembly SIMD kernels (the default), CBLAS with the JS kernels, no CBLAS with the
 * SIMD kernels (matrix products on the WebAssembly GEMM: a machine without a system BLAS), and
 * neither (the JS fallback).
 *
 * Tolerance: |apogee − cpu| ≤ 1e-5 + 1e-4·|cpu| (float32 re-association), unless a case says.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, silentLogger } from '@apogee/core';
import { initBackend } from '../init-backend';
import { loadBlas, type Blas } from '../blas';
import { OVERRIDDEN_KERNELS, setActiveBlas, setActiveSimd } from '../apogee-cpu-backend';
import { loadSimdKernels, type SimdKernels } from '../wasm/simd';
import { expectSameAsCpu, mismatch, randomInputs, runOn, type Inputs } from '../testing/kernel-compare';

const found = loadBlas();
const simd = loadSimdKernels().kernels;
const paths: [string, Blas | null, SimdKernels | null][] = [['no BLAS (fallback), JS kernels', null, null]];
if (simd) paths.unshift(['no BLAS, WebAssembly SIMD kernels and GEMM', null, simd]);
if (found.blas) paths.unshift([`BLAS ${found.blas.library}, JS kernels`, found.blas, null]);
if (found.blas && simd) paths.unshift([`BLAS ${found.blas.library}, WebAssembly SIMD kernels`, found.blas, simd]);

beforeAll(async () => {
  await initBackend({ backend: 'apogee-cpu', logger: silentLogger });
});
afterAll(() => {
  setActiveBlas(found.blas);
  setActiveSimd(simd);
});

it('a CBLAS library is present (CI installs libopenblas0; set APOGEE_BLAS=none to run without)', () => {
  if (process.env.APOGEE_BLAS && ['none', 'off', 'false', '0'].includes(process.env.APOGEE_BLAS)) return;
  expect(found.reasons).toEqual([]);
  expect(found.blas).not.toBeNull();
});

it('replaces the kernels the transformer step spends its time in', () => {
  for (const k of ['BatchMatMul', '_FusedMatMul', 'UnsortedSegmentSum', 'Transpose', 'Softmax', 'SplitV', 'Concat', 'Add', 'Multiply', 'Sub', 'RealDiv']) {
    expect(OVERRIDDEN_KERNELS).toContain(k);
    expect(tf.getKernel(k, 'apogee-cpu')?.kernelFunc).not.toBe(tf.getKernel(k, 'cpu')?.kernelFunc);
  }
  // Every cpu kernel is available on apogee-cpu.
  for (const k of tf.getKernelsForBackend('cpu')) expect(tf.getKernel(k.kernelName, 'apogee-cpu')).toBeDefined();
});

/** Sum of all outputs' elements times fixed random weights: a scalar loss for gradients. */
function weightedLoss(y: tf.Tensor, salt: number): tf.Scalar {
  const n = y.size;
  const w = tf.reshape(tf.sin(tf.add(tf.range(0, n, 1, "float32"), salt)), y.shape);
  return tf.sum(tf.mul(y, w));
}

/** Checks f's outputs and the gradients of a weighted sum of f w.r.t. every float input. */
function checkWithGrads(inputs: Inputs, f: (...xs: tf.Tensor[]) => tf.Tensor, label: string, tol?: { rtol: number; atol: number }) {
  expectSameAsCpu(inputs, f, tol, label);
  const floatIdx = inputs.map((x, i) => (x.values instanceof Float32Array && (x.dtype ?? 'float32') === 'float32' ? i : -1)).filter((i) => i >= 0);
  if (floatIdx.length === 0) return;
  expectSameAsCpu(inputs, (...xs) => {
    const g = tf.grads((...fx: tf.Tensor[]) => {
      const all = xs.map((x, i) => (floatIdx.includes(i) ? fx[floatIdx.indexOf(i)] : x));
      return weightedLoss(f(...all), 0.5);
    });
    return g(floatIdx.map((i) => xs[i]));
  }, tol, `${label} (gradients)`);
}

describe.each(paths)('apogee-cpu kernels, %s', (_name, blas, kernels) => {
  const rng = Rng.fromSeed(20261126, 'conformance');
  beforeAll(() => {
    setActiveBlas(blas);
    setActiveSimd(kernels);
  });

  it('BatchMatMul: 2-D/3-D/4-D, transposes, broadcast batch, size-1 and empty dims', () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[7, 5], [5, 3], false, false],
      [[5, 7], [5, 3], true, false],
      [[7, 5], [3, 5], false, true],
      [[5, 7], [3, 5], true, true],
      [[4, 9, 6], [6, 8], false, false], // shared weight: one stacked product
      [[4, 6, 9], [6, 8], true, false],
      [[4, 9, 6], [4, 8, 6], false, true], // attention scores q·kᵀ
      [[2, 3, 9, 6], [2, 3, 6, 5], false, false],
      [[1, 1], [1, 1], false, false],
      [[1, 6], [6, 1], false, false],
      [[0, 4], [4, 3], false, false],
      [[3, 0], [0, 4], false, false], // k = 0: zeros
      [[2, 0, 4], [4, 5], false, false],
    ];
    for (const [sa, sb, ta, tb] of cases) {
      checkWithGrads(randomInputs(rng, [sa, sb]), (a, b) => tf.matMul(a, b, ta, tb), `matMul ${sa}×${sb} tA=${ta} tB=${tb}`);
    }
    // Batch broadcasting on both sides. tfjs's cpu kernel maps batch i to (i mod batchA,
    // i mod batchB), which is not broadcasting for these shapes; apogee-cpu broadcasts like
    // numpy, checked against the cpu kernel on explicitly tiled operands.
    const both: [number[], number[], number[], number[]][] = [
      [[2, 1, 9, 6], [1, 3, 6, 5], [1, 3, 1, 1], [2, 1, 1, 1]],
      [[3, 9, 6], [2, 1, 6, 5], [2, 1, 1, 1], [1, 3, 1, 1]],
    ];
    for (const [sa, sb, ra, rb] of both) {
      const inputs = randomInputs(rng, [sa, sb]);
      const want = runOn('cpu', inputs, (a, b) => tf.matMul(tf.tile(a.rank < 4 ? tf.expandDims(a, 0) : a, ra), tf.tile(b, rb)));
      const got = runOn('apogee-cpu', inputs, (a, b) => tf.matMul(a, b));
      expect(mismatch(got, want)).toBeNull();
    }
    // Large values: relative tolerance.
    expectSameAsCpu(randomInputs(rng, [[16, 32], [32, 8]], 1e4), (a, b) => tf.matMul(a, b), undefined, 'matMul large values');
    // A bigger product (blocked sums in BLAS vs JS).
    expectSameAsCpu(randomInputs(rng, [[64, 200], [200, 48]]), (a, b) => tf.matMul(a, b), { rtol: 1e-4, atol: 1e-4 }, 'matMul 64×200×48');
    // int32 goes to the cpu kernel.
    const ints: Inputs = [{ shape: [2, 3], values: Int32Array.from([1, 2, 3, 4, 5, 6]) }, { shape: [3, 2], values: Int32Array.from([1, 0, 0, 1, 2, 2]) }];
    expectSameAsCpu(ints, (a, b) => tf.matMul(a, b), undefined, 'matMul int32');
  });

  it('_FusedMatMul: bias (vector and full), every activation, through gradients', () => {
    for (const activation of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu'] as const) {
      const inputs = randomInputs(rng, [[6, 5], [5, 4], [4]]);
      checkWithGrads(inputs, (a, b, bias) => tf.fused.matMul({ a, b, bias, activation, leakyreluAlpha: 0.3 }), `fused ${activation}`);
    }
    const batched = randomInputs(rng, [[2, 6, 5], [5, 4], [6, 4]]);
    checkWithGrads(batched, (a, b, bias) => tf.fused.matMul({ a, b, bias, transposeB: false, activation: 'relu' }), 'fused bias [6,4]');
    const tr = randomInputs(rng, [[5, 6], [4, 5], [4]]);
    checkWithGrads(tr, (a, b, bias) => tf.fused.matMul({ a, b, bias, transposeA: true, transposeB: true }), 'fused transposed');
    const prelu = randomInputs(rng, [[6, 5], [5, 4], [4], [4]]);
    expectSameAsCpu(prelu, (a, b, bias, alpha) => tf.fused.matMul({ a, b, bias, activation: 'prelu', preluActivationWeights: alpha }), undefined, 'fused prelu');
    expectSameAsCpu(randomInputs(rng, [[3, 4], [4, 2]]), (a, b) => tf.fused.matMul({ a, b }), undefined, 'fused, no bias');
    // A vector bias rides on sgemm's beta = 1 (stacked rows, shared weight): [n], [1, n], batched rows, transposed weight.
    for (const [aShape, bShape, biasShape, transposeB] of [
      [[2, 6, 5], [5, 7], [7], false], [[9, 5], [5, 7], [1, 7], false], [[9, 5], [7, 5], [7], true], [[3, 2, 5], [1, 5, 7], [7], false],
    ] as [number[], number[], number[], boolean][]) {
      checkWithGrads(randomInputs(rng, [aShape, bShape, biasShape]), (a, b, bias) => tf.fused.matMul({ a, b, bias, transposeB }), `fused vector bias [${aShape}]·[${bShape}] + [${biasShape}]`);
    }
  });

  it('broadcasting binary ops: same shape, scalar, trailing axis, keep-dims, middle, both sides, empty', () => {
    const pairs: [number[], number[]][] = [
      [[4, 5, 6], [4, 5, 6]],
      [[4, 5, 6], []],
      [[], [3, 2]],
      [[4, 5, 6], [6]],
      [[4, 5, 6], [5, 6]],
      [[4, 5, 6], [4, 5, 1]],
      [[4, 5, 6], [1, 5, 1]],
      [[4, 1, 6], [1, 5, 1]],
      [[4, 1], [1, 6]],
      [[2, 3, 4, 5], [3, 1, 5]],
      [[1], [7]],
      [[0, 3], [3]],
      [[2, 0], [1, 1]],
      [[], []],
      // ≥ 256 elements: the SIMD path (row tails included), and a two-outer-dim plan that is not.
      [[33, 37], [33, 37]],
      [[33, 37], [37]],
      [[33, 37], [33, 1]],
      [[1031], []],
      [[], [9, 31]],
      [[3, 40, 7], [3, 1, 7]],
    ];
    const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
      ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', tf.div],
      ['maximum', tf.maximum], ['minimum', tf.minimum], ['squaredDifference', tf.squaredDifference],
    ];
    for (const [sa, sb] of pairs) {
      for (const [name, op] of ops) {
        checkWithGrads(randomInputs(rng, [sa, sb]), op, `${name} [${sa}] [${sb}]`);
      }
      // pow on positive bases, so both backends agree on NaN-free values
      const pos = randomInputs(rng, [sa, sb]).map((x) => ({ ...x, values: x.values.map((v) => Math.abs(v) + 0.5) }));
      checkWithGrads(pos, tf.pow, `pow [${sa}] [${sb}]`);
    }
    // Integer exponents (x³ of GELU, x² of variances): repeated multiplication, SIMD from 64
    // elements; negative bases, zero, and a non-integer exponent (Math.pow) beside them.
    for (const shape of [[5], [3, 67], [2, 3, 41]]) {
      const x = randomInputs(rng, [shape], 2);
      for (const e of [0, 1, 2, 3, 4, 7, -1, -2, -3, 64]) {
        checkWithGrads([...x, { shape: [], values: Float32Array.of(e) }], tf.pow, `pow [${shape}] ^ ${e}`, e === 64 ? { rtol: 1e-3, atol: 1e-5 } : undefined);
      }
      expectSameAsCpu([...x, { shape: [1, 1], values: Float32Array.of(3) }], tf.pow, undefined, `pow [${shape}] ^ [[3]] (broadcast rank)`);
      expectSameAsCpu([...x, { shape: [], values: Float32Array.of(2.5) }], tf.pow, undefined, `pow [${shape}] ^ 2.5`);
    }
    const powSpecial = Float32Array.from({ length: 70 }, (_, i) => [NaN, Infinity, -Infinity, 0, -0, 1, -1, 1e20, -1e-20, 3e-39][i % 10]);
    for (const e of [0, 2, 3, -1, -3, 5]) expectSameAsCpu([{ shape: [70], values: powSpecial }, { shape: [], values: Float32Array.of(e) }], tf.pow, undefined, `pow special ^ ${e}`);
    // Large values and special values.
    expectSameAsCpu(randomInputs(rng, [[8, 16], [16]], 1e6), tf.mul, undefined, 'mul large');
    const special: Inputs = [
      { shape: [6], values: Float32Array.from([NaN, Infinity, -Infinity, 0, -0, 1]) },
      { shape: [6], values: Float32Array.from([1, NaN, 2, 0, 3, Infinity]) },
    ];
    for (const [name, op] of ops) expectSameAsCpu(special, op, undefined, `${name} special values`);
    const tile = (v: Float32Array, n: number) => Float32Array.from({ length: n }, (_, i) => v[i % v.length]);
    const specialLong: Inputs = special.map((x) => ({ shape: [258], values: tile(x.values as Float32Array, 258) }));
    specialLong[1].values = tile(Float32Array.from([1, NaN, 2, 0, 3, Infinity, -0]), 258);
    for (const [name, op] of ops) expectSameAsCpu(specialLong, op, undefined, `${name} special values, SIMD length`);
    // Non-float dtypes go to the cpu kernels.
    const ints: Inputs = [{ shape: [3], values: Int32Array.from([1, -2, 3]) }, { shape: [1], values: Int32Array.from([4]) }];
    for (const op of [tf.add, tf.sub, tf.mul, tf.maximum]) expectSameAsCpu(ints, op, undefined, 'int32 binary');
  });

  it('unary ops, reductions (contiguous and not), keepDims', () => {
    const x = randomInputs(rng, [[3, 4, 5]]);
    const pos = x.map((i) => ({ ...i, values: i.values.map((v) => Math.abs(v) + 0.1) }));
    for (const [name, op] of [['exp', tf.exp], ['tanh', tf.tanh], ['sigmoid', tf.sigmoid], ['relu', tf.relu], ['neg', tf.neg], ['square', tf.square]] as const) {
      checkWithGrads(x, op as (t: tf.Tensor) => tf.Tensor, name);
    }
    for (const [name, op] of [['log', tf.log], ['sqrt', tf.sqrt], ['rsqrt', tf.rsqrt]] as const) checkWithGrads(pos, op as (t: tf.Tensor) => tf.Tensor, name);
    const special: Inputs = [{ shape: [5], values: Float32Array.from([NaN, Infinity, -Infinity, 0, -1]) }];
    for (const op of [tf.exp, tf.tanh, tf.sigmoid, tf.relu, tf.neg, tf.square, tf.log, tf.sqrt, tf.rsqrt, tf.abs, tf.erf]) expectSameAsCpu(special, op, undefined, 'unary special');
    // The SIMD lengths (≥ 64 elements, with a tail of 1–3), over the ranges each formula switches
    // at (tanh's polynomial below 0.625, exp's limits, log's subnormals), and special values.
    const wide = randomInputs(rng, [[5, 27]], 4);
    const widePos = wide.map((i) => ({ ...i, values: i.values.map((v) => Math.abs(v) + 1e-3) }));
    for (const [name, op] of [['exp', tf.exp], ['tanh', tf.tanh], ['sigmoid', tf.sigmoid], ['relu', tf.relu], ['neg', tf.neg], ['square', tf.square], ['abs', tf.abs], ['erf', tf.erf]] as const) {
      checkWithGrads(wide, op as (t: tf.Tensor) => tf.Tensor, `${name} SIMD length`);
    }
    for (const [name, op] of [['log', tf.log], ['sqrt', tf.sqrt], ['rsqrt', tf.rsqrt]] as const) checkWithGrads(widePos, op as (t: tf.Tensor) => tf.Tensor, `${name} SIMD length`);
    const ramp = Float32Array.from({ length: 403 }, (_, i) => (i - 201) * 0.05);
    for (const op of [tf.tanh, tf.exp, tf.sigmoid, tf.erf]) expectSameAsCpu([{ shape: [403], values: ramp }], op, undefined, `${op.name} ramp -10…10`);
    const specialValues = [NaN, Infinity, -Infinity, 0, -0, -1, 1e-30, 3e-39, 1e30, 100, -100, 0.6249, 0.6251, -0.7, 88.5, -88.5, -104];
    const specialWide: Inputs = [{ shape: [69], values: Float32Array.from({ length: 69 }, (_, i) => specialValues[i % specialValues.length]) }];
    for (const op of [tf.exp, tf.tanh, tf.sigmoid, tf.relu, tf.neg, tf.square, tf.log, tf.sqrt, tf.rsqrt, tf.abs, tf.erf]) expectSameAsCpu(specialWide, op, undefined, `${op.name} special values, SIMD length`);
    const logRange: Inputs = [{ shape: [300], values: Float32Array.from({ length: 300 }, (_, i) => Math.pow(10, (i - 150) / 4)) }];
    expectSameAsCpu(logRange, tf.log, undefined, 'log over 1e-37 … 1e37');
    const shapes = [[2, 3, 4, 5], [7], [1, 6], [0, 3], [3, 0], [33, 37], [3, 9, 11], [2, 64, 20]];
    for (const shape of shapes) {
      const inputs = randomInputs(rng, [shape]);
      const rank = shape.length;
      const axesList: (number | number[] | undefined)[] = [undefined, 0, rank - 1, -1];
      if (rank >= 3) axesList.push([1, 2], [0, 1], [0, 2], [1, 3].filter((a) => a < rank));
      for (const axis of axesList) {
        for (const keepDims of [false, true]) {
          const label = `[${shape}] axis ${JSON.stringify(axis)} keepDims ${keepDims}`;
          checkWithGrads(inputs, (t) => tf.sum(t, axis, keepDims), `sum ${label}`);
          checkWithGrads(inputs, (t) => tf.mean(t, axis, keepDims), `mean ${label}`);
          if (!shape.includes(0)) checkWithGrads(inputs, (t) => tf.max(t, axis, keepDims), `max ${label}`);
          if (!shape.includes(0)) checkWithGrads(inputs, (t) => tf.min(t, axis, keepDims), `min ${label}`);
          expectSameAsCpu(inputs, (t) => tf.prod(t, axis, keepDims), undefined, `prod ${label}`);
        }
      }
    }
    // Axes that are not contiguous (one strided pass, no transpose), with size-1 dims between them.
    const odd = randomInputs(rng, [[3, 1, 4, 1, 5, 2]]);
    for (const axis of [[0, 2], [0, 4], [1, 3, 5], [0, 2, 4], [0, 3, 5], [2, 5], [0, 1, 5]]) {
      for (const keepDims of [false, true]) {
        const label = `[3,1,4,1,5,2] axis ${JSON.stringify(axis)} keepDims ${keepDims}`;
        checkWithGrads(odd, (t) => tf.sum(t, axis, keepDims), `sum ${label}`);
        checkWithGrads(odd, (t) => tf.mean(t, axis, keepDims), `mean ${label}`);
        checkWithGrads(odd, (t) => tf.max(t, axis, keepDims), `max ${label}`);
        expectSameAsCpu(odd, (t) => tf.min(t, axis, keepDims), undefined, `min ${label}`);
        expectSameAsCpu(odd, (t) => tf.prod(t, axis, keepDims), undefined, `prod ${label}`);
      }
    }
    const nanGrid: Inputs = [{ shape: [3, 2, 2], values: Float32Array.from([1, NaN, 3, -Infinity, 2, 2, Infinity, 0, 0, 1, NaN, 6]) }];
    for (const op of [tf.max, tf.min, tf.sum, tf.prod]) expectSameAsCpu(nanGrid, (t) => op(t, [0, 2]), undefined, `${op.name} NaN and ±Infinity axes [0, 2]`);
    expectSameAsCpu([{ shape: [2, 3], values: Float32Array.from([1, NaN, 3, -Infinity, 2, 2]) }], (t) => tf.max(t, 1), undefined, 'max NaN');
    expectSameAsCpu([{ shape: [2, 3], values: Float32Array.from([1, NaN, 3, Infinity, 2, 2]) }], (t) => tf.min(t, 1), undefined, 'min NaN');
    for (const axis of [0, 1]) expectSameAsCpu([{ shape: [3, 5], values: Float32Array.from([1, NaN, 3, -Infinity, 2, 2, Infinity, 0, 0, 1, 5, 6, -Infinity, 8, 9]) }], (t) => tf.sum(t, axis), undefined, `sum NaN and ±Infinity axis ${axis}`);
  });

  it('Softmax / LogSoftmax on the last axis, stable on large logits', () => {
    for (const shape of [[10], [4, 7], [2, 3, 5], [2, 2, 3, 9], [3, 1], [1, 1, 4], [7, 33], [2, 3, 64], [70, 1]]) {
      const inputs = randomInputs(rng, [shape], 3);
      checkWithGrads(inputs, (t) => tf.softmax(t), `softmax [${shape}]`);
      checkWithGrads(inputs, (t) => tf.logSoftmax(t), `logSoftmax [${shape}]`);
    }
    expectSameAsCpu(randomInputs(rng, [[4, 16]], 1e4), (t) => tf.softmax(t), { rtol: 1e-4, atol: 1e-6 }, 'softmax large');
    expectSameAsCpu([{ shape: [2, 3], values: Float32Array.from([0, 0, 0, -Infinity, 0, 0]) }], (t) => tf.softmax(t), undefined, 'softmax -inf mask');
    expectSameAsCpu(randomInputs(rng, [[9, 16]], 1e4), (t) => tf.softmax(t), { rtol: 1e-4, atol: 1e-6 }, 'softmax large, SIMD length');
    const masked = randomInputs(rng, [[8, 13]])[0];
    for (let i = 0; i < masked.values.length; i += 3) masked.values[i] = -Infinity;
    expectSameAsCpu([masked], (t) => tf.softmax(t), undefined, 'softmax -inf mask, SIMD length');
  });

  it('Transpose: every permutation up to rank 4, random rank-5, size-1 and empty dims, int32/bool', () => {
    const perms = (n: number): number[][] => (n === 1 ? [[0]] : perms(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)])));
    for (const shape of [[6], [3, 5], [2, 3, 4], [2, 3, 4, 5], [2, 1, 4, 1], [3, 0, 2]]) {
      const inputs = randomInputs(rng, [shape]);
      for (const perm of perms(shape.length)) checkWithGrads(inputs, (t) => tf.transpose(t, perm), `transpose [${shape}] ${perm}`);
    }
    const five = randomInputs(rng, [[2, 3, 2, 4, 3]]);
    for (const perm of [[4, 3, 2, 1, 0], [0, 2, 1, 4, 3], [1, 0, 3, 4, 2]]) checkWithGrads(five, (t) => tf.transpose(t, perm), `transpose 5-D ${perm}`);
    // Large enough for the SIMD row copies (≥ 1024 elements): the attention permutations with
    // head sizes that are and are not a multiple of 4, and rows of one element.
    for (const [shape, perm] of [
      [[2, 16, 4, 32], [0, 2, 1, 3]], [[2, 4, 16, 32], [0, 2, 1, 3]], [[3, 17, 5, 7], [0, 2, 1, 3]],
      [[2, 9, 3, 4, 5], [2, 0, 3, 1, 4]], [[5, 7, 33], [1, 0, 2]], [[40, 30, 1, 2], [1, 0, 3, 2]], [[3, 20, 2, 10, 1], [0, 4, 3, 1, 2]],
    ] as [number[], number[]][]) {
      checkWithGrads(randomInputs(rng, [shape]), (t) => tf.transpose(t, perm), `transpose [${shape}] ${perm} (large)`);
    }
    const ints: Inputs = [{ shape: [2, 3, 4], values: Int32Array.from({ length: 24 }, (_, i) => i - 7) }];
    expectSameAsCpu(ints, (t) => tf.transpose(t, [2, 0, 1]), undefined, 'transpose int32');
    const bigInts: Inputs = [{ shape: [4, 20, 3, 8], values: Int32Array.from({ length: 1920 }, (_, i) => i - 700) }];
    expectSameAsCpu(bigInts, (t) => tf.transpose(t, [0, 2, 1, 3]), undefined, 'transpose int32 (large)');
    const bools: Inputs = [{ shape: [2, 3], values: Int32Array.from([1, 0, 0, 1, 1, 0]), dtype: 'bool' }];
    expectSameAsCpu(bools, (t) => tf.transpose(t), undefined, 'transpose bool');
  });

  it('SplitV and Concat on every axis, with -1 sizes, empty pieces, int32', () => {
    const x = randomInputs(rng, [[4, 6, 5]]);
    for (const axis of [0, 1, 2, -1]) {
      const len = [4, 6, 5][axis < 0 ? 2 : axis];
      expectSameAsCpu(x, (t) => tf.split(t, len === 5 ? 5 : 2, axis), undefined, `split even axis ${axis}`);
      expectSameAsCpu(x, (t) => tf.split(t, [1, -1, 0, 2], axis), undefined, `split sizes axis ${axis}`);
      checkWithGrads(x, (t) => tf.concat(tf.split(t, [1, -1, 2], axis).map((p, i) => tf.mul(p, i + 1)), axis), `split+concat grads axis ${axis}`);
    }
    const parts = randomInputs(rng, [[2, 3, 4], [2, 1, 4], [2, 0, 4], [2, 5, 4]]);
    checkWithGrads(parts, (...ts) => tf.concat(ts, 1), 'concat axis 1 with empty');
    checkWithGrads(randomInputs(rng, [[3, 2], [3, 7]]), (a, b) => tf.concat([a, b], -1), 'concat last axis');
    checkWithGrads(randomInputs(rng, [[3, 2], [1, 2]]), (a, b) => tf.concat([a, b], 0), 'concat axis 0');
    // Large, and resident in the SIMD kernels' arena (outputs of a kernel): SplitV and Concat
    // copy rows on the SIMD kernels; odd widths, every axis, the attention's split of QKV.
    const big = randomInputs(rng, [[16, 9, 37]]);
    for (const axis of [0, 1, 2]) {
      const sizes = axis === 0 ? [5, -1, 3] : axis === 1 ? [2, -1, 3] : [10, -1, 7];
      checkWithGrads(big, (t) => tf.concat(tf.split(tf.mul(t, 1.5), sizes, axis).map((p, i) => tf.mul(p, i + 1)), axis), `split+concat large axis ${axis}`);
    }
    checkWithGrads(randomInputs(rng, [[4, 64, 96]]), (t) => tf.split(tf.add(t, 0), 3, 2).map((p) => tf.transpose(tf.reshape(p, [4, 64, 4, 8]), [0, 2, 1, 3]))[1], 'split QKV');
    const ints: Inputs = [{ shape: [2, 2], values: Int32Array.from([1, 2, 3, 4]) }, { shape: [2, 1], values: Int32Array.from([5, 6]) }];
    expectSameAsCpu(ints, (a, b) => tf.concat([a, b], 1), undefined, 'concat int32');
    expectSameAsCpu(ints.slice(0, 1), (a) => tf.split(a, 2, 1), undefined, 'split int32');
  });

  it('PadV2 (and slice gradients through it): every rank, zero and non-zero constants, empty dims, int32', () => {
    checkWithGrads(randomInputs(rng, [[5, 3]]), (t) => tf.pad(t, [[1, 2], [0, 3]]), 'pad 2-D');
    checkWithGrads(randomInputs(rng, [[7]]), (t) => tf.pad(t, [[3, 0]], 1.5), 'pad 1-D constant');
    checkWithGrads(randomInputs(rng, [[2, 3, 4]]), (t) => tf.pad(t, [[0, 1], [2, 0], [1, 1]], -2), 'pad 3-D');
    checkWithGrads(randomInputs(rng, [[2, 1, 3, 2]]), (t) => tf.pad(t, [[0, 0], [1, 1], [0, 0], [2, 0]]), 'pad 4-D');
    checkWithGrads(randomInputs(rng, [[6, 4]]), (t) => tf.slice(t, [1, 0], [3, 4]), 'slice rows (gradient is a pad)');
    checkWithGrads(randomInputs(rng, [[4, 5, 3]]), (t) => tf.slice(t, [1, 2, 0], [2, 2, 2]), 'slice 3-D');
    expectSameAsCpu(randomInputs(rng, [[0, 3]]), (t) => tf.pad(t, [[1, 1], [0, 2]], 4), undefined, 'pad empty');
    expectSameAsCpu(randomInputs(rng, [[3, 2]]), (t) => tf.pad(t, [[0, 0], [0, 0]]), undefined, 'pad nothing');
    const ints: Inputs = [{ shape: [2, 2], values: Int32Array.from([1, 2, 3, 4]) }];
    expectSameAsCpu(ints, (t) => tf.pad(t, [[1, 0], [0, 1]], 9), undefined, 'pad int32');
  });

  it('Slice and StridedSlice, contiguous and not, every rank, int32, through gradients', () => {
    const x = randomInputs(rng, [[4, 5, 6, 7]])[0];
    const cases: [number[], number[]][] = [
      [[0, 0, 0, 0], [4, 5, 6, 7]], [[1, 0, 0, 0], [2, 5, 6, 7]], [[0, 1, 0, 0], [4, 3, 6, 7]], [[0, 0, 2, 1], [4, 5, 3, 5]],
      [[1, 2, 3, 4], [3, 3, 3, 3]], [[0, 0, 0, 6], [4, 5, 6, 1]], [[3, 4, 5, 6], [1, 1, 1, 1]], [[0, 2, 0, 0], [4, 0, 6, 7]],
      [[1, 1, 0, 0], [-1, -1, 6, 7]],
    ];
    for (const [begin, size] of cases) checkWithGrads([x], (t) => tf.slice(t, begin, size), `slice ${begin} ${size}`);
    for (const [shape, begin, size] of [[[9, 70], [2, 3], [5, 64]], [[70], [3], [66]], [[3, 4], [0, 1], [3, 2]]] as [number[], number[], number[]][]) {
      checkWithGrads(randomInputs(rng, [shape]), (t) => tf.slice(t, begin, size), `slice [${shape}] ${begin} ${size}`);
    }
    const ints: Inputs = [{ shape: [3, 4, 5], values: Int32Array.from({ length: 60 }, (_, i) => i * 7 - 100) }];
    expectSameAsCpu(ints, (t) => tf.slice(t, [0, 1, 2], [3, 2, 3]), undefined, 'slice int32');
    // StridedSlice: unit strides with begin/end masks, shrink and new axes, and real strides (cpu kernel).
    const ss: [number[], number[], number[], number, number, number, number, number][] = [
      [[0, 1, 0, 2], [4, 4, 6, 6], [1, 1, 1, 1], 0, 0, 0, 0, 0],
      [[0, 1, 0, 0], [0, 3, 0, 0], [1, 1, 1, 1], 13, 13, 0, 0, 0],
      [[1, 2, 0, 0], [2, 3, 6, 7], [1, 1, 1, 1], 0, 0, 0, 0, 3],
      [[0, 0, 1], [4, 5, 4], [1, 1, 1], 0, 0, 1, 0, 0],
      [[0, 0, 0, 0], [4, 5, 6, 7], [1, 2, 1, 3], 0, 0, 0, 0, 0],
      [[0, 1, 0, 0], [4, 2, 6, 7], [1, 1, 1, 1], 0, 0, 0, 4, 0],
    ];
    for (const [begin, end, strides, bm, em, ell, na, sh] of ss) {
      checkWithGrads([x], (t) => tf.stridedSlice(t, begin, end, strides, bm, em, ell, na, sh), `stridedSlice ${begin} ${end} ${strides} ${bm} ${em} ${ell} ${na} ${sh}`);
    }
    expectSameAsCpu(ints, (t) => tf.stridedSlice(t, [0, 1, 1], [3, 3, 4], [1, 1, 1]), undefined, 'stridedSlice int32');
  });

  it('Select (tf.where) with broadcast conditions and operands, OneHot with out-of-range ids, through gradients', () => {
    const cond = (shape: number[]): Inputs[number] => ({ shape, values: Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => ((i * 5) % 3 === 0 ? 1 : 0)), dtype: 'bool' });
    const cases: [number[], number[], number[]][] = [
      [[4, 5], [4, 5], [4, 5]],
      [[4, 1], [4, 5], [4, 5]], // tf.where broadcasts: the kernel sees same shapes
      [[5], [3, 4, 5], [5]],
      [[], [7], [7]],
      [[2, 3, 33], [2, 3, 33], [1, 1, 33]],
      [[0, 3], [0, 3], [0, 3]],
    ];
    for (const [sc, st, se] of cases) {
      const [t, e] = randomInputs(rng, [st, se]);
      checkWithGrads([cond(sc), t, e], (c, a, b) => tf.where(c as tf.Tensor, a, b), `where ${sc} ${st} ${se}`);
    }
    const ti: Inputs = [cond([6]), { shape: [6], values: Int32Array.from([1, 2, 3, 4, 5, 6]) }, { shape: [6], values: Int32Array.from([-1, -2, -3, -4, -5, -6]) }];
    expectSameAsCpu(ti, (c, a, b) => tf.where(c as tf.Tensor, a, b), undefined, 'where int32');
    const ids: Inputs = [{ shape: [3, 7], values: Int32Array.from({ length: 21 }, (_, i) => (i % 9) - 1) }]; // -1 and 7 are out of range
    for (const depth of [1, 7, 8]) {
      expectSameAsCpu(ids, (i) => tf.oneHot(i as tf.Tensor1D, depth), undefined, `oneHot depth ${depth}`);
      expectSameAsCpu(ids, (i) => tf.oneHot(i as tf.Tensor1D, depth, 2.5, -0.5), undefined, `oneHot on/off depth ${depth}`);
      expectSameAsCpu(ids, (i) => tf.oneHot(i as tf.Tensor1D, depth, 1, 0, 'int32'), undefined, `oneHot int32 depth ${depth}`);
    }
    expectSameAsCpu([{ shape: [0], values: new Int32Array(0) }], (i) => tf.oneHot(i as tf.Tensor1D, 4), undefined, 'oneHot empty');
    // The loss of a classifier: a one-hot target matrix read by Multiply and its gradient.
    const logits = randomInputs(rng, [[5, 9]]);
    const targets: Inputs = [{ shape: [5], values: Int32Array.from([0, 8, 3, 3, 1]) }];
    checkWithGrads([...logits, ...targets], (l, y) => tf.sum(tf.mul(tf.logSoftmax(l), tf.oneHot(y as tf.Tensor1D, 9)), -1), 'oneHot loss');
  });

  it('Tile and broadcastTo (the gradients of sum and mean): every rank, size-1 and empty dims, int32', () => {
    const cases: [number[], number[]][] = [
      [[3], [4]], [[1], [7]], [[2, 3], [1, 1]], [[2, 3], [3, 2]], [[4, 1], [1, 9]], [[1, 5], [6, 1]],
      [[2, 1, 3], [2, 4, 1]], [[2, 3, 1, 2], [1, 2, 3, 2]], [[0, 3], [2, 2]], [[2, 3], [0, 1]], [[], []],
    ];
    for (const [shape, reps] of cases) {
      checkWithGrads(randomInputs(rng, [shape]), (t) => tf.tile(t, reps), `tile [${shape}] × [${reps}]`);
    }
    checkWithGrads(randomInputs(rng, [[4, 1]]), (t) => tf.broadcastTo(t, [3, 4, 5]), 'broadcastTo [4,1] → [3,4,5]');
    expectSameAsCpu([{ shape: [2, 1], values: Int32Array.from([1, 2]) }], (t) => tf.tile(t, [2, 3]), undefined, 'tile int32');
  });

  it('Step (ReLU gradients) and Cast to float32/bool: NaN, ±0, odd and empty shapes, int32/bool inputs', () => {
    const special = Float32Array.from([NaN, 0, -0, 1e-30, -1e-30, Infinity, -Infinity, 3, -3]);
    for (const shape of [[9], [], [0], [3, 5, 33], [2, 1, 7], [135]]) {
      const [x] = randomInputs(rng, [shape]);
      if (shape.length === 1 && shape[0] === 9) x.values = special;
      if (shape[0] === 135) x.values = Float32Array.from({ length: 135 }, (_, i) => special[i % 9] * (1 + i)); // SIMD length, special values in every lane
      for (const alpha of [0, 0.25, -1.5]) expectSameAsCpu([x], (t) => tf.step(t, alpha), undefined, `step [${shape}] alpha ${alpha}`);
      checkWithGrads([x], (t) => tf.relu(t), `relu [${shape}]`);
      expectSameAsCpu([x], (t) => tf.cast(t, 'bool'), undefined, `cast float32→bool [${shape}]`);
      expectSameAsCpu([x], (t) => tf.cast(t, 'int32'), undefined, `cast float32→int32 [${shape}]`);
      const n = shape.reduce((a, b) => a * b, 1);
      const ints: Inputs[number] = { shape, values: Int32Array.from({ length: n }, (_, i) => ((i * 7919) % 23) - 11) };
      expectSameAsCpu([ints], (t) => tf.cast(t, 'float32'), undefined, `cast int32→float32 [${shape}]`);
      expectSameAsCpu([ints], (t) => tf.cast(t, 'bool'), undefined, `cast int32→bool [${shape}]`);
      expectSameAsCpu([ints], (t) => tf.cast(tf.cast(t, 'bool'), 'float32'), undefined, `cast bool→float32 [${shape}]`);
      expectSameAsCpu([ints, x], (t, y) => tf.mul(tf.cast(t, 'float32'), y), undefined, `int32→float32 × float32 [${shape}]`);
    }
    // tf.mul(logp, oneHot(int32)) casts the int32 one-hot to float32 first.
    const ids: Inputs = [{ shape: [6], values: Int32Array.from([0, 4, 9, -1, 4, 2]) }, ...randomInputs(rng, [[6, 5]])];
    checkWithGrads([ids[1], ids[0]], (l, y) => tf.sum(tf.mul(tf.logSoftmax(l), tf.oneHot(y as tf.Tensor1D, 5)), -1), 'int32 oneHot loss');
  });

  it('GatherV2 and UnsortedSegmentSum (the embedding and its gradient), repeated and unused ids', () => {
    const table = randomInputs(rng, [[11, 6]]);
    const ids: Inputs = [{ shape: [4, 5], values: Int32Array.from({ length: 20 }, (_, i) => (i * 7) % 11 === 3 ? 3 : (i * 3) % 9) }];
    checkWithGrads([...table, ...ids], (t, i) => tf.gather(t, i), 'gather axis 0 (embedding)');
    checkWithGrads([...randomInputs(rng, [[3, 8, 2]]), { shape: [5], values: Int32Array.from([7, 0, 7, 1, 2]) }], (t, i) => tf.gather(t, i, 1), 'gather axis 1');
    const x = randomInputs(rng, [[9, 4]]);
    const seg: Inputs = [{ shape: [9], values: Int32Array.from([0, 2, 2, 5, 0, 1, 5, 5, 2]) }];
    checkWithGrads([...x, ...seg], (t, s) => tf.unsortedSegmentSum(t, s as tf.Tensor1D, 7), 'unsortedSegmentSum');
    checkWithGrads([...randomInputs(rng, [[6]]), { shape: [6], values: Int32Array.from([1, 1, 0, 3, 3, 3]) }], (t, s) => tf.unsortedSegmentSum(t, s as tf.Tensor1D, 4), 'unsortedSegmentSum 1-D');
    const xi: Inputs = [{ shape: [4, 2], values: Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]) }, { shape: [4], values: Int32Array.from([1, 0, 1, 1]) }];
    expectSameAsCpu(xi, (t, s) => tf.unsortedSegmentSum(t, s as tf.Tensor1D, 3), undefined, 'unsortedSegmentSum int32');
    expect(() => runGatherOutOfRange()).toThrow(/GatherV2: the index value 11 is not in \[0, 10\]/);
  });
});

function runGatherOutOfRange(): void {
  tf.setBackend('apogee-cpu');
  tf.tidy(() => tf.gather(tf.zeros([11, 2]), tf.tensor1d([0, 11], 'int32')).dataSync());
}
