/**
 * `UnsortedSegmentSum` (the gradient of `gather`: the embedding's backward pass) as one
 * scatter-add pass, O(size of x). The cpu backend builds a mask per segment: O(segments × size).
 * `GatherV2` (the embedding's forward pass) as row copies.
 */
import { util, type TypedArray } from '@tensorflow/tfjs-core';
import { type KernelArgs, type KernelOverride, isNumeric, sizeOf } from './types';

export const unsortedSegmentSumOverride: KernelOverride = {
  kernelName: 'UnsortedSegmentSum',
  make: (_state, fallback) => (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs<{ numSegments: number }>;
    const { x, segmentIds } = inputs;
    if ((x.dtype !== 'float32' && x.dtype !== 'int32') || segmentIds.shape.length > x.shape.length) {
      return fallback(args as never);
    }
    const { numSegments } = attrs;
    const inner = sizeOf(x.shape.slice(segmentIds.shape.length));
    const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
    const xv = backend.data.get(x.dataId).values as TypedArray;
    const ids = backend.data.get(segmentIds.dataId).values as TypedArray;
    // float32 for int32 inputs too, as the cpu kernel (its float mask upcasts the product).
    const out = new Float32Array(numSegments * inner);
    const count = ids.length;
    for (let i = 0; i < count; i++) {
      const seg = ids[i];
      // Out-of-range ids contribute nothing (as in the cpu kernel, whose masks never match them).
      if (seg < 0 || seg >= numSegments) continue;
      const src = i * inner;
      const dst = seg * inner;
      for (let j = 0; j < inner; j++) out[dst + j] += xv[src + j];
    }
    return backend.makeTensorInfo(outShape, 'float32', out);
  },
};

interface GatherAttrs {
  axis: number;
  batchDims: number;
}

export const gatherV2Override: KernelOverride = {
  kernelName: 'GatherV2',
  make: (_state, fallback) => (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs<GatherAttrs>;
    const { x, indices } = inputs;
    if (!isNumeric(x.dtype) || (attrs.batchDims ?? 0) !== 0) return fallback(args as never);
    const axis = util.parseAxisParam(attrs.axis, x.shape)[0];
    const outer = sizeOf(x.shape.slice(0, axis));
    const axisSize = x.shape[axis];
    const inner = sizeOf(x.shape.slice(axis + 1));
    const ids = backend.data.get(indices.dataId).values as TypedArray;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(id >= 0 && id < axisSize)) {
        // Same message as the cpu kernel, so callers see one behaviour on both backends.
        util.assert(false, () => `GatherV2: the index value ${id} is not in [0, ${axisSize - 1}]`);
      }
    }
    const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
    const xv = backend.data.get(x.dataId).values as TypedArray;
    const Ctor = xv.constructor as new (n: number) => TypedArray;
    const out = new Ctor(sizeOf(outShape));
    const n = ids.length;
    for (let o = 0; o < outer; o++) {
      const srcBase = o * axisSize * inner;
      const dstBase = o * n * inner;
      for (let i = 0; i < n; i++) {
        const src = srcBase + ids[i] * inner;
        out.set(xv.subarray(src, src + inner), dstBase + i * inner);
      }
    }
    return backend.makeTensorInfo(outShape, x.dtype, out);
  },
};
