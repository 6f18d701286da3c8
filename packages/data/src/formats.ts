import { createHash } from 'node:crypto';
import type { GoldenAnswer, ItemKind, PreferenceItem, PromptRecord, SampleSet, ScoredSampleSet } from '@apogee/core';
import { withHhMarkers, type RoleMarkers } from './mapping';
import { HUMAN_TURN, ASSISTANT_TURN, messagesProblem, renderCompletion, renderMessages, splitDialogues, typeName, type ChatFormat, type ChatMessage } from './dialogue';

/**
 * The record formats apogee reads (docs/guides/data.md):
 * - `hh`: Anthropic HH-RLHF `{"chosen", "rejected"}` whole dialogues (or message lists);
 * - `text-scores`: the APO authors' `{"text": [...], "scores"|"score": [...], "query_id"?, "type"?}`;
 * - `trl`: TRL `{"prompt", "chosen", "rejected"}`, strings or `[{role, content}]` lists;
 * - `golden`: `{"query_id", "golden"}`;
 * - `samples`: `{"query_id", "query", "sample_0".."sample_k"}` (optionally with `scores`, `target`);
 * - `scored-samples`: `{"<query_id>:<sample_key>": score, …}`;
 * - `multi-response`: `{"query"|"prompt", "responses": {name: text, …} | [...], "scores": {name: score, …} | [...]}`,
 *   one ranked item per record (APO-style: every pair of responses with different scores);
 * - `prompts`: `{"prompt"}`, `{"query_id", "query"}` or plain text lines.
 */
export type DataFormat = 'hh' | 'text-scores' | 'trl' | 'multi-response' | 'golden' | 'samples' | 'scored-samples' | 'prompts';
export const DATA_FORMATS: readonly DataFormat[] = ['hh', 'text-scores', 'trl', 'multi-response', 'golden', 'samples', 'scored-samples', 'prompts'];
export const PREFERENCE_FORMATS: readonly DataFormat[] = ['hh', 'text-scores', 'trl', 'multi-response'];

/** One `"<query_id>:<sample_key>": score` entry of a scored-samples file. */
export interface ScoreEntry {
  queryId: string;
  /** `sample_0`, `sample_1`, … */
  key: string;
  score: number;
}

/** What each format's records become. */
export interface FormatRecords {
  hh: PreferenceItem;
  'text-scores': PreferenceItem;
  trl: PreferenceItem;
  'multi-response': PreferenceItem;
  golden: GoldenAnswer;
  samples: SampleSet | ScoredSampleSet;
  'scored-samples': ScoreEntry[];
  prompts: PromptRecord;
}
export type DataRecord = FormatRecords[DataFormat];

/**
 * Suspicious-but-well-formed conditions. Each is counted in the load report and kept or dropped
 * by a rule (`ReadOptions.rules`; defaults in decision 0042).
 */
export type FlagName = 'emptyResponse' | 'identicalResponses' | 'allTied' | 'diverged' | 'longPrompt' | 'emptyGolden' | 'emptySample';
export const FLAG_NAMES: readonly FlagName[] = ['emptyResponse', 'identicalResponses', 'allTied', 'diverged', 'longPrompt', 'emptyGolden', 'emptySample'];

export interface FieldIssue {
  /** The offending field (`scores[1]`, `chosen`), or '' for the record as a whole. */
  field: string;
  message: string;
}

export type Parsed<T> = { ok: true; record: T; flags: FlagName[] } | { ok: false; issues: FieldIssue[] };

