/**
 * Kernels of the fused ops in `../ops/fused.ts`, registered only on apogee-cpu: one pass over the
 * data each, float32 in and out, float64 arithmetic inside.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  ADAMW_UPDATE, GELU_TANH, GELU_TANH_GRAD, LAYER_NORM, LAYER_NORM_GRAD, LOG_SUM_EXP_ROWS, LOG_SUM_EXP_ROWS_GRAD, SCALED_MASKED_SOFTMAX, SUM_OF_SQUARES, SCALED_MASKED_SOFTMAX_GRAD,
} from '../ops/fused';
import { fastExp } from './fast-math';
import {
  simdAdamWUpdate, simdGeluTanh, simdGeluTanhGrad, simdLayerNorm, simdLayerNormGrad, simdLogSumExpRows, simdLogSumExpRowsGrad,
  simdScaledMaskedSoftmax, simdScaledMaskedSoftmaxGrad, simdSumOfSquares,
} from './simd-fused';
import { values, type AdamWAttrs, type KernelState } from './types';
import { withSimd } from '../wasm/simd';

type Args<A = Record<string, number>> = { inputs: Record<string, TensorInfo>; backend: MathBackendCPU; attrs: A };

const C = 2 * Math.sqrt(2 / Math.PI);
const K = 0.044715;

/**
 * GELU forward. With `withSigmoid` = 1 it also returns σ(2z) (float32), which the gradient reuses
 * so the backward pass needs no `exp` (saving it costs one store per element here).
 */
function geluTanh({ inputs, backend, attrs }: Args<{ withSigmoid?: number }>): TensorInfo | TensorInfo[] {
  const xv = values(backend, inputs.x);
  const n = xv.length;
  const out = new Float32Array(n);
  if (attrs?.withSigmoid) {
    const sig = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x = xv[i];
      const s = 1 / (1 + fastExp(-C * (x + K * x * x * x)));
      sig[i] = s;
      out[i] = x * s;
    }
    return [backend.makeTensorInfo(inputs.x.shape, 'float32', out), backend.makeTensorInfo(inputs.x.shape, 'float32', sig)];
  }
  for (let i = 0; i < n; i++) {
    const x = xv[i];
    out[i] = x / (1 + fastExp(-C * (x + K * x * x * x)));
  }
  return backend.makeTensorInfo(inputs.x.shape, 'float32', out);
}

/** GELU gradient; uses the forward's saved σ(2z) (input `s`) when given, else recomputes it. */
function geluTanhGrad({ inputs, backend }: Args): TensorInfo {
  const xv = values(backend, inputs.x);
  const dv = values(backend, inputs.dy);
  const n = xv.length;
  const out = new Float32Array(n);
  if (inputs.s) {
    const sv = values(backend, inputs.s);
    for (let i = 0; i < n; i++) {
      const x = xv[i];
      const s = sv[i];
      out[i] = dv[i] * (s + x * s * (1 - s) * C * (1 + 3 * K * x * x));
    }
    return backend.makeTensorInfo(inputs.x.shape, 'float32', out);
  }
  for (let i = 0; i < n; i++) {
    const x = xv[i];
    const s = 1 / (1 + fastExp(-C * (x + K * x * x * x)));
    out[i] = dv[i] * (s + x * s * (1 - s) * C * (1 + 3 * K * x * x));
  }
  return backend.makeTensorInfo(inputs.x.shape, 'float32', out);
}

/**
 * Mean and 1/√(var + ε) of one row of `d` values starting at `base`, from Σx and Σx² in float64:
 * written to `out[0]`, `out[1]`. Shared by the LayerNorm forward and (without saved stats) its
 * gradient, so both normalise with the very same numbers.
 */
function rowMeanRstd(xv: ArrayLike<number>, base: number, d: number, epsilon: number, out: Float64Array): void {
  let sum = 0;
  let sq = 0;
  for (let j = 0; j < d; j++) {
    const v = xv[base + j];
    sum += v;
    sq += v * v;
  }
  const mean = sum / d;
  out[0] = mean;
  out[1] = 1 / Math.sqrt(Math.max(sq / d - mean * mean, 0) + epsilon);
}

