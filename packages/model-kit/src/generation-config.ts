import { ApogeeError, ERROR_CODES } from '@apogee/core';

/**
 * Hugging Face `generation_config.json`: the defaults a model's authors ship for decoding. apogee
 * uses `eosTokenIds` (generation stops at any of them, besides the tokenizer's EOS) and exposes the
 * sampling fields so a sampler can start from them; the file is written back unchanged on save.
 */
export interface GenerationDefaults {
  /** `eos_token_id` (one id or a list; Llama 3 instruct models end turns with `<|eot_id|>`). */
  eosTokenIds: number[];
  /** `do_sample`: false means greedy. */
  doSample?: boolean;
  temperature?: number;
  topP?: number;
  topK?: number;
  maxNewTokens?: number;
  repetitionPenalty?: number;
  /** The file as read. */
  raw: Record<string, unknown>;
}

/** Parse `generation_config.json`; a field of the wrong type is an error naming the file and field. */
export function readGenerationConfig(json: unknown, file: string): GenerationDefaults {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: is not a JSON object.`);
  }
  const o = json as Record<string, unknown>;
  const problems: { path: string; message: string }[] = [];
  const number = (key: string, check: (v: number) => boolean, what: string): number | undefined => {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !check(v)) problems.push({ path: key, message: `must be ${what}, got ${JSON.stringify(v)}` });
    return v as number;
  };
  const out: GenerationDefaults = {
    eosTokenIds: readTokenIds(o.eos_token_id, 'eos_token_id', problems),
    temperature: number('temperature', (v) => v >= 0, 'a number ≥ 0'),
    topP: number('top_p', (v) => v > 0 && v <= 1, 'a number in (0, 1]'),
    topK: number('top_k', (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0'),
    maxNewTokens: number('max_new_tokens', (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0'),
    repetitionPenalty: number('repetition_penalty', (v) => v > 0, 'a number > 0'),
    raw: o,
  };
  if (o.do_sample !== undefined) {
    if (typeof o.do_sample !== 'boolean') problems.push({ path: 'do_sample', message: `must be true or false, got ${JSON.stringify(o.do_sample)}` });
    else out.doSample = o.do_sample;
  }
  if (problems.length > 0) throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: invalid generation config:`, { problems });
  return out;
}

/** A config's token-id field (`eos_token_id`, …) as a list: Hub configs give one id or several. */
export function readTokenIds(v: unknown, field: string, problems: { path: string; message: string }[]): number[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((x) => Number.isInteger(x) && (x as number) >= 0)) {
    problems.push({ path: field, message: `must be a token id or a list of them, got ${JSON.stringify(v)}` });
    return [];
  }
  return list as number[];
}