export interface ParseContext {
  /** The prompt/response separator of the text/scores family. Default `<sep>`. */
  separator: string;
  /** Wrap plain-text prompt lines as `\n\nHuman: <line>\n\nAssistant:`. Default true. */
  wrapTextPrompts: boolean;
  /** Role markers of the dialogues, replaced by HH's before splitting (`ReadOptions.roleMarkers`). */
  roleMarkers?: RoleMarkers;
  /** Renders message lists with the model's chat template; default: HH turns. */
  chat?: ChatFormat;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const SAMPLE_KEY = /^sample_(\d+)$/;

/** The format a record looks like, or undefined. Order matters: the most specific signature first. */
export function detectRecordFormat(value: unknown): DataFormat | undefined {
  if (typeof value === 'string') return 'prompts';
  if (!isObject(value)) return undefined;
  const has = (k: string) => k in value;
  if (has('text') && (has('scores') || has('score'))) return 'text-scores';
  if (has('chosen') && has('rejected')) return has('prompt') ? 'trl' : 'hh';
  if (has('responses') && (has('query') || has('prompt'))) return 'multi-response';
  if (has('golden') && has('query_id')) return 'golden';
  if (Object.keys(value).some((k) => SAMPLE_KEY.test(k)) && has('query_id')) return 'samples';
  if (has('prompt') || (has('query_id') && has('query'))) return 'prompts';
  const keys = Object.keys(value);
  if (keys.length > 0 && keys.every((k) => k.includes(':') && typeof value[k] === 'number')) return 'scored-samples';
  return undefined;
}

function idOf(v: unknown, field: string, issues: FieldIssue[]): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  issues.push({ field, message: `must be a non-empty string or a number (got ${typeName(v)})` });
  return undefined;
}

function requireString(rec: Record<string, unknown>, field: string, issues: FieldIssue[]): string | undefined {
  const v = rec[field];
  if (v === undefined) issues.push({ field, message: 'is missing' });
  else if (typeof v !== 'string') issues.push({ field, message: `must be a string (got ${typeName(v)})` });
  else return v;
  return undefined;
}

function finiteScores(v: unknown, field: string, issues: FieldIssue[]): number[] | undefined {
  if (!Array.isArray(v)) {
    issues.push({ field, message: `must be a list of numbers (got ${typeName(v)})` });
    return undefined;
  }
  const before = issues.length;
  v.forEach((s, i) => {
    if (typeof s !== 'number') issues.push({ field: `${field}[${i}]`, message: `must be a number (got ${typeName(s)})` });
    else if (!Number.isFinite(s)) issues.push({ field: `${field}[${i}]`, message: `must be finite (got ${s})` });
  });
  return issues.length === before ? (v as number[]) : undefined;
}

/**
 * Scores whose spread overflows a float64 (`[1e308, -1e308]`): rescaling them to (0, 1), as the
 * loss and the evaluation do, would give NaN, so they are refused here, naming the field.
 */
function scoreRange(scores: readonly number[], field: string, issues: FieldIssue[]): void {
  const hi = Math.max(...scores);
  const lo = Math.min(...scores);
  if (!Number.isFinite(hi - lo)) {
    issues.push({ field, message: `range from ${lo} to ${hi}: the difference overflows a 64-bit float; rescale the scores (only their order matters)` });
  }
}

/** Flags every preference item can raise. */
function itemFlags(responses: readonly string[], scores: readonly number[], diverged: boolean): FlagName[] {
  const flags: FlagName[] = [];
  if (diverged) flags.push('diverged');
  if (responses.some((r) => r.trim() === '')) flags.push('emptyResponse');
  let identical = false;
  for (let i = 0; i < responses.length && !identical; i++) {
    for (let j = i + 1; j < responses.length; j++) {
      if (responses[i] === responses[j] && scores[i] !== scores[j]) {
        identical = true;
        break;
      }
    }
  }
  if (identical) flags.push('identicalResponses');
  if (scores.every((s) => s === scores[0])) flags.push('allTied');
  return flags;
}

function notObject(value: unknown): Parsed<never> {
  return { ok: false, issues: [{ field: '', message: `must be a JSON object (got ${typeName(value)})` }] };
}