/**
 * LayerNorm forward: per row one pass for Σx and Σx² (float64), one to write. With `withStats` =
 * 1 it also returns each row's mean and 1/√(var + ε) (packed as [rows, 4] float32 hi/lo pairs), which
 * the gradient reuses instead of recomputing them.
 */
function layerNorm({ inputs, backend, attrs }: Args<{ epsilon: number; withStats?: number }>): TensorInfo | TensorInfo[] {
  const { x, gamma, beta } = inputs;
  const d = x.shape[x.shape.length - 1];
  const xv = values(backend, x);
  const g = values(backend, gamma);
  const b = values(backend, beta);
  const out = new Float32Array(xv.length);
  const rows = d > 0 ? xv.length / d : 0;
  const stats = !!attrs.withStats;
  const means = new Float64Array(stats ? rows : 0);
  const rstds = new Float64Array(stats ? rows : 0);
  const ms = new Float64Array(2);
  for (let r = 0, base = 0; r < rows; r++, base += d) {
    rowMeanRstd(xv, base, d, attrs.epsilon, ms);
    const mean = ms[0];
    const rstd = ms[1];
    if (stats) {
      means[r] = mean;
      rstds[r] = rstd;
    }
    for (let j = 0; j < d; j++) out[base + j] = (xv[base + j] - mean) * rstd * g[j] + b[j];
  }
  const y = backend.makeTensorInfo(x.shape, 'float32', out);
  if (!stats) return y;
  // Stats travel as float32 pairs (hi, lo) so the gradient sees the float64 values exactly.
  const packed = new Float32Array(4 * rows);
  for (let r = 0; r < rows; r++) {
    const mh = Math.fround(means[r]);
    const rh = Math.fround(rstds[r]);
    packed[4 * r] = mh;
    packed[4 * r + 1] = means[r] - mh;
    packed[4 * r + 2] = rh;
    packed[4 * r + 3] = rstds[r] - rh;
  }
  return [y, backend.makeTensorInfo([rows, 4], 'float32', packed)];
}

function layerNormGrad({ inputs, backend, attrs }: Args<{ epsilon: number }>): TensorInfo[] {
  const { dy, x, gamma, stats } = inputs;
  const d = x.shape[x.shape.length - 1];
  const xv = values(backend, x);
  const dv = values(backend, dy);
  const g = values(backend, gamma);
  const sv = stats ? values(backend, stats) : null;
  const dx = new Float32Array(xv.length);
  const dg = new Float64Array(d);
  const db = new Float64Array(d);
  const xhat = new Float64Array(d);
  const ms = new Float64Array(2);
  for (let r = 0, base = 0; base < xv.length; r++, base += d) {
    let mean: number;
    let rstd: number;
    if (sv) {
      mean = sv[4 * r] + sv[4 * r + 1];
      rstd = sv[4 * r + 2] + sv[4 * r + 3];
    } else {
      rowMeanRstd(xv, base, d, attrs.epsilon, ms);
      mean = ms[0];
      rstd = ms[1];
    }
    let sumDh = 0;
    let sumDhX = 0;
    for (let j = 0; j < d; j++) {
      const h = (xv[base + j] - mean) * rstd;
      xhat[j] = h;
      const dyj = dv[base + j];
      dg[j] += dyj * h;
      db[j] += dyj;
      const dh = dyj * g[j];
      sumDh += dh;
      sumDhX += dh * h;
    }
    sumDh /= d;
    sumDhX /= d;
    for (let j = 0; j < d; j++) dx[base + j] = rstd * (dv[base + j] * g[j] - sumDh - xhat[j] * sumDhX);
  }
  return [
    backend.makeTensorInfo(x.shape, 'float32', dx),
    backend.makeTensorInfo(gamma.shape, 'float32', Float32Array.from(dg)),
    backend.makeTensorInfo(gamma.shape, 'float32', Float32Array.from(db)),
  ];
}

