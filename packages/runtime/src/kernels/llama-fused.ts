/**
 * apogee-cpu kernels of `../ops/llama-fused.ts` and their gradients: one pass over the data
 * each, float32 in and out, the row statistics in float64.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { RMS_NORM, RMS_NORM_GRAD, ROTARY_EMBEDDING } from '../ops/llama-fused';
import { takeOutput } from './buffer-pool';
import { values } from './types';

type Args<A> = { inputs: Record<string, TensorInfo>; backend: MathBackendCPU; attrs: A };

/**
 * y = x · r · g with r = 1/√(mean(x²) + eps) per row; `x·r` rounded to float32 before the gain, as
 * the composite's two products. With `withStats` also returns r per row (for the gradient).
 */
function rmsNorm({ inputs, backend, attrs }: Args<{ eps: number; withStats?: number }>): TensorInfo | TensorInfo[] {
  const x = values(backend, inputs.x);
  const g = values(backend, inputs.g);
  const d = g.length;
  const out = takeOutput(backend, x.length);
  const rs = attrs.withStats ? new Float32Array(x.length / d) : null;
  for (let o = 0, row = 0; o < x.length; o += d, row++) {
    let ss = 0;
    for (let i = 0; i < d; i++) ss += x[o + i] * x[o + i];
    const r = Math.fround(1 / Math.sqrt(Math.fround(Math.fround(ss / d) + attrs.eps)));
    if (rs) rs[row] = r;
    for (let i = 0; i < d; i++) out[o + i] = Math.fround(x[o + i] * r) * g[i];
  }
  const y = backend.makeTensorInfo(inputs.x.shape, 'float32', out);
  return rs ? [y, backend.makeTensorInfo([rs.length], 'float32', rs)] : y;
}

/**
 * RMSNorm's gradient from dy, x, g and each row's r: dg = Σ_rows dy·x·r, and per row
 * dx = r·(dy·g) − x·r³·mean(dy·g·x) (r depends on x through mean(x²)).
 */
function rmsNormGrad({ inputs, backend }: Args<Record<string, never>>): TensorInfo[] {
  const dy = values(backend, inputs.dy);
  const x = values(backend, inputs.x);
  const g = values(backend, inputs.g);
  const rs = values(backend, inputs.r);
  const d = g.length;
  const dx = takeOutput(backend, x.length);
  const dg = new Float64Array(d);
  for (let o = 0, row = 0; o < x.length; o += d, row++) {
    const r = rs[row];
    let dot = 0;
    for (let i = 0; i < d; i++) {
      const dyg = dy[o + i] * g[i];
      dot += dyg * x[o + i];
      dg[i] += dy[o + i] * x[o + i] * r;
    }
    const c = (dot / d) * r * r * r;
    for (let i = 0; i < d; i++) dx[o + i] = r * dy[o + i] * g[i] - x[o + i] * c;
  }
  return [backend.makeTensorInfo(inputs.x.shape, 'float32', dx), backend.makeTensorInfo(inputs.g.shape, 'float32', Float32Array.from(dg))];
}

/**
 * Each head of row r: [x₁·cos − x₂·sin, x₂·cos + x₁·sin] with row r's `headDim/2` cos and sin;
 * with `inverse` the rotation back (sin negated): the gradient of the rotation.
 */
function rotaryEmbedding({ inputs, backend, attrs }: Args<{ headDim: number; inverse?: number }>): TensorInfo {
  const x = values(backend, inputs.x);
  const cos = values(backend, inputs.cos);
  const sin = values(backend, inputs.sin);
  const [rows, width] = inputs.x.shape;
  const half = attrs.headDim / 2;
  const sign = attrs.inverse ? -1 : 1;
  const out = takeOutput(backend, x.length);
  for (let r = 0; r < rows; r++) {
    const a = r * half;
    for (let h = r * width, end = h + width; h < end; h += attrs.headDim) {
      for (let i = 0; i < half; i++) {
        const x1 = x[h + i];
        const x2 = x[h + half + i];
        const c = cos[a + i];
        const s = sign * sin[a + i];
        out[h + i] = Math.fround(x1 * c) - Math.fround(x2 * s);
        out[h + half + i] = Math.fround(x2 * c) + Math.fround(x1 * s);
      }
    }
  }
  return backend.makeTensorInfo(inputs.x.shape, 'float32', out);
}

/** Kernel configs of the Llama-family fused ops for `backendName` (apogee-cpu). */
export function llamaFusedKernelConfigs(backendName: string): KernelConfig[] {
  return [
    { kernelName: RMS_NORM, backendName, kernelFunc: rmsNorm as unknown as KernelFunc },
    { kernelName: RMS_NORM_GRAD, backendName, kernelFunc: rmsNormGrad as unknown as KernelFunc },
    { kernelName: ROTARY_EMBEDDING, backendName, kernelFunc: rotaryEmbedding as unknown as KernelFunc },
  ];
}
