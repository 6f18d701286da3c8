import { ApogeeError, ERROR_CODES } from '@apogee/core';
import { ASSISTANT_TURN, HUMAN_TURN } from './dialogue';
import type { RawRecord } from './source';

/**
 * The fields apogee reads, each mapped to the name your files use (OpenRLHF's `--input_key`,
 * `--chosen_key`, `--rejected_key` do the same). Unmapped fields keep their own names.
 */
export interface FieldMap {
  /** The prompt: TRL's `prompt`, a multi-response record's `query`, a prompt file's `prompt`. */
  prompt?: string;
  chosen?: string;
  rejected?: string;
  /** Optional scores of a chosen/rejected pair (equal scores make a tie; see `ReadOptions.ties`). */
  chosen_score?: string;
  rejected_score?: string;
  /** The text/scores family's texts. */
  text?: string;
  /** Scores: a list, or an object keyed like `responses`. */
  scores?: string;
  /** A multi-response record's responses: a list, or an object `{name: text}`. */
  responses?: string;
  query_id?: string;
  golden?: string;
}
export const FIELD_NAMES: readonly (keyof FieldMap)[] = ['prompt', 'chosen', 'rejected', 'chosen_score', 'rejected_score', 'text', 'scores', 'responses', 'query_id', 'golden'];

/** Role markers of dialogues that do not use HH's `\n\nHuman:` / `\n\nAssistant:`. */
export interface RoleMarkers {
  /** E.g. `## Human:`, `USER:`, `<|user|>`. */
  human: string;
  /** E.g. `## Assistant:`, `ASSISTANT:`, `<|assistant|>`. */
  assistant: string;
}

function invalid(message: string): ApogeeError {
  return new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, message, { hint: 'See "Mapping fields and role markers" in docs/guides/data.md.' });
}

export function checkFieldMap(fields: FieldMap | undefined): void {
  if (fields === undefined) return;
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) throw invalid(`Option "fields" must be an object {apogee field: your field} (got ${JSON.stringify(fields)}).`);
  const seen = new Map<string, string>();
  for (const [k, v] of Object.entries(fields)) {
    if (!FIELD_NAMES.includes(k as keyof FieldMap)) throw invalid(`Option "fields" has an unknown field "${k}"; allowed: ${FIELD_NAMES.map((f) => `"${f}"`).join(', ')}.`);
    if (typeof v !== 'string' || v === '') throw invalid(`Option "fields.${k}" must be a non-empty field name (got ${JSON.stringify(v)}).`);
    if (seen.has(v)) throw invalid(`Option "fields" maps both "${seen.get(v)}" and "${k}" to "${v}".`);
    seen.set(v, k);
  }
}

export function checkRoleMarkers(markers: RoleMarkers | undefined): void {
  if (markers === undefined) return;
  for (const k of ['human', 'assistant'] as const) {
    const v = (markers as unknown as Record<string, unknown>)?.[k];
    if (typeof v !== 'string' || v.trim() === '') throw invalid(`Option "roleMarkers.${k}" must be a non-empty string such as "## ${k === 'human' ? 'Human' : 'Assistant'}:" (got ${JSON.stringify(v)}).`);
  }
  if (markers.human.trim() === markers.assistant.trim()) throw invalid('Options "roleMarkers.human" and "roleMarkers.assistant" must differ.');
}

/** One record with its fields renamed to apogee's; other keys are kept. */
export function mapFields(value: unknown, fields: FieldMap): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = { ...src };
  for (const [ours, theirs] of Object.entries(fields) as Array<[string, string]>) {
    if (ours === theirs || !(theirs in src)) continue;
    delete out[theirs];
    out[ours] = src[theirs];
  }
  return out;
}

/** The field of a problem as the user's file names it (`chosen[0]` → `response_j[0]`). */
export function sourceField(field: string, fields: FieldMap | undefined): string {
  if (!fields) return field;
  for (const [ours, theirs] of Object.entries(fields) as Array<[string, string]>) {
    if (field === ours || field.startsWith(`${ours}[`) || field.startsWith(`${ours}.`)) return theirs + field.slice(ours.length);
  }
  return field;
}

export async function* mapRecords(records: AsyncGenerator<RawRecord>, fields: FieldMap): AsyncGenerator<RawRecord> {
  try {
    for await (const r of records) yield r.kind === 'value' ? { ...r, value: mapFields(r.value, fields) } : r;
  } finally {
    await records.return(undefined);
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A dialogue with its role markers (and the white space before each) replaced by HH's. */
export function withHhMarkers(text: string, markers: RoleMarkers | undefined): string {
  if (!markers) return text;
  const human = new RegExp(`\\s*${escape(markers.human.trim())}`, 'g');
  const assistant = new RegExp(`\\s*${escape(markers.assistant.trim())}`, 'g');
  return text.replace(human, HUMAN_TURN).replace(assistant, ASSISTANT_TURN);
}
