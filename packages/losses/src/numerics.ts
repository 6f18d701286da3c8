import * as tf from '@tensorflow/tfjs-core';
import { ApogeeError, ERROR_CODES } from '@apogee/core';

/**
 * `log σ(x) = −softplus(−x)`. tfjs's softplus switches to `x` / `exp(x)` outside a float32-safe
 * range, so this stays finite (value and gradient `σ(−x)`) for |x| in the thousands and beyond.
 */
export function logSigmoid<T extends tf.Tensor>(x: T): T {
  return tf.neg(tf.softplus(tf.neg(x))) as T;
}

/** `−log σ(x) = softplus(−x)`: the Bradley–Terry / DPO negative log-likelihood of a margin. */
export function negLogSigmoid<T extends tf.Tensor>(x: T): T {
  return tf.softplus(tf.neg(x)) as T;
}

/** An `APOGEE_INVALID_ARGUMENT` error naming the loss and the input field. */
export function invalidLossInput(loss: string, field: string, message: string): ApogeeError {
  return new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Loss "${loss}": input "${field}" ${message}`, {
    hint: 'See the loss input types in @apogee/core (contracts/losses.ts) for the expected shapes.',
  });
}

/** Validates the shape of a tensor input. */
export function expectShape(loss: string, field: string, t: tf.Tensor, shape: Array<number | null>): void {
  const ok = t.rank === shape.length && shape.every((d, i) => d === null || t.shape[i] === d);
  if (!ok) {
    const want = `[${shape.map((d) => (d === null ? '·' : d)).join(', ')}]`;
    throw invalidLossInput(loss, field, `has shape [${t.shape.join(', ')}], expected ${want}.`);
  }
}
