import * as tf from '@tensorflow/tfjs-core';
import { ApogeeError, ERROR_CODES, MAX_LISTED_PROBLEMS, type Rng } from '@apogee/core';
import type { GptConfig } from '../config';

/** How a parameter starts: GPT-2's init (Radford et al. 2019, §2.3; nanoGPT's `_init_weights`). */
export type ParamInit = 'normal' | 'residual' | 'zeros' | 'ones';

export interface ParamSpec {
  /** Hugging Face GPT-2 name (`GPT2Model`, no `transformer.` prefix). */
  name: string;
  shape: number[];
  init: ParamInit;
}

/** Every parameter of the backbone with its Hugging Face name, shape ([in, out] for Conv1D) and init. */
export function gptParamSpecs(c: GptConfig): ParamSpec[] {
  const d = c.nEmbd;
  const specs: ParamSpec[] = [
    { name: 'wte.weight', shape: [c.vocabSize, d], init: 'normal' },
    { name: 'wpe.weight', shape: [c.blockSize, d], init: 'normal' },
  ];
  for (let i = 0; i < c.nLayer; i++) {
    const p = `h.${i}`;
    specs.push(
      { name: `${p}.ln_1.weight`, shape: [d], init: 'ones' },
      { name: `${p}.ln_1.bias`, shape: [d], init: 'zeros' },
      { name: `${p}.attn.c_attn.weight`, shape: [d, 3 * d], init: 'normal' },
      { name: `${p}.attn.c_attn.bias`, shape: [3 * d], init: 'zeros' },
      { name: `${p}.attn.c_proj.weight`, shape: [d, d], init: 'residual' },
      { name: `${p}.attn.c_proj.bias`, shape: [d], init: 'zeros' },
      { name: `${p}.ln_2.weight`, shape: [d], init: 'ones' },
      { name: `${p}.ln_2.bias`, shape: [d], init: 'zeros' },
      { name: `${p}.mlp.c_fc.weight`, shape: [d, 4 * d], init: 'normal' },
      { name: `${p}.mlp.c_fc.bias`, shape: [4 * d], init: 'zeros' },
      { name: `${p}.mlp.c_proj.weight`, shape: [4 * d, d], init: 'residual' },
      { name: `${p}.mlp.c_proj.bias`, shape: [d], init: 'zeros' },
    );
  }
  specs.push({ name: 'ln_f.weight', shape: [d], init: 'ones' }, { name: 'ln_f.bias', shape: [d], init: 'zeros' });
  return specs;
}

/** Standard deviation of GPT-2's normal init. */
export const INIT_STD = 0.02;

/** A fresh tensor for `spec`: normal(0, 0.02), residual projections scaled by 1/√(2·nLayer). */
export function initTensor(spec: ParamSpec, nLayer: number, rng: Rng): tf.Tensor {
  switch (spec.init) {
    case 'zeros':
      return tf.zeros(spec.shape);
    case 'ones':
      return tf.ones(spec.shape);
    case 'normal':
      return tf.randomNormal(spec.shape, 0, INIT_STD, 'float32', rng.seed());
    case 'residual':
      return tf.randomNormal(spec.shape, 0, INIT_STD / Math.sqrt(2 * nLayer), 'float32', rng.seed());
  }
}

/** A named set of `tf.Variable`s: the model's parameters, keyed by Hugging Face name. */
export class Weights {
  private readonly vars = new Map<string, tf.Variable>();
  /** Owners of these variables: a LoRA model and its frozen copies share one base (see `retain`). */
  private owners = 1;

  constructor(
    readonly trainable: boolean,
    private readonly tag: string,
  ) {}

  /** The variable called `name`; a missing name is a bug. */
  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new ApogeeError(ERROR_CODES.INTERNAL, `No parameter "${name}" in ${this.tag}.`);
    return v;
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  /** Take ownership of `value` as the variable `name` (the tensor is disposed). */
  add(name: string, value: tf.Tensor): tf.Variable {
    if (this.vars.has(name)) throw new ApogeeError(ERROR_CODES.INTERNAL, `Parameter "${name}" added twice to ${this.tag}.`);
    const v = tf.variable(value, this.trainable, `${this.tag}/${name}/${nextId++}`);
    value.dispose();
    this.vars.set(name, v);
    return v;
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  variables(): tf.Variable[] {
    return [...this.vars.values()];
  }

  entries(): [string, tf.Variable][] {
    return [...this.vars.entries()];
  }

  /** The parameters as host tensors under their names (a checkpoint's `model.safetensors`). */
  async toHost(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, v] of this.vars) out.set(name, { shape: [...v.shape], data: (await v.data()) as Float32Array });
    return out;
  }

  /**
   * An independent copy (every variable cloned), trainable as given (default: as these), without the
   * parameters `skip` names (a backbone copy drops the untied LM head).
   */
  clone(trainable = this.trainable, skip?: (name: string) => boolean): Weights {
    const copy = new Weights(trainable, this.tag);
    for (const [name, v] of this.vars) if (!skip?.(name)) copy.add(name, tf.clone(v));
    return copy;
  }

  /** Total number of scalars. */
  size(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  /** One more owner: `dispose` frees the variables when the last owner disposes. */
  retain(): this {
    this.owners += 1;
    return this;
  }

  dispose(): void {
    if (--this.owners > 0) return;
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

let nextId = 0;

/**
 * `Weights` holding exactly `specsFor(nLayer)`, copied from host tensors already renamed to the
 * specs' names (`byName`). A missing, misshapen or unknown tensor is an error naming `file` and
 * every problem. A config.json that implies far more tensors than the file holds
 * (`n_layer: 1000000`) is one error, checked before any spec list is built (issue 17).
 */
export function weightsFromHost(
  specsFor: (nLayer: number) => readonly ParamSpec[],
  byName: ReadonlyMap<string, { shape: number[]; data: Float32Array | Int32Array }>,
  file: string,
  o: { what: string; hint: string; trainable: boolean; tag: string; layers: { count: number; field: string } },
): Weights {
  const base = specsFor(0).length;
  const expected = base + (specsFor(1).length - base) * o.layers.count;
  if (expected > byName.size + MAX_LISTED_PROBLEMS) {
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: config.json describes a ${o.what} with ${o.layers.field} ${o.layers.count} (${expected} tensors), but the checkpoint holds ${byName.size}.`, {
      hint: `Check ${o.layers.field} in config.json against the weights (they must come from the same model).`,
    });
  }
  const specs = specsFor(o.layers.count);
  const problems: { path: string; message: string }[] = [];
  const unknown = new Set(byName.keys());
  for (const spec of specs) {
    const t = byName.get(spec.name);
    if (!t) problems.push({ path: spec.name, message: 'missing' });
    else if (t.shape.join(',') !== spec.shape.join(',')) problems.push({ path: spec.name, message: `has shape [${t.shape}], expected [${spec.shape}] from config.json` });
    unknown.delete(spec.name);
  }
  for (const name of unknown) problems.push({ path: name, message: `is not a ${o.what} parameter` });
  if (problems.length > 0) {
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: the tensors do not match a ${o.what} model of this config:`, { problems, hint: o.hint });
  }
  const weights = new Weights(o.trainable, o.tag);
  for (const spec of specs) {
    const t = byName.get(spec.name)!;
    weights.add(spec.name, tf.tensor(t.data instanceof Float32Array ? t.data : Float32Array.from(t.data), spec.shape, 'float32'));
  }
  return weights;
}