function parseTextScores(value: unknown, ctx: ParseContext): Parsed<PreferenceItem> {
  if (!isObject(value)) return notObject(value);
  const issues: FieldIssue[] = [];
  const scoreField = 'scores' in value ? 'scores' : 'score';
  const text = value.text;
  let texts: string[] | undefined;
  if (!('text' in value)) issues.push({ field: 'text', message: 'is missing' });
  else if (!Array.isArray(text)) issues.push({ field: 'text', message: `must be a list of strings (got ${typeName(text)})` });
  else {
    text.forEach((t, i) => {
      if (typeof t !== 'string') issues.push({ field: `text[${i}]`, message: `must be a string (got ${typeName(t)})` });
    });
    if (text.length < 2) issues.push({ field: 'text', message: `needs at least two responses to compare (got ${text.length})` });
    if (issues.length === 0) texts = text as string[];
  }
  let scores: number[] | undefined;
  if (!(scoreField in value)) issues.push({ field: 'scores', message: 'is missing' });
  else scores = finiteScores(value[scoreField], scoreField, issues);
  if (Array.isArray(text) && Array.isArray(value[scoreField]) && text.length !== (value[scoreField] as unknown[]).length) {
    issues.push({ field: scoreField, message: `has ${(value[scoreField] as unknown[]).length} scores for ${text.length} texts` });
  }
  const id = idOf(value.query_id, 'query_id', issues);
  let kind: ItemKind | undefined;
  if (value.type !== undefined) {
    if (value.type === 'apo' || value.type === 'human') kind = value.type;
    else issues.push({ field: 'type', message: `must be "human" or "apo" (got ${JSON.stringify(value.type)})` });
  }
  if (scores) scoreRange(scores, scoreField, issues);
  if (issues.length > 0 || !texts || !scores) return { ok: false, issues };
  if (ctx.roleMarkers) texts = texts.map((t) => withHhMarkers(t, ctx.roleMarkers));
  let prompt: string;
  let responses: string[];
  let diverged = false;
  const sep = ctx.separator;
  if (sep && texts.some((t) => t.includes(sep))) {
    const parts = texts.map((t) => {
      const at = t.indexOf(sep);
      return at < 0 ? undefined : [t.slice(0, at), t.slice(at + sep.length)];
    });
    const missing = parts.findIndex((p) => p === undefined);
    if (missing >= 0) return { ok: false, issues: [{ field: `text[${missing}]`, message: `has no "${sep}" separator while text[0] has one` }] };
    prompt = parts[0]![0];
    const other = parts.findIndex((p) => p![0] !== prompt);
    if (other >= 0) return { ok: false, issues: [{ field: `text[${other}]`, message: `has a different prompt before "${sep}" than text[0]` }] };
    responses = parts.map((p) => p![1]);
  } else {
    const split = splitDialogues(texts);
    if (!split.ok) return { ok: false, issues: [{ field: split.index === undefined ? 'text' : `text[${split.index}]`, message: split.message }] };
    ({ prompt, responses, diverged } = split);
  }
  const item: PreferenceItem = { prompt, responses, scores };
  if (id !== undefined) item.id = id;
  if (kind !== undefined) item.kind = kind;
  return { ok: true, record: item, flags: itemFlags(responses, scores, diverged) };
}

/** A string, or a message list rendered to the HH shape. */
function dialogueField(value: Record<string, unknown>, field: string, issues: FieldIssue[]): string | ChatMessage[] | undefined {
  const v = value[field];
  if (v === undefined) {
    issues.push({ field, message: 'is missing' });
    return undefined;
  }
  if (typeof v === 'string') return v;
  const p = messagesProblem(v);
  if (p) {
    issues.push({ field: field + p.field, message: p.message });
    return undefined;
  }
  return v as ChatMessage[];
}

/**
 * Two conversations that share everything before their last assistant message, rendered with a
 * chat template: the prompt is the shared part (with the generation prompt), the responses what
 * each last assistant message renders to after it.
 */