function adamwUpdate({ inputs, backend, attrs }: Args<AdamWAttrs>): TensorInfo[] {
  const { param, m, v, grad } = inputs;
  const pv = values(backend, param);
  const mv = values(backend, m);
  const vv = values(backend, v);
  const gv = values(backend, grad);
  const n = pv.length;
  const p1 = new Float32Array(n);
  const m1 = new Float32Array(n);
  const v1 = new Float32Array(n);
  const { lr, beta1, beta2, epsilon, c1, c2, decay, scale } = attrs;
  const stepLr = lr / c1;
  for (let i = 0; i < n; i++) {
    const g = gv[i] * scale;
    // Rounded to float32 before use, as the composite form stores each intermediate.
    m1[i] = beta1 * mv[i] + (1 - beta1) * g;
    v1[i] = beta2 * vv[i] + (1 - beta2) * g * g;
    const mi = m1[i];
    const vi = v1[i];
    p1[i] = pv[i] * decay - (mi * stepLr) / (Math.sqrt(vi / c2) + epsilon);
  }
  return [
    backend.makeTensorInfo(param.shape, 'float32', p1),
    backend.makeTensorInfo(param.shape, 'float32', m1),
    backend.makeTensorInfo(param.shape, 'float32', v1),
  ];
}

/**
 * softmax(scale·scores + bias) over the last axis, one row at a time; `bias` has scores' last
 * dim and broadcasts over the others (checked by the op), walked with per-dim strides.
 */
function scaledMaskedSoftmax({ inputs, backend, attrs }: Args<{ scale: number }>): TensorInfo {
  const { scores, bias } = inputs;
  const shape = scores.shape;
  const rank = shape.length;
  const k = shape[rank - 1];
  const sv = values(backend, scores);
  const bv = values(backend, bias);
  const out = new Float32Array(sv.length);
  const scale = attrs.scale;
  if (k > 0 && sv.length > 0) {
    const lead = rank - bias.shape.length;
    // Bias offset step per row dim (0 where the bias broadcasts), and the row-dim extents.
    const outer = rank - 1;
    const step = new Array<number>(outer).fill(0);
    let st = k;
    for (let d = outer - 1; d >= 0; d--) {
      const bd = d >= lead ? bias.shape[d - lead] : 1;
      step[d] = bd === 1 ? 0 : st;
      st *= bd;
    }
    const idx = new Array<number>(outer).fill(0);
    let boff = 0;
    for (let base = 0; base < sv.length; base += k) {
      let m = -Infinity;
      for (let j = 0; j < k; j++) {
        const z = scale * sv[base + j] + bv[boff + j];
        out[base + j] = z;
        if (z > m || z !== z) m = z;
      }
      let sum = 0;
      for (let j = 0; j < k; j++) {
        const e = fastExp(out[base + j] - m);
        out[base + j] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let j = 0; j < k; j++) out[base + j] *= inv;
      for (let d = outer - 1; d >= 0; d--) {
        idx[d]++;
        boff += step[d];
        if (idx[d] < shape[d]) break;
        boff -= step[d] * shape[d];
        idx[d] = 0;
      }
    }
  }
  return backend.makeTensorInfo(shape, 'float32', out);
}

/** scale·p·(dy − Σ dy·p) per row: the gradient of softmax(scale·scores + bias) w.r.t. scores. */
function scaledMaskedSoftmaxGrad({ inputs, backend, attrs }: Args<{ scale: number }>): TensorInfo {
  const { dy, probs } = inputs;
  const k = probs.shape[probs.shape.length - 1];
  const dv = values(backend, dy);
  const pv = values(backend, probs);
  const out = new Float32Array(pv.length);
  const scale = attrs.scale;
  if (k > 0) {
    for (let base = 0; base < pv.length; base += k) {
      let dot = 0;
      for (let j = 0; j < k; j++) dot += dv[base + j] * pv[base + j];
      for (let j = 0; j < k; j++) out[base + j] = scale * pv[base + j] * (dv[base + j] - dot);
    }
  }
  return backend.makeTensorInfo(probs.shape, 'float32', out);
}

