/**
 * apogee-cpu's kernel of `kvCacheAttention` (`../ops/kv-cache.ts`): the cache is one preallocated
 * `[slots, kvHeads, maxTime, headDim]` host array per layer and kind, written in place, so a
 * decoding step neither concatenates cache tensors nor runs thousands of tiny per-head matrix
 * products. With the backend's WebAssembly SIMD kernels on and
 * a head size that is a multiple of 4, the cache lives in a SIMD kernels instance of its own and
 * the `decodeAttention` kernel attends (grouped-query attention as `groups` kernel rows per row,
 * see below); otherwise JS loops do.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { KV_CACHE_ATTENTION, type KvCache, type KvCacheShape, type KvStore } from '../ops/kv-cache';
import { createSimdKernels, type SimdKernels } from '../wasm/simd';
import { takeOutput } from './buffer-pool';
import { values } from './types';

interface Attrs {
  cache: KvCache;
  layer: number;
  heads: number;
  slots: Int32Array;
  pads: Int32Array;
  col: number;
}

/**
 * One SIMD kernels instance kept from the last disposed cache: WebAssembly memories are large
 * reservations freed only by the garbage collector, so generations reuse one.
 */
let spare: SimdKernels | null = null;

/** The host storage of one cache. */
export class HostKvStore implements KvStore {
  readonly k: Float32Array[] = [];
  readonly v: Float32Array[] = [];
  private readonly kPtr: number[] = [];
  private readonly vPtr: number[] = [];

  /** `simd`: the cache's own kernels instance, holding the arrays; null: JS arrays. */
  constructor(readonly shape: KvCacheShape, readonly simd: SimdKernels | null) {
    const size = shape.slots * shape.kvHeads * shape.maxTime * shape.headDim;
    for (let l = 0; l < shape.layers; l++) {
      if (simd) {
        this.kPtr.push(simd.persist(size));
        this.vPtr.push(simd.persist(size));
      } else {
        this.k.push(new Float32Array(size));
        this.v.push(new Float32Array(size));
      }
    }
  }

  /** Layer `layer`'s key and value arrays (views into the SIMD memory when it holds them: valid until it grows). */
  arrays(layer: number): { k: Float32Array; v: Float32Array } {
    if (!this.simd) return { k: this.k[layer], v: this.v[layer] };
    const n = this.shape.slots * this.shape.kvHeads * this.shape.maxTime * this.shape.headDim;
    return { k: this.simd.at(this.kPtr[layer], n), v: this.simd.at(this.vPtr[layer], n) };
  }

  pointers(layer: number): { k: number; v: number } {
    return { k: this.kPtr[layer], v: this.vPtr[layer] };
  }

  copySlots(from: readonly number[], to: readonly number[]): void {
    const per = this.shape.kvHeads * this.shape.maxTime * this.shape.headDim;
    for (let l = 0; l < this.shape.layers; l++) {
      const { k, v } = this.arrays(l);
      from.forEach((f, i) => {
        k.copyWithin(to[i] * per, f * per, (f + 1) * per);
        v.copyWithin(to[i] * per, f * per, (f + 1) * per);
      });
    }
  }

  dispose(): void {
    if (this.simd) {
      this.simd.releasePersistent();
      spare = this.simd;
    }
  }
}

type Args = { inputs: Record<string, TensorInfo>; backend: MathBackendCPU; attrs: Attrs };

