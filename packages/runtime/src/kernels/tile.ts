/**
 * `Tile` for float32 (what `tf.broadcastTo` runs) as block copies: the innermost dim by `fill`
 * (a size-1 dim, the broadcast case) or row copies, each outer dim's block by `copyWithin`. The
 * cpu kernel computes an index per element through a buffer (tens of ns each).
 */
import { type KernelArgs, type KernelOverride, sizeOf, values } from './types';
import { takeOutput } from './buffer-pool';

/** out (x.shape[i]·reps[i] per dim, row-major) = x repeated reps[i] times along each dim i. */
export function tileInto(x: Float32Array, shape: readonly number[], reps: readonly number[], out: Float32Array): void {
  const rank = shape.length;
  if (rank === 0) {
    if (out.length > 0) out[0] = x[0];
    return;
  }
  // Elements of one source block and one output block below each dim.
  const srcBlock = new Array<number>(rank + 1).fill(1);
  const outBlock = new Array<number>(rank + 1).fill(1);
  for (let d = rank - 1; d >= 0; d--) {
    srcBlock[d] = srcBlock[d + 1] * shape[d];
    outBlock[d] = outBlock[d + 1] * shape[d] * reps[d];
  }
  const fillDim = (d: number, src: number, dst: number): void => {
    const n = shape[d];
    if (d === rank - 1) {
      if (n === 1) {
        out.fill(x[src], dst, dst + reps[d]);
      } else {
        const row = x.subarray(src, src + n);
        for (let r = 0; r < reps[d]; r++) out.set(row, dst + r * n);
      }
      return;
    }
    for (let i = 0; i < n; i++) fillDim(d + 1, src + i * srcBlock[d + 1], dst + i * outBlock[d + 1]);
    const seg = n * outBlock[d + 1];
    for (let r = 1; r < reps[d]; r++) out.copyWithin(dst + r * seg, dst, dst + seg);
  };
  if (out.length > 0) fillDim(0, 0, 0);
}

export const tileOverride: KernelOverride = {
  kernelName: 'Tile',
  make: (_state, fallback) => (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs<{ reps: number[] }>;
    const { x } = inputs;
    const { reps } = attrs;
    if (x.dtype !== 'float32' || reps.length !== x.shape.length) return fallback(args as never);
    const outShape = x.shape.map((d, i) => d * reps[i]);
    // Every element is written (a dim with 0 reps or size leaves nothing to write).
    const out = takeOutput(backend, sizeOf(outShape));
    tileInto(values(backend, x), x.shape, reps, out);
    return backend.makeTensorInfo(outShape, 'float32', out);
  },
};