function chatPair(chat: ChatFormat, chosen: ChatMessage[], rejected: ChatMessage[]): Parsed<PreferenceItem> | { prompt: string; responses: string[] } {
  const lastAssistant = (m: ChatMessage[]) => m.map((x) => x.role).lastIndexOf('assistant');
  const cuts = [chosen, rejected].map(lastAssistant);
  if (cuts.some((c) => c < 0)) return { ok: false, issues: [{ field: cuts[0] < 0 ? 'chosen' : 'rejected', message: 'has no assistant message, so the prompt cannot be told from the response' }] };
  const head = chosen.slice(0, cuts[0]);
  if (JSON.stringify(head) !== JSON.stringify(rejected.slice(0, cuts[1]))) {
    return { ok: false, issues: [{ field: 'chosen/rejected', message: 'differ before their last assistant message (the chat template needs a shared prompt)' }] };
  }
  return { prompt: chat.prompt(head), responses: [chosen.slice(cuts[0]), rejected.slice(cuts[1])].map((r) => chat.completion(head, r)) };
}

/**
 * A chosen/rejected pair's scores: `[1, 0]`, or the record's `chosen_score` / `rejected_score`
 * when it has both (equal ones make a tie, kept or dropped by `ReadOptions.ties`).
 */
function pairScores(value: Record<string, unknown>, issues: FieldIssue[]): number[] {
  if (value.chosen_score === undefined && value.rejected_score === undefined) return [1, 0];
  const out: number[] = [];
  for (const f of ['chosen_score', 'rejected_score']) {
    const v = value[f];
    if (typeof v !== 'number') issues.push({ field: f, message: v === undefined ? 'is missing (a pair with scores needs both chosen_score and rejected_score)' : `must be a number (got ${typeName(v)})` });
    else if (!Number.isFinite(v)) issues.push({ field: f, message: `must be finite (got ${v})` });
    else out.push(v);
  }
  if (out.length === 2) scoreRange(out, 'chosen_score/rejected_score', issues);
  return out;
}

function parseHh(value: unknown, ctx: ParseContext): Parsed<PreferenceItem> {
  if (!isObject(value)) return notObject(value);
  const issues: FieldIssue[] = [];
  const chosen = dialogueField(value, 'chosen', issues);
  const rejected = dialogueField(value, 'rejected', issues);
  const id = idOf(value.query_id ?? value.id, 'query_id' in value ? 'query_id' : 'id', issues);
  const scores = pairScores(value, issues);
  if (issues.length > 0 || chosen === undefined || rejected === undefined) return { ok: false, issues };
  if (ctx.chat && typeof chosen !== 'string' && typeof rejected !== 'string') {
    const pair = chatPair(ctx.chat, chosen, rejected);
    if ('ok' in pair) return pair;
    const item: PreferenceItem = { prompt: pair.prompt, responses: pair.responses, scores };
    if (id !== undefined) item.id = id;
    return { ok: true, record: item, flags: itemFlags(pair.responses, scores, false) };
  }
  const texts = [chosen, rejected].map((d) => (typeof d === 'string' ? withHhMarkers(d, ctx.roleMarkers) : renderMessages(d)));
  const split = splitDialogues(texts);
  if (!split.ok) return { ok: false, issues: [{ field: split.index === 1 ? 'rejected' : split.index === 0 ? 'chosen' : 'chosen/rejected', message: split.message }] };
  const item: PreferenceItem = { prompt: split.prompt, responses: split.responses, scores };
  if (id !== undefined) item.id = id;
  return { ok: true, record: item, flags: itemFlags(split.responses, scores, split.diverged) };
}

