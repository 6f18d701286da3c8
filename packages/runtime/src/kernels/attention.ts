/**
 * The fused multi-head attention kernels behind `multiHeadAttention` (`../ops/fused.ts`): each
 * (batch, head) pair reads its q, k and v straight out of the [B·T, 3d] projection through sgemm's
 * leading dimensions, and the heads are written straight into the merged [B·T, d] layout, so the
 * step needs no transposes, no unstack and no separate scale, mask and softmax passes.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { MULTI_HEAD_ATTENTION, MULTI_HEAD_ATTENTION_GRAD } from '../ops/fused';
import { fastExp } from './fast-math';
import { gemmOf, type Gemm } from './matmul';
import { values, type KernelState } from './types';
import { withSimd, type SimdKernels } from '../wasm/simd';
import { takeOutput } from './buffer-pool';

interface AttentionAttrs {
  batch: number;
  heads: number;
  scale: number;
  /** 1: also return the probabilities [B, H, T, T] (the gradient needs them). */
  saveProbs?: number;
}

type Args = { inputs: Record<string, TensorInfo>; backend: MathBackendCPU; attrs: AttentionAttrs };

function dims(qkv: TensorInfo, attrs: AttentionAttrs) {
  const rows = qkv.shape[0];
  const d3 = qkv.shape[1];
  const d = d3 / 3;
  const B = attrs.batch;
  const H = attrs.heads;
  return { B, H, T: rows / B, d, d3, hd: d / H };
}

function forward(gemm: Gemm, simd: SimdKernels | null, { inputs, backend, attrs }: Args): TensorInfo | TensorInfo[] {
  const { qkv, bias } = inputs;
  const { B, H, T, d, d3, hd } = dims(qkv, attrs);
  const qv = values(backend, qkv);
  const bv = values(backend, bias);
  // Every head writes its columns of every row: a pooled (unzeroed) array is fully overwritten.
  const out = T > 0 && hd > 0 ? takeOutput(backend, B * T * d) : new Float32Array(B * T * d);
  const save = !!attrs.saveProbs;
  const [bB, bH] = bias.shape;
  const TT = T * T;
  if (simd && T > 0 && hd > 0) {
    // Scores go straight into the SIMD kernels' memory (sgemm writes there), are turned into
    // probabilities in place, and the second product reads them from there.
    const a = simd.begin();
    const maskPtr = a.put(bv);
    const probsPtr = a.alloc(save ? B * H * TT : TT);
    const mem = a.f32();
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const qOff = b * T * d3 + h * hd;
        const pOff = probsPtr / 4 + (save ? (b * H + h) * TT : 0);
        const p = mem.subarray(pOff, pOff + TT);
        gemm.sgemm(false, true, T, T, hd, attrs.scale, qv.subarray(qOff), d3, qv.subarray(qOff + d), d3, 0, p, T);
        const mOff = ((bB === 1 ? 0 : b) * bH + (bH === 1 ? 0 : h)) * TT;
        a.k.softmaxRows(pOff * 4, maskPtr + mOff * 4, T, pOff * 4, T, T, 1);
        gemm.sgemm(false, false, T, hd, T, 1, p, T, qv.subarray(qOff + 2 * d), d3, 0, out.subarray(b * T * d + h * hd), d);
      }
    }
    const y = backend.makeTensorInfo([B * T, d], 'float32', out);
    if (!save) return y;
    const probs = takeOutput(backend, B * H * TT);
    probs.set(a.at(probsPtr, B * H * TT));
    return [y, backend.makeTensorInfo([B, H, T, T], 'float32', probs)];
  }
  const probs = new Float32Array(save ? B * H * TT : TT);
  if (T > 0 && hd > 0) {
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const qOff = b * T * d3 + h * hd;
        const p = save ? probs.subarray((b * H + h) * TT, (b * H + h + 1) * TT) : probs;
        // scores = scale · q kᵀ, then + mask and a stable softmax per row, in place.
        gemm.sgemm(false, true, T, T, hd, attrs.scale, qv.subarray(qOff), d3, qv.subarray(qOff + d), d3, 0, p, T);
        const mOff = ((bB === 1 ? 0 : b) * bH + (bH === 1 ? 0 : h)) * TT;
        for (let i = 0; i < T; i++) {
          const r = i * T;
          let m = -Infinity;
          for (let j = 0; j < T; j++) {
            const z = p[r + j] + bv[mOff + r + j];
            p[r + j] = z;
            if (z > m || z !== z) m = z;
          }
          let s = 0;
          for (let j = 0; j < T; j++) {
            const e = fastExp(p[r + j] - m);
            p[r + j] = e;
            s += e;
          }
          const inv = 1 / s;
          for (let j = 0; j < T; j++) p[r + j] *= inv;
        }
        // heads = p · v, written into columns h·hd… of the merged rows.
        gemm.sgemm(false, false, T, hd, T, 1, p, T, qv.subarray(qOff + 2 * d), d3, 0, out.subarray(b * T * d + h * hd), d);
      }
    }
  }
  const y = backend.makeTensorInfo([B * T, d], 'float32', out);
  return save ? [y, backend.makeTensorInfo([B, H, T, T], 'float32', probs)] : y;
}

