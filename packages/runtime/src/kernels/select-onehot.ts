/**
 * `Select` (`tf.where`) with float32 results and `OneHot` (float32, or int32, for which the cpu
 * kernel stores a Float32Array too), written into the output pool (so into the SIMD kernels'
 * arena, `wasm/arena.ts`): the cpu kernels return fresh arrays, which every
 * SIMD kernel reading them then copies in (a one-hot target matrix is read by the loss's
 * `Multiply` and again by its gradient). Same semantics as the cpu kernels; other dtypes go there.
 */
import { util } from '@tensorflow/tfjs-core';
import { type KernelArgs, type KernelOverride, sizeOf } from './types';
import { takeOutput } from './buffer-pool';

type Numeric = Float32Array | Int32Array | Uint8Array;

const data = (backend: KernelArgs['backend'], t: { dataId: object }): Numeric => backend.data.get(t.dataId).values as Numeric;

export const selectOverride: KernelOverride = {
  kernelName: 'Select',
  make: (_state, fallback) => (args) => {
    const { inputs, backend } = args as unknown as KernelArgs;
    const { condition, t, e } = inputs;
    if (t.dtype !== 'float32' || e.dtype !== 'float32' || !util.arraysEqual(t.shape, e.shape)) return fallback(args as never);
    const n = sizeOf(t.shape);
    const c = data(backend, condition);
    // tf.where broadcasts the condition to t's shape; any other layout goes to the cpu kernel.
    if (c.length !== n) return fallback(args as never);
    const tv = data(backend, t);
    const ev = data(backend, e);
    const out = takeOutput(backend, n);
    for (let i = 0; i < n; i++) out[i] = c[i] === 1 ? tv[i] : ev[i];
    return backend.makeTensorInfo(t.shape, 'float32', out);
  },
};

interface OneHotAttrs {
  dtype: string;
  depth: number;
  onValue: number;
  offValue: number;
}

export const oneHotOverride: KernelOverride = {
  kernelName: 'OneHot',
  make: (_state, fallback) => (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs<OneHotAttrs>;
    const { indices } = inputs;
    const { dtype, depth, onValue, offValue } = attrs;
    // int32 too: the cpu kernel also stores a Float32Array for an int32 one-hot (and casting it
    // to float32, as tf.mul(logp, oneHot) does, shares that array), so it can come from the pool.
    if (dtype !== 'float32' && dtype !== 'int32') return fallback(args as never);
    const ids = data(backend, indices);
    const n = ids.length;
    const out = takeOutput(backend, n * depth);
    out.fill(offValue);
    for (let i = 0; i < n; i++) {
      const id = ids[i];
      if (id >= 0 && id < depth) out[i * depth + id] = onValue;
    }
    return backend.makeTensorInfo([...indices.shape, depth], dtype, out);
  },
};
