/**
 * Gradients of `Sum` and `Mean` without a ones tensor. tfjs's own multiply the reshaped dy by
 * `ones(x.shape)`: a fresh array of x's size filled in JS every step (the plain-tfjs GPT's
 * LayerNorms take two means each), read by a broadcasting `Multiply`. Multiplying by 1 is exact,
 * so `broadcastTo` (the `Tile` kernel) gives the same values on every backend. Registered by
 * `registerApogeeCpuBackend`, not on import.
 */
import { broadcastTo, div, mul, ones, reshape, util, type GradConfig, type NamedAttrMap, type Tensor } from '@tensorflow/tfjs-core';

/** dy with the reduced axes restored as size 1, broadcast to x's shape. */
function spread(dy: Tensor, x: Tensor, attrs: NamedAttrMap): Tensor {
  const axes = util.parseAxisParam(attrs.axis as number | number[], x.shape);
  const expanded = x.shape.slice();
  for (const a of axes) expanded[a] = 1;
  const dyx = reshape(dy, expanded);
  // tfjs's form where broadcastTo would not give x's shape or dtype (an empty x, an int dy).
  if (x.size === 0 || dy.dtype !== 'float32') return mul(dyx, ones(x.shape, 'float32'));
  return broadcastTo(dyx, x.shape);
}

export const sumGradConfig: GradConfig = {
  kernelName: 'Sum',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const derX = spread(dy as Tensor, x, attrs);
    return { x: () => derX };
  },
};

export const meanGradConfig: GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const axes = util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const reduceSize = axes.reduce((n, a) => n * x.shape[a], 1);
    return { x: () => div(spread(dy as Tensor, x, attrs), reduceSize) };
  },
};