/** d(qkv) from dy [B·T, d], qkv and the saved probabilities. */
function backward(gemm: Gemm, simd: SimdKernels | null, { inputs, backend, attrs }: Args): TensorInfo {
  const { dy, qkv, probs } = inputs;
  const { B, H, T, d, d3, hd } = dims(qkv, attrs);
  const qv = values(backend, qkv);
  const pv = values(backend, probs);
  const gv = values(backend, dy);
  // dq, dk and dv of every head cover every element.
  const dqkv = T > 0 && hd > 0 ? takeOutput(backend, B * T * d3) : new Float32Array(B * T * d3);
  const TT = T * T;
  if (T > 0 && hd > 0) {
    // dz, the gradient of the scores, lives in the SIMD kernels' memory when they run (with a
    // copy of the probabilities for the softmax backward), else in a JS array.
    const a = simd?.begin();
    const probsPtr = a ? a.put(pv) : 0;
    const dzPtr = a ? a.alloc(TT) : 0;
    const mem = a?.f32();
    const dz = mem ? mem.subarray(dzPtr / 4, dzPtr / 4 + TT) : new Float32Array(TT);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const qOff = b * T * d3 + h * hd;
        const yOff = b * T * d + h * hd;
        const p = pv.subarray((b * H + h) * TT, (b * H + h + 1) * TT);
        const g = gv.subarray(yOff);
        // dv = pᵀ · dy_h
        gemm.sgemm(true, false, T, hd, T, 1, p, T, g, d, 0, dqkv.subarray(qOff + 2 * d), d3);
        // dp = dy_h · vᵀ, then dz = p ⊙ (dp − Σ_j dp·p) (softmax backward), in place.
        gemm.sgemm(false, true, T, T, hd, 1, g, d, qv.subarray(qOff + 2 * d), d3, 0, dz, T);
        if (a) {
          a.k.softmaxGradRows(dzPtr, probsPtr + (b * H + h) * TT * 4, dzPtr, T, T, 1);
        } else {
          for (let i = 0; i < T; i++) {
            const r = i * T;
            let dot = 0;
            for (let j = 0; j < T; j++) dot += dz[r + j] * p[r + j];
            for (let j = 0; j < T; j++) dz[r + j] = p[r + j] * (dz[r + j] - dot);
          }
        }
        // dq = scale · dz · k, dk = scale · dzᵀ · q
        gemm.sgemm(false, false, T, hd, T, attrs.scale, dz, T, qv.subarray(qOff + d), d3, 0, dqkv.subarray(qOff), d3);
        gemm.sgemm(true, false, T, hd, T, attrs.scale, dz, T, qv.subarray(qOff), d3, 0, dqkv.subarray(qOff + d), d3);
      }
    }
  }
  return backend.makeTensorInfo(qkv.shape, 'float32', dqkv);
}

/**
 * The attention kernels for `backendName`; matrix products on `state.blas`, else the WebAssembly GEMM
 * or plain JS (`gemmOf`); the
 * softmax and its gradient on `state.simd`, else plain JS.
 */
export function attentionKernelConfigs(backendName: string, state: KernelState): KernelConfig[] {
  const gemm = (): Gemm => gemmOf(state);
  return [
    {
      kernelName: MULTI_HEAD_ATTENTION,
      backendName,
      kernelFunc: ((args: Args) => withSimd(state.simd, (w) => forward(gemm(), w, args), () => forward(gemm(), null, args))) as unknown as KernelFunc,
    },
    {
      kernelName: MULTI_HEAD_ATTENTION_GRAD,
      backendName,
      kernelFunc: ((args: Args) => withSimd(state.simd, (w) => backward(gemm(), w, args), () => backward(gemm(), null, args))) as unknown as KernelFunc,
    },
  ];
}
