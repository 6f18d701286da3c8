/**
 * `Step` (ReLU's gradient in tfjs is dy · step(x)) and `Cast` to float32 and bool, written in one
 * plain loop each. The cpu kernels call a closure per element (`Step`: ~30 ns per element, a
 * sixth of a `tf.sequential` ReLU MLP's `model.fit` step) or return arrays outside the output pool
 * (`Cast` of int32 to float32 shares the Int32Array, which every SIMD kernel then converts and
 * copies in on each read). Same values as the cpu kernels.
 */
import { type KernelArgs, type KernelOverride, sizeOf } from './types';
import { takeOutput } from './buffer-pool';
import { withSimd } from '../wasm/simd';

/** Below this many elements the JS loop runs (no call into the SIMD kernels). */
const STEP_SIMD_MIN = 64;

type Numeric = Float32Array | Int32Array | Uint8Array;

/**
 * step(x) = 1 where x > 0, α elsewhere, NaN for NaN (tfjs's `step`). Float32 in and out. The
 * SIMD kernel selects without branches; a JS loop's branch on a random sign mispredicts half the
 * time (measured: ~7 ns per element).
 */
export const stepOverride: KernelOverride = {
  kernelName: 'Step',
  make: (state, fallback) => (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs<{ alpha?: number }>;
    const { x } = inputs;
    if (x.dtype !== 'float32') return fallback(args as never);
    const xv = backend.data.get(x.dataId).values as Float32Array;
    const alpha = attrs.alpha ?? 0;
    const n = xv.length;
    const out = takeOutput(backend, n);
    withSimd(n >= STEP_SIMD_MIN ? state.simd : null, (kernels) => {
      const w = kernels.begin();
      const xp = w.input(xv);
      const op = w.output(out);
      w.k.step(xp, op, n, alpha);
      w.collect(out, op);
    }, () => {
      for (let i = 0; i < n; i++) {
        const v = xv[i];
        out[i] = v > 0 ? 1 : v !== v ? NaN : alpha;
      }
    });
    return backend.makeTensorInfo(x.shape, 'float32', out);
  },
};

/**
 * int32/bool → float32 as a float32 array of the pool (the cpu kernel shares the input's array
 * when it is not float32 already: no copy once, a conversion on every SIMD read after); float32
 * or int32 → bool as x ≠ 0 (NaN counts as non-zero, as in the cpu kernel). Everything else, and
 * casts that keep the values' array type, go to the cpu kernel.
 */
export const castOverride: KernelOverride = {
  kernelName: 'Cast',
  make: (_state, fallback) => (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs<{ dtype: string }>;
    const { x } = inputs;
    const to = attrs.dtype;
    const xv = backend.data.get(x.dataId).values as Numeric;
    const n = sizeOf(x.shape);
    if (to === 'float32' && (x.dtype === 'int32' || x.dtype === 'bool') && !(xv instanceof Float32Array) && xv.length === n) {
      const out = takeOutput(backend, n);
      for (let i = 0; i < n; i++) out[i] = xv[i];
      return backend.makeTensorInfo(x.shape, 'float32', out);
    }
    if (to === 'bool' && (x.dtype === 'float32' || x.dtype === 'int32') && xv.length === n) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = xv[i] !== 0 ? 1 : 0;
      return backend.makeTensorInfo(x.shape, 'bool', out);
    }
    return fallback(args as never);
  },
};