/** log Σ exp per row of [rows, n]: one max pass and one exp-sum pass (float64 sum). */
function logSumExpRows({ inputs, backend }: Args): TensorInfo {
  const { x } = inputs;
  const [rows, n] = x.shape;
  const xv = values(backend, x);
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    let m = -Infinity;
    for (let j = 0; j < n; j++) {
      const v = xv[base + j];
      if (v > m || v !== v) m = v;
    }
    if (m === Infinity || m === -Infinity) {
      out[r] = m; // all −∞ (log 0), or a +∞ logit
      continue;
    }
    let s = 0;
    for (let j = 0; j < n; j++) s += fastExp(xv[base + j] - m);
    out[r] = Math.log(s) + m;
  }
  return backend.makeTensorInfo([rows], 'float32', out);
}

/** dy[i]·exp(x[i, j] − lse[i]): softmax rows scaled by the incoming gradient. */
function logSumExpRowsGrad({ inputs, backend }: Args): TensorInfo {
  const { dy, x, lse } = inputs;
  const [rows, n] = x.shape;
  const xv = values(backend, x);
  const dv = values(backend, dy);
  const lv = values(backend, lse);
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    const g = dv[r];
    const l = lv[r];
    for (let j = 0; j < n; j++) out[base + j] = g * fastExp(xv[base + j] - l);
  }
  return backend.makeTensorInfo(x.shape, 'float32', out);
}

/** Σ x² over all elements of all inputs, accumulated in float64. */
function sumOfSquares({ inputs, backend }: Args): TensorInfo {
  let total = 0;
  for (const t of Object.values(inputs)) {
    const xv = values(backend, t);
    let s = 0;
    for (let i = 0; i < xv.length; i++) s += xv[i] * xv[i];
    total += s;
  }
  return backend.makeTensorInfo([], 'float32', Float32Array.of(total));
}

/**
 * The fused kernels, for `backendName`: on the WebAssembly SIMD kernels when `state.simd` is set
 * (checked per call, so tests can switch paths) and the call fits in their memory, else the JS
 * kernels above.
 */
export function fusedKernelConfigs(backendName: string, state: KernelState): KernelConfig[] {
  type Js = (args: Args<never>) => TensorInfo | TensorInfo[];
  type Simd = (w: NonNullable<KernelState['simd']>, args: Args<never>) => TensorInfo | TensorInfo[];
  const k = (kernelName: string, js: unknown, simd: unknown): KernelConfig => ({
    kernelName,
    backendName,
    kernelFunc: ((args: Args<never>) => withSimd(state.simd, (w) => (simd as Simd)(w, args), () => (js as Js)(args))) as unknown as KernelFunc,
  });
  return [
    k(GELU_TANH, geluTanh, simdGeluTanh),
    k(GELU_TANH_GRAD, geluTanhGrad, simdGeluTanhGrad),
    k(LAYER_NORM, layerNorm, simdLayerNorm),
    k(LAYER_NORM_GRAD, layerNormGrad, simdLayerNormGrad),
    k(ADAMW_UPDATE, adamwUpdate, simdAdamWUpdate),
    k(SCALED_MASKED_SOFTMAX, scaledMaskedSoftmax, simdScaledMaskedSoftmax),
    k(LOG_SUM_EXP_ROWS, logSumExpRows, simdLogSumExpRows),
    k(LOG_SUM_EXP_ROWS_GRAD, logSumExpRowsGrad, simdLogSumExpRowsGrad),
    k(SUM_OF_SQUARES, sumOfSquares, simdSumOfSquares),
    k(SCALED_MASKED_SOFTMAX_GRAD, scaledMaskedSoftmaxGrad, simdScaledMaskedSoftmaxGrad),
  ];
}