function parseTrl(value: unknown, ctx: ParseContext): Parsed<PreferenceItem> {
  if (!isObject(value)) return notObject(value);
  const issues: FieldIssue[] = [];
  const prompt = dialogueField(value, 'prompt', issues);
  const chosen = dialogueField(value, 'chosen', issues);
  const rejected = dialogueField(value, 'rejected', issues);
  const id = idOf(value.query_id ?? value.id, 'query_id' in value ? 'query_id' : 'id', issues);
  const scores = pairScores(value, issues);
  if (issues.length > 0 || prompt === undefined || chosen === undefined || rejected === undefined) return { ok: false, issues };
  const conversational = [prompt, chosen, rejected].map((v) => typeof v !== 'string');
  if (conversational.some((c) => c !== conversational[0])) {
    return { ok: false, issues: [{ field: 'prompt', message: 'mixes plain strings and message lists among prompt/chosen/rejected' }] };
  }
  const chat = ctx.chat;
  const p = typeof prompt === 'string' ? withHhMarkers(prompt, ctx.roleMarkers) : chat ? chat.prompt(prompt) : renderMessages(prompt, true);
  const responses = [chosen, rejected].map((r) => (typeof r === 'string' ? r : chat ? chat.completion(prompt as ChatMessage[], r) : renderCompletion(r)));
  const item: PreferenceItem = { prompt: p, responses, scores };
  if (id !== undefined) item.id = id;
  return { ok: true, record: item, flags: itemFlags(responses, scores, false) };
}

/**
 * `{"query"|"prompt", "responses": {name: text, …}, "scores": {name: score, …}}` (or both as
 * lists): one item with every response, ranked by its score (APO-style multi-response items: the
 * loss takes every pair with different scores). Response order is the record's key order.
 */
function parseMultiResponse(value: unknown, ctx: ParseContext): Parsed<PreferenceItem> {
  if (!isObject(value)) return notObject(value);
  const issues: FieldIssue[] = [];
  const promptField = 'query' in value ? 'query' : 'prompt';
  const rawPrompt = requireString(value, promptField, issues);
  const rs = value.responses;
  const sc = value.scores;
  let names: string[] | undefined;
  const responses: string[] = [];
  const scores: number[] = [];
  if (Array.isArray(rs)) {
    rs.forEach((r, i) => {
      if (typeof r !== 'string') issues.push({ field: `responses[${i}]`, message: `must be a string (got ${typeName(r)})` });
      else responses.push(r);
    });
    if (sc === undefined) issues.push({ field: 'scores', message: 'is missing (one score per response)' });
    else if (!Array.isArray(sc)) issues.push({ field: 'scores', message: `must be a list of numbers like "responses" (got ${typeName(sc)})` });
    else {
      const got = finiteScores(sc, 'scores', issues);
      if (got && got.length !== rs.length) issues.push({ field: 'scores', message: `has ${got.length} scores for ${rs.length} responses` });
      else if (got) scores.push(...got);
    }
  } else if (isObject(rs)) {
    names = Object.keys(rs);
    for (const n of names) {
      if (typeof rs[n] !== 'string') issues.push({ field: `responses.${n}`, message: `must be a string (got ${typeName(rs[n])})` });
      else responses.push(rs[n] as string);
    }
    if (sc === undefined) issues.push({ field: 'scores', message: 'is missing (a {name: score} object keyed like "responses")' });
    else if (!isObject(sc)) issues.push({ field: 'scores', message: `must be a {name: score} object keyed like "responses" (got ${typeName(sc)})` });
    else {
      for (const n of names) {
        const v = sc[n];
        if (typeof v !== 'number') issues.push({ field: `scores.${n}`, message: v === undefined ? 'is missing' : `must be a number (got ${typeName(v)})` });
        else if (!Number.isFinite(v)) issues.push({ field: `scores.${n}`, message: `must be finite (got ${v})` });
        else scores.push(v);
      }
      for (const n of Object.keys(sc)) if (!(n in rs)) issues.push({ field: `scores.${n}`, message: 'has no response of that name' });
    }
  } else {
    issues.push({ field: 'responses', message: rs === undefined ? 'is missing' : `must be a {name: text} object or a list of strings (got ${typeName(rs)})` });
  }
  if (rs !== undefined && (Array.isArray(rs) ? rs.length : names?.length ?? 0) < 2) issues.push({ field: 'responses', message: 'needs at least two responses to compare' });
  if (scores.length >= 2) scoreRange(scores, 'scores', issues);
  const id = idOf(value.query_id ?? value.id, 'query_id' in value ? 'query_id' : 'id', issues);
  if (issues.length > 0 || rawPrompt === undefined) return { ok: false, issues };
  let prompt = withHhMarkers(rawPrompt, ctx.roleMarkers);
  let texts = responses;
  if (ctx.wrapTextPrompts && !prompt.includes(ASSISTANT_TURN.trim())) {
    // A bare question: frame it as one HH turn, responses after "Assistant:" with a space, as HH.
    prompt = `${HUMAN_TURN} ${prompt.trim()}${ASSISTANT_TURN}`;
    texts = responses.map((r) => (/^\s/.test(r) ? r : ` ${r}`));
  }
  const item: PreferenceItem = { prompt, responses: texts, scores };
  if (id !== undefined) item.id = id;
  return { ok: true, record: item, flags: itemFlags(texts, scores, false) };
}

