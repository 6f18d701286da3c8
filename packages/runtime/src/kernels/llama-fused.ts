/**
 * apogee-cpu kernels of `../ops/llama-fused.ts` (inference only: the ops differentiate their
 * composite form): one pass over the data each, float32 in and out, the row statistics in float64.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { RMS_NORM, ROTARY_EMBEDDING } from '../ops/llama-fused';
import { takeOutput } from './buffer-pool';
import { values } from './types';

type Args<A> = { inputs: Record<string, TensorInfo>; backend: MathBackendCPU; attrs: A };

/** y = x · r · g with r = 1/√(mean(x²) + eps) per row; `x·r` rounded to float32 before the gain, as the composite's two products. */
function rmsNorm({ inputs, backend, attrs }: Args<{ eps: number }>): TensorInfo {
  const x = values(backend, inputs.x);
  const g = values(backend, inputs.g);
  const d = g.length;
  const out = takeOutput(backend, x.length);
  for (let o = 0; o < x.length; o += d) {
    let ss = 0;
    for (let i = 0; i < d; i++) ss += x[o + i] * x[o + i];
    const r = Math.fround(1 / Math.sqrt(Math.fround(Math.fround(ss / d) + attrs.eps)));
    for (let i = 0; i < d; i++) out[o + i] = Math.fround(x[o + i] * r) * g[i];
  }
  return backend.makeTensorInfo(inputs.x.shape, 'float32', out);
}

/** Each head of row r: [x₁·cos − x₂·sin, x₂·cos + x₁·sin] with row r's `headDim/2` cos and sin. */
function rotaryEmbedding({ inputs, backend, attrs }: Args<{ headDim: number }>): TensorInfo {
  const x = values(backend, inputs.x);
  const cos = values(backend, inputs.cos);
  const sin = values(backend, inputs.sin);
  const [rows, width] = inputs.x.shape;
  const half = attrs.headDim / 2;
  const out = takeOutput(backend, x.length);
  for (let r = 0; r < rows; r++) {
    const a = r * half;
    for (let h = r * width, end = h + width; h < end; h += attrs.headDim) {
      for (let i = 0; i < half; i++) {
        const x1 = x[h + i];
        const x2 = x[h + half + i];
        const c = cos[a + i];
        const s = sin[a + i];
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
    { kernelName: ROTARY_EMBEDDING, backendName, kernelFunc: rotaryEmbedding as unknown as KernelFunc },
  ];
}
