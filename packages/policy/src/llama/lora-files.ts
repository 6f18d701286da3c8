import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ApogeeError, ERROR_CODES, writeJsonAtomic } from '@apogee/core';
import { readSafetensors, writeSafetensors, type WritableTensor } from '@apogee/safetensors';
import { Weights } from '../model/weights';
import type { LlamaConfig } from './config';
import { LoraAdapter, loraConfig, loraTargets, type LoraConfig } from './lora';

/** PEFT's file names. */
export const ADAPTER_FILES = { config: 'adapter_config.json', weights: 'adapter_model.safetensors' } as const;

/** PEFT's prefix of adapter tensor names in a causal LM (`base_model.model.` + the model's own name). */
const PEFT_PREFIX = 'base_model.model.';

/** Whether `dir` holds a PEFT adapter. */
export function hasAdapter(dir: string): boolean {
  return fs.existsSync(path.join(dir, ADAPTER_FILES.config));
}

/**
 * Write `adapter_config.json` and `adapter_model.safetensors` as PEFT's `save_pretrained` does
 * (`base_model.model.<projection>.lora_A.weight`, …), so `PeftModel.from_pretrained` can load them.
 * The weights file is written first; each file atomically.
 */
export async function writeAdapter(dir: string, adapter: LoraAdapter, baseModel = '.'): Promise<void> {
  await fs.promises.mkdir(dir, { recursive: true });
  const tensors = new Map<string, WritableTensor>();
  for (const [name, v] of adapter.weights.entries()) tensors.set(`${PEFT_PREFIX}${name}`, { dtype: 'F32', shape: [...v.shape], data: (await v.data()) as Float32Array });
  await writeSafetensors(path.join(dir, ADAPTER_FILES.weights), tensors, { format: 'pt' });
  const c = adapter.config;
  await writeJsonAtomic(path.join(dir, ADAPTER_FILES.config), {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    r: c.r,
    lora_alpha: c.alpha,
    lora_dropout: c.dropout,
    target_modules: c.targetModules,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: false,
    init_lora_weights: true,
    modules_to_save: null,
    use_rslora: false,
    use_dora: false,
  });
}

/**
 * Read a PEFT LoRA adapter for a model of `model`'s config. Variants apogee does not implement
 * (rsLoRA, DoRA, trained biases, extra saved modules) are refused, naming the file and field.
 */
export async function readAdapter(dir: string, model: LlamaConfig): Promise<LoraAdapter> {
  const file = path.join(dir, ADAPTER_FILES.config);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await fs.promises.readFile(file, 'utf8'));
  } catch (e) {
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: cannot read the adapter config (${(e as Error).message}).`, { cause: e });
  }
  const problems: { path: string; message: string }[] = [];
  const expect = (key: string, ok: (v: unknown) => boolean, what: string) => {
    if (!ok(json[key])) problems.push({ path: key, message: `must be ${what}, got ${JSON.stringify(json[key])}` });
  };
  expect('peft_type', (v) => v === 'LORA', '"LORA"');
  expect('bias', (v) => v === undefined || v === 'none', '"none" (trained biases are not supported)');
  expect('use_rslora', (v) => !v, 'false (rsLoRA is not supported)');
  expect('use_dora', (v) => !v, 'false (DoRA is not supported)');
  expect('fan_in_fan_out', (v) => !v, 'false (Llama-family projections are nn.Linear)');
  expect('modules_to_save', (v) => v === undefined || v === null, 'null (extra trained modules are not supported)');
  const targets = json.target_modules;
  if (!Array.isArray(targets) || !targets.every((t) => typeof t === 'string')) problems.push({ path: 'target_modules', message: `must be a list of module names, got ${JSON.stringify(targets)}` });
  if (problems.length > 0) throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: not a LoRA adapter apogee can use:`, { problems });
  let config: LoraConfig;
  try {
    config = loraConfig({ r: json.r as number, alpha: (json.lora_alpha as number) ?? 8, dropout: (json.lora_dropout as number) ?? 0, targetModules: targets as string[] });
  } catch (e) {
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: ${(e as Error).message}`, { problems: (e as ApogeeError).problems, cause: e });
  }
  const weightsFile = path.join(dir, ADAPTER_FILES.weights);
  const { tensors } = await readSafetensors(weightsFile);
  const byName = new Map<string, { shape: number[]; data: ArrayLike<number> }>();
  for (const [name, t] of tensors) byName.set(name.startsWith(PEFT_PREFIX) ? name.slice(PEFT_PREFIX.length).replace('.lora_A.default.', '.lora_A.').replace('.lora_B.default.', '.lora_B.') : name, t);
  const weights = new Weights(true, 'lora');
  const wanted = new Set<string>();
  const dims = (p: string): [number, number] => {
    const m = /\.(\w+_proj)$/.exec(p)![1];
    const q = model.nHead * model.headDim;
    const kv = model.nKvHead * model.headDim;
    const shape: Record<string, [number, number]> = {
      q_proj: [q, model.nEmbd], k_proj: [kv, model.nEmbd], v_proj: [kv, model.nEmbd], o_proj: [model.nEmbd, q],
      gate_proj: [model.intermediateSize, model.nEmbd], up_proj: [model.intermediateSize, model.nEmbd], down_proj: [model.nEmbd, model.intermediateSize],
    };
    return shape[m];
  };
  for (const p of loraTargets(model, config)) {
    const [out, inp] = dims(p);
    for (const [name, shape] of [[`${p}.lora_A.weight`, [config.r, inp]], [`${p}.lora_B.weight`, [out, config.r]]] as const) {
      wanted.add(name);
      const t = byName.get(name);
      if (!t) problems.push({ path: `${PEFT_PREFIX}${name}`, message: 'missing' });
      else if (t.shape.join(',') !== shape.join(',')) problems.push({ path: `${PEFT_PREFIX}${name}`, message: `has shape [${t.shape}], expected [${shape}]` });
      else weights.add(name, tf.tensor(Float32Array.from(t.data), [...shape], 'float32'));
    }
  }
  for (const name of byName.keys()) if (!wanted.has(name)) problems.push({ path: name, message: 'is not a tensor of this adapter (target_modules and the model config decide which are)' });
  if (problems.length > 0) {
    weights.dispose();
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${weightsFile}: the adapter does not fit this model:`, { problems });
  }
  return new LoraAdapter(config, weights);
}