function parseGolden(value: unknown): Parsed<GoldenAnswer> {
  if (!isObject(value)) return notObject(value);
  const issues: FieldIssue[] = [];
  const queryId = idOf(value.query_id, 'query_id', issues);
  if (value.query_id === undefined) issues.push({ field: 'query_id', message: 'is missing' });
  const golden = requireString(value, 'golden', issues);
  const promptField = 'query' in value ? 'query' : 'prompt';
  let prompt: string | undefined;
  if (value[promptField] !== undefined) prompt = requireString(value, promptField, issues);
  if (issues.length > 0 || queryId === undefined || golden === undefined) return { ok: false, issues };
  const rec: GoldenAnswer = { queryId, golden };
  if (prompt !== undefined) rec.prompt = prompt;
  return { ok: true, record: rec, flags: golden.trim() === '' ? ['emptyGolden'] : [] };
}

function parseSamples(value: unknown): Parsed<SampleSet | ScoredSampleSet> {
  if (!isObject(value)) return notObject(value);
  const issues: FieldIssue[] = [];
  const queryId = idOf(value.query_id, 'query_id', issues);
  if (value.query_id === undefined) issues.push({ field: 'query_id', message: 'is missing' });
  const prompt = requireString(value, 'query', issues);
  const keys = Object.keys(value)
    .map((k) => SAMPLE_KEY.exec(k))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  if (keys.length === 0) issues.push({ field: 'sample_0', message: 'is missing (a sample file needs sample_0, sample_1, …)' });
  keys.forEach((k, i) => {
    if (k !== i) issues.push({ field: `sample_${i}`, message: `is missing (sample keys must run sample_0..sample_${keys.length - 1} without gaps)` });
  });
  const samples: string[] = [];
  for (const k of keys) {
    const s = requireString(value, `sample_${k}`, issues);
    if (s !== undefined) samples.push(s);
  }
  let scores: number[] | undefined;
  if (value.scores !== undefined) {
    const sc = value.scores;
    if (Array.isArray(sc)) scores = finiteScores(sc, 'scores', issues);
    else if (isObject(sc)) {
      scores = [];
      for (let i = 0; i < keys.length; i++) {
        const s = sc[`sample_${keys[i]}`];
        if (typeof s !== 'number') issues.push({ field: `scores.sample_${keys[i]}`, message: s === undefined ? 'is missing' : `must be a number (got ${typeName(s)})` });
        else if (!Number.isFinite(s)) issues.push({ field: `scores.sample_${keys[i]}`, message: `must be finite (got ${s})` });
        else scores.push(s);
      }
    } else issues.push({ field: 'scores', message: `must be a list or a {sample_k: score} object (got ${typeName(sc)})` });
    if (scores && scores.length !== keys.length && issues.length === 0) {
      issues.push({ field: 'scores', message: `has ${scores.length} scores for ${keys.length} samples` });
    }
  }
  if (value.target !== undefined && typeof value.target !== 'string') issues.push({ field: 'target', message: `must be a string (got ${typeName(value.target)})` });
  if (issues.length > 0 || queryId === undefined || prompt === undefined) return { ok: false, issues };
  const flags: FlagName[] = samples.some((s) => s.trim() === '') ? ['emptySample'] : [];
  const rec: SampleSet | ScoredSampleSet = scores ? { queryId, prompt, samples, scores } : { queryId, prompt, samples };
  return { ok: true, record: rec, flags };
}

