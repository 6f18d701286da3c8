/**
 * The same GPT training step as `gpt-step.ts` (same parameters and init from `@apogee/policy`'s
 * GptModel, same architecture, loss, AdamW and clipping) with its forward pass and update written
 * on `@apogee/runtime`'s fused ops (`layerNorm`, `geluTanh`, `adamwUpdate`): what the policy
 * model's step costs once it calls them. Kept in bench/ until the policy adopts the fused ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GptModel, gptConfig } from '@apogee/policy';
import { adamwUpdate, geluTanh, layerNorm, type GptBenchShape, type GptStep } from '@apogee/runtime';

export async function fusedGptStep(shape: GptBenchShape): Promise<GptStep> {
  const config = gptConfig('tiny', { vocabSize: shape.vocab, nLayer: shape.layers, nHead: shape.heads, nEmbd: shape.d, blockSize: shape.time });
  const model = GptModel.create(config, 1);
  const w = (name: string) => model.weights.get(name) as tf.Variable;
  const params = model.weights.entries().map(([name, variable]) => ({ name, variable, decay: variable.rank >= 2 }));
  const slots = new Map(params.map((p) => [p.variable.name, { ...p, m: tf.variable(tf.zerosLike(p.variable), false), v: tf.variable(tf.zerosLike(p.variable), false) }]));
  const { batch: B, time: T, d, heads: H } = shape;
  const hd = d / H;
  const eps = config.layerNormEpsilon;
  const tokens = Int32Array.from({ length: B * (T + 1) }, (_, i) => (i * 7919 + (i >> 3)) % shape.vocab);
  const ids = tf.tensor1d(Array.from({ length: B }, (_, b) => Array.from(tokens.subarray(b * (T + 1), b * (T + 1) + T))).flat(), 'int32');
  const targets = tf.tensor1d(Array.from({ length: B }, (_, b) => Array.from(tokens.subarray(b * (T + 1) + 1, (b + 1) * (T + 1)))).flat(), 'int32');
  const oneHot = tf.oneHot(targets, shape.vocab);
  const mask = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) mask[i * T + j] = -1e9;
  const bias = tf.tensor4d(mask, [1, 1, T, T]);
  let step = 0;

  const loss = (): tf.Scalar => {
    let x = tf.reshape(tf.add(tf.reshape(tf.gather(w('wte.weight'), ids), [B, T, d]), tf.slice(w('wpe.weight'), [0, 0], [T, d])), [B * T, d]) as tf.Tensor2D;
    for (let l = 0; l < shape.layers; l++) {
      const p = `h.${l}`;
      const qkv = tf.fused.matMul({ a: layerNorm(x, w(`${p}.ln_1.weight`), w(`${p}.ln_1.bias`), eps), b: w(`${p}.attn.c_attn.weight`) as tf.Tensor2D, bias: w(`${p}.attn.c_attn.bias`) });
      const [q, k, v] = tf.unstack(tf.transpose(tf.reshape(qkv, [B, T, 3, H, hd]), [2, 0, 3, 1, 4])) as tf.Tensor4D[];
      const probs = tf.softmax(tf.add(tf.matMul(tf.mul(q, 1 / Math.sqrt(hd)), k, false, true), bias));
      const merged = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [B * T, d]) as tf.Tensor2D;
      x = tf.add(x, tf.fused.matMul({ a: merged, b: w(`${p}.attn.c_proj.weight`) as tf.Tensor2D, bias: w(`${p}.attn.c_proj.bias`) }));
      const h = geluTanh(tf.fused.matMul({ a: layerNorm(x, w(`${p}.ln_2.weight`), w(`${p}.ln_2.bias`), eps), b: w(`${p}.mlp.c_fc.weight`) as tf.Tensor2D, bias: w(`${p}.mlp.c_fc.bias`) }));
      x = tf.add(x, tf.fused.matMul({ a: h, b: w(`${p}.mlp.c_proj.weight`) as tf.Tensor2D, bias: w(`${p}.mlp.c_proj.bias`) }));
    }
    const logits = tf.matMul(layerNorm(x, w('ln_f.weight'), w('ln_f.bias'), eps), w('wte.weight'), false, true);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), oneHot), -1))) as tf.Scalar;
  };

  return {
    async step() {
      const { value, grads } = tf.variableGrads(loss, params.map((p) => p.variable));
      const sumSquares = tf.tidy(() => tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
      const [lossValue, sq] = await Promise.all([value.data(), sumSquares.data()]);
      if (!Number.isFinite(lossValue[0])) throw new Error('non-finite loss');
      const norm = Math.sqrt(sq[0]);
      step += 1;
      tf.tidy(() => {
        for (const [name, g] of Object.entries(grads)) {
          const s = slots.get(name)!;
          const r = adamwUpdate(s.variable, s.m, s.v, g, {
            lr: 3e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step, weightDecay: s.decay ? 0.01 : 0, gradScale: norm > 1 ? 1 / (norm + 1e-6) : 1,
          });
          s.variable.assign(r.param);
          s.m.assign(r.m);
          s.v.assign(r.v);
        }
      });
      tf.dispose([value, sumSquares, ...Object.values(grads)]);
    },
    dispose() {
      for (const s of slots.values()) tf.dispose([s.m, s.v]);
      model.dispose();
      tf.dispose([ids, targets, oneHot, bias]);
    },
  };
}