function kvCacheAttention({ inputs, backend, attrs }: Args): TensorInfo {
  const { cache, layer, heads: H, slots, pads, col } = attrs;
  const { kvHeads: Hkv, headDim: hd, maxTime } = cache.shape;
  if (!cache.store) {
    // The backend object carries its SIMD kernels (ApogeeCpuBackend.simd); the cache takes an instance of its own.
    const simd = (backend as unknown as { simd?: SimdKernels | null }).simd && hd % 4 === 0 ? takeSpare() ?? createSimdKernels() : null;
    cache.store = new HostKvStore(cache.shape, simd);
  }
  if (!(cache.store instanceof HostKvStore)) throw new Error('kvCacheAttention: this cache was filled on another backend');
  const store = cache.store;
  const q = values(backend, inputs.q);
  const k = values(backend, inputs.k);
  const v = values(backend, inputs.v);
  const R = slots.length;
  const T = inputs.q.shape[0] / R;
  const d = H * hd;
  const dkv = Hkv * hd;
  const scale = 1 / Math.sqrt(hd);
  const out = takeOutput(backend, R * T * d);
  if (store.simd) {
    // One call of the SIMD kernel per new column. The kernel attends `heads` query heads to as
    // many key/value heads; under grouped-query attention each row becomes `groups` kernel rows
    // (row r, member g of every group): kernel row (r, g)'s head j is query head j·groups + g,
    // and its k and v are row r's (written to the same slot `groups` times: the same values).
    // It reads [q | k | v] kernel rows, writes k and v into the cache at that column and
    // attends to columns pad … column.
    const groups = H / Hkv;
    const Rk = R * groups;
    for (let t = 0; t < T; t++) {
      const a = store.simd.begin();
      const qkv = a.alloc(Rk * 3 * dkv);
      const slotPtr = a.alloc(Rk);
      const padPtr = a.alloc(Rk);
      const o = a.alloc(Rk * dkv);
      const scores = a.alloc(maxTime);
      const mem = a.f32();
      const ints = new Int32Array(mem.buffer);
      for (let r = 0; r < R; r++) {
        const row = r * T + t;
        const kRow = k.subarray(row * dkv, (row + 1) * dkv);
        const vRow = v.subarray(row * dkv, (row + 1) * dkv);
        for (let g = 0; g < groups; g++) {
          const p = r * groups + g;
          const dst = qkv / 4 + p * 3 * dkv;
          if (groups === 1) mem.set(q.subarray(row * d, (row + 1) * d), dst);
          else for (let j = 0; j < Hkv; j++) {
            const src = row * d + (j * groups + g) * hd;
            mem.set(q.subarray(src, src + hd), dst + j * hd);
          }
          mem.set(kRow, dst + dkv);
          mem.set(vRow, dst + 2 * dkv);
          ints[slotPtr / 4 + p] = slots[r];
          ints[padPtr / 4 + p] = Math.min(pads[r], col + t); // a padding query sees only itself
        }
      }
      const { k: kc, v: vc } = store.pointers(layer);
      a.k.decodeAttention(qkv, kc, vc, slotPtr, padPtr, o, scores, Rk, Hkv, hd, maxTime, col + t, scale);
      const res = a.at(o, Rk * dkv);
      for (let r = 0; r < R; r++) {
        const row = r * T + t;
        if (groups === 1) out.set(res.subarray(r * d, (r + 1) * d), row * d);
        else for (let g = 0; g < groups; g++) {
          const p = r * groups + g;
          for (let j = 0; j < Hkv; j++) out.set(res.subarray((p * Hkv + j) * hd, (p * Hkv + j + 1) * hd), row * d + (j * groups + g) * hd);
        }
      }
    }
    return backend.makeTensorInfo([R * T, d], 'float32', out);
  }
  const { k: K, v: V } = store.arrays(layer);
  const groups = H / Hkv;
  const scores = new Float64Array(maxTime);
  for (let r = 0; r < R; r++) {
    for (let t = 0; t < T; t++) {
      const c = col + t;
      const row = r * T + t;
      for (let g = 0; g < Hkv; g++) {
        const base = (slots[r] * Hkv + g) * maxTime * hd;
        K.set(k.subarray(row * dkv + g * hd, row * dkv + (g + 1) * hd), base + c * hd);
        V.set(v.subarray(row * dkv + g * hd, row * dkv + (g + 1) * hd), base + c * hd);
      }
    }
    // Keys of all of this row's new tokens are written before any of them attends (token t sees t' ≤ t only).
    for (let t = 0; t < T; t++) {
      const c = col + t;
      const lo = Math.min(pads[r], c);
      const row = r * T + t;
      for (let h = 0; h < H; h++) {
        const base = (slots[r] * Hkv + Math.floor(h / groups)) * maxTime * hd;
        const qo = row * d + h * hd;
        let max = -Infinity;
        for (let j = lo; j <= c; j++) {
          let s = 0;
          const kj = base + j * hd;
          for (let e = 0; e < hd; e++) s += q[qo + e] * K[kj + e];
          s *= scale;
          scores[j] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let j = lo; j <= c; j++) sum += scores[j] = Math.exp(scores[j] - max);
        const o = row * d + h * hd;
        out.fill(0, o, o + hd);
        for (let j = lo; j <= c; j++) {
          const p = scores[j] / sum;
          const vj = base + j * hd;
          for (let e = 0; e < hd; e++) out[o + e] += p * V[vj + e];
        }
      }
    }
  }
  return backend.makeTensorInfo([R * T, d], 'float32', out);
}

function takeSpare(): SimdKernels | null {
  const s = spare;
  spare = null;
  return s;
}

/** The kernel config of `kvCacheAttention` for `backendName` (apogee-cpu). */
export function kvCacheKernelConfigs(backendName: string): KernelConfig[] {
  return [{ kernelName: KV_CACHE_ATTENTION, backendName, kernelFunc: kvCacheAttention as unknown as KernelFunc }];
}
