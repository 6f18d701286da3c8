/**
 * Fused ops of Llama-family decoder blocks: RMSNorm and rotary position embeddings in one pass
 * each, where the composite form makes 6 and 8 engine calls (plus the split and concat) and its
 * gradient as many again. On `apogee-cpu` one kernel runs (`kernels/llama-fused.ts`), and under a
 * gradient tape one kernel computes the gradient; on every other backend the same formula is
 * computed from tfjs ops, so model code calls them unconditionally. See
 * docs/decisions/0074-llama-decode-speed.md.
 *
 * - {@link rmsNorm}: x / √(mean(x²) + ε) · g over the last axis (Zhang & Sennrich 2019).
 * - {@link rotaryEmbedding}: each head's "rotate half" rotation by its row's angles (Su et al.
 *   2021, RoFormer, eq. 34, in the layout of Hugging Face Llama checkpoints).
 */
import * as tf from '@tensorflow/tfjs-core';

export const RMS_NORM = 'ApogeeRmsNorm';
export const RMS_NORM_GRAD = 'ApogeeRmsNormGrad';
export const ROTARY_EMBEDDING = 'ApogeeRotaryEmbedding';

/** Whether the fused kernel runs: registered on the active backend and float32 inputs. */
function fused(kernel: string, ...xs: tf.Tensor[]): boolean {
  return tf.getKernel(kernel, tf.getBackend()) !== undefined && xs.every((x) => x.dtype === 'float32');
}

/** Whether a gradient tape records right now (inside `tf.grads`/`minimize`); true when unsure. */
function tapeOn(): boolean {
  const engine = tf.engine() as unknown as { isTapeOn?: () => boolean };
  return typeof engine.isTapeOn === 'function' ? engine.isTapeOn() : true;
}

function run(kernel: string, inputs: tf.NamedTensorMap, attrs: Record<string, number>): tf.Tensor | tf.Tensor[] {
  return tf.engine().runKernel(kernel, inputs as never, attrs as never) as unknown as tf.Tensor | tf.Tensor[];
}

/**
 * RMSNorm over the last axis: x / √(mean(x²) + eps) · g, no mean subtraction and no bias,
 * computed in float32 as Hugging Face's `LlamaRMSNorm` does. `g` is the gain `[d]`.
 */
export function rmsNorm<T extends tf.Tensor>(x: T, g: tf.Tensor, eps: number): T {
  const d = x.shape[x.rank - 1];
  if (g.size !== d) throw new Error(`rmsNorm: the gain has ${g.size} elements, x's last axis ${d}`);
  if (fused(RMS_NORM, x, g)) {
    if (!tapeOn()) return run(RMS_NORM, { x, g }, { eps }) as T;
    // Under a tape the forward also returns each row's 1/rms, which the gradient kernel reads.
    const f = tf.customGrad(((input: tf.Tensor, gain: tf.Tensor, save: tf.GradSaveFunc) => {
      const [y, r] = run(RMS_NORM, { x: input, g: gain }, { eps, withStats: 1 }) as tf.Tensor[];
      save([input, gain, r]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => run(RMS_NORM_GRAD, { dy, x: saved[0], g: saved[1], r: saved[2] }, {}) as tf.Tensor[],
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(x, g) as T;
  }
  return tf.tidy(() => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), g)) as T;
}

/**
 * Rotary position embeddings of `x` `[rows, heads·headDim]`: each head of row r is rotated by
 * that row's angles, dimension i paired with i + headDim/2: [x₁·cos − x₂·sin, x₂·cos + x₁·sin].
 * `cos` and `sin` hold each row's `headDim/2` values (`[rows, headDim/2]`, or any shape of that
 * size such as `[rows, 1, headDim/2]`).
 */
export function rotaryEmbedding(x: tf.Tensor2D, cos: tf.Tensor, sin: tf.Tensor, headDim: number): tf.Tensor2D {
  const [rows, width] = x.shape;
  const half = headDim / 2;
  if (!Number.isInteger(half) || half < 1 || width % headDim !== 0) throw new Error(`rotaryEmbedding: x is [${x.shape}], not heads of an even headDim ${headDim}`);
  if (cos.size !== rows * half || sin.size !== rows * half) throw new Error(`rotaryEmbedding: cos/sin have ${cos.size}/${sin.size} values, expected ${rows}·${half}`);
  if (fused(ROTARY_EMBEDDING, x, cos, sin)) {
    if (!tapeOn()) return run(ROTARY_EMBEDDING, { x, cos, sin }, { headDim }) as tf.Tensor2D;
    // The rotation's gradient is the inverse rotation (sin negated); the angles get none.
    // cos and sin are saved: the forward's scope disposes what is not before the backward pass.
    const f = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
      save([cos, sin]);
      return {
        value: run(ROTARY_EMBEDDING, { x: input, cos, sin }, { headDim }) as tf.Tensor,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => run(ROTARY_EMBEDDING, { x: dy, cos: saved[0], sin: saved[1] }, { headDim, inverse: 1 }) as tf.Tensor,
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(x) as tf.Tensor2D;
  }
  return tf.tidy(() => {
    const h = tf.reshape(x, [rows, width / headDim, headDim]);
    const c = tf.reshape(cos, [rows, 1, half]);
    const s = tf.reshape(sin, [rows, 1, half]);
    const [x1, x2] = tf.split(h, [half, half], 2);
    return tf.reshape(tf.concat([tf.sub(tf.mul(x1, c), tf.mul(x2, s)), tf.add(tf.mul(x2, c), tf.mul(x1, s))], 2), [rows, width]) as tf.Tensor2D;
  });
}