function parseScoredSamples(value: unknown): Parsed<ScoreEntry[]> {
  if (!isObject(value)) return notObject(value);
  const issues: FieldIssue[] = [];
  const entries: ScoreEntry[] = [];
  const keys = Object.keys(value);
  if (keys.length === 0) issues.push({ field: '', message: 'is an empty object (expected {"<query_id>:<sample_key>": score})' });
  for (const k of keys) {
    const at = k.lastIndexOf(':');
    const s = value[k];
    if (at <= 0 || at === k.length - 1) issues.push({ field: JSON.stringify(k), message: 'is not "<query_id>:<sample_key>"' });
    else if (typeof s !== 'number') issues.push({ field: JSON.stringify(k), message: `must be a number (got ${typeName(s)})` });
    else if (!Number.isFinite(s)) issues.push({ field: JSON.stringify(k), message: `must be finite (got ${s})` });
    else entries.push({ queryId: k.slice(0, at), key: k.slice(at + 1), score: s });
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, record: entries, flags: [] };
}

/** A stable id for a prompt that came without one (decision 0041): `p-` + 16 hex of SHA-256. */
export function promptId(prompt: string): string {
  return `p-${createHash('sha256').update(prompt).digest('hex').slice(0, 16)}`;
}

function parsePrompt(value: unknown, ctx: ParseContext): Parsed<PromptRecord> {
  if (typeof value === 'string') {
    const prompt = ctx.wrapTextPrompts && !value.includes(ASSISTANT_TURN.trim()) ? `${HUMAN_TURN} ${value.trim()}${ASSISTANT_TURN}` : value;
    return { ok: true, record: { queryId: promptId(prompt), prompt }, flags: [] };
  }
  if (!isObject(value)) return notObject(value);
  const issues: FieldIssue[] = [];
  const field = 'prompt' in value ? 'prompt' : 'query';
  let prompt: string | undefined;
  const v = value[field];
  if (v === undefined) issues.push({ field: 'prompt', message: 'is missing (expected "prompt", or "query_id" and "query")' });
  else if (typeof v === 'string') prompt = v;
  else {
    const p = messagesProblem(v);
    if (p) issues.push({ field: field + p.field, message: p.message });
    else prompt = ctx.chat ? ctx.chat.prompt(v as ChatMessage[]) : renderMessages(v as ChatMessage[], true);
  }
  const id = idOf(value.query_id ?? value.id, 'query_id' in value ? 'query_id' : 'id', issues);
  if (issues.length > 0 || prompt === undefined) return { ok: false, issues };
  return { ok: true, record: { queryId: id ?? promptId(prompt), prompt }, flags: [] };
}

/** Validate and convert one raw record of a known format. */
export function parseRecord(format: DataFormat, value: unknown, ctx: ParseContext): Parsed<DataRecord> {
  switch (format) {
    case 'hh':
      return parseHh(value, ctx);
    case 'text-scores':
      return parseTextScores(value, ctx);
    case 'trl':
      return parseTrl(value, ctx);
    case 'multi-response':
      return parseMultiResponse(value, ctx);
    case 'golden':
      return parseGolden(value);
    case 'samples':
      return parseSamples(value);
    case 'scored-samples':
      return parseScoredSamples(value);
    case 'prompts':
      return parsePrompt(value, ctx);
  }
}

/** The prompt a record carries, for the length rule. */
export function recordPrompt(record: DataRecord): string | undefined {
  if (Array.isArray(record)) return undefined;
  return (record as { prompt?: string }).prompt;
}
