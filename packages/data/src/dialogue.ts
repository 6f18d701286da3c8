/**
 * The HH-RLHF dialogue shape: `\n\nHuman: …\n\nAssistant: …` turns. A prompt is a dialogue up to
 * and including its last `\n\nAssistant:`; a response is what follows, so `prompt + response`
 * is always the original text, byte for byte (the leading space of a response is kept).
 */

export const HUMAN_TURN = '\n\nHuman:';
export const ASSISTANT_TURN = '\n\nAssistant:';

export type DialogueSplit =
  | { ok: true; prompt: string; responses: string[]; diverged: boolean }
  | { ok: false; index?: number; message: string };

/**
 * Split whole dialogues that should share a prompt (HH `chosen`/`rejected`, or the `text` list of
 * the text/scores family without a separator).
 *
 * Rule (decision 0040): split each at its own last `\n\nAssistant:`. When those prompts are not all
 * equal, which happens in real data when a response itself contains an `\n\nAssistant:` or a
 * fake `Human:` turn (5 of 2,312 pairs in HH harmless-base test, 9 of 2,352 in helpful-base test),
 * the prompt is the longest common prefix of all dialogues cut after its last
 * `\n\nAssistant:`, and the split is flagged `diverged`.
 */
export function splitDialogues(texts: readonly string[]): DialogueSplit {
  const cuts: number[] = [];
  for (let i = 0; i < texts.length; i++) {
    const at = texts[i].lastIndexOf(ASSISTANT_TURN);
    if (at < 0) return { ok: false, index: i, message: `has no "\\n\\nAssistant:" turn, so the prompt cannot be told from the response` };
    cuts.push(at + ASSISTANT_TURN.length);
  }
  const prompt0 = texts[0].slice(0, cuts[0]);
  if (texts.every((t, i) => cuts[i] === cuts[0] && t.startsWith(prompt0))) {
    return { ok: true, prompt: prompt0, responses: texts.map((t) => t.slice(cuts[0])), diverged: false };
  }
  let common = texts[0].length;
  for (let i = 1; i < texts.length; i++) {
    const t = texts[i];
    let k = 0;
    const limit = Math.min(common, t.length);
    while (k < limit && t.charCodeAt(k) === texts[0].charCodeAt(k)) k++;
    common = k;
  }
  const at = texts[0].lastIndexOf(ASSISTANT_TURN, common - ASSISTANT_TURN.length);
  if (at < 0) return { ok: false, message: 'the dialogues share no prompt ending in "\\n\\nAssistant:" (they differ before the first Assistant turn)' };
  const cut = at + ASSISTANT_TURN.length;
  return { ok: true, prompt: texts[0].slice(0, cut), responses: texts.map((t) => t.slice(cut)), diverged: true };
}

/** A chat message as TRL's conversational format writes it. */
export interface ChatMessage {
  role: string;
  content: string;
}

const ROLE_TURN: Record<string, string> = { user: HUMAN_TURN, human: HUMAN_TURN, assistant: ASSISTANT_TURN, system: '\n\nSystem:' };

/** Check a `[{role, content}]` list; returns a problem message or undefined. */
export function messagesProblem(value: unknown): { field: string; message: string } | undefined {
  if (!Array.isArray(value)) return { field: '', message: 'is not a string or a list of {role, content} messages' };
  for (let i = 0; i < value.length; i++) {
    const m = value[i] as Partial<ChatMessage> | null;
    if (typeof m !== 'object' || m === null) return { field: `[${i}]`, message: 'is not a {role, content} message' };
    if (typeof m.role !== 'string' || !(m.role in ROLE_TURN)) {
      return { field: `[${i}].role`, message: `must be one of "user", "assistant", "system" (got ${JSON.stringify(m.role)})` };
    }
    if (typeof m.content !== 'string') return { field: `[${i}].content`, message: `must be a string (got ${typeName(m.content)})` };
  }
  return undefined;
}

/**
 * Render messages as HH turns: `user` → `\n\nHuman: …`, `assistant` → `\n\nAssistant: …`,
 * `system` → `\n\nSystem: …` (decision 0041). With `asPrompt`, append the `\n\nAssistant:` the
 * model answers after.
 */
export function renderMessages(messages: readonly ChatMessage[], asPrompt = false): string {
  let out = messages.map((m) => `${ROLE_TURN[m.role]} ${m.content}`).join('');
  if (asPrompt) out += ASSISTANT_TURN;
  return out;
}

/**
 * Render the completion side of a conversational pair so that `prompt + response` is the whole
 * dialogue: a first assistant message becomes ` content`, later messages become full turns.
 */
export function renderCompletion(messages: readonly ChatMessage[]): string {
  if (messages.length === 0) return '';
  const [first, ...rest] = messages;
  const head = first.role === 'assistant' ? ` ${first.content}` : renderMessages([first]);
  return head + renderMessages(rest);
}

/**
 * How message lists become prompt and response text when a model has a chat template
 * (`@apogee/tokenizers`' `ChatTemplate` is one): `prompt(messages)` is what the model continues,
 * `completion(messages, reply)` what follows it, so that prompt + completion is the conversation.
 * Without one, messages are rendered as HH turns (`renderMessages`).
 */
export interface ChatFormat {
  prompt(messages: readonly ChatMessage[]): string;
  completion(messages: readonly ChatMessage[], reply: readonly ChatMessage[]): string;
}

/** Parse an HH dialogue back into messages (for the TRL conversational writer). */
export function parseDialogue(text: string): ChatMessage[] {
  const re = /\n\n(Human|Assistant|System):/g;
  const marks: Array<{ role: string; start: number; end: number }> = [];
  for (let m = re.exec(text); m; m = re.exec(text)) {
    marks.push({ role: m[1] === 'Human' ? 'user' : m[1].toLowerCase(), start: m.index, end: m.index + m[0].length });
  }
  const out: ChatMessage[] = [];
  if (marks.length === 0 || marks[0].start > 0) {
    const lead = text.slice(0, marks.length ? marks[0].start : text.length);
    if (lead.trim() !== '') out.push({ role: 'user', content: lead.trim() });
  }
  for (let i = 0; i < marks.length; i++) {
    const body = text.slice(marks[i].end, i + 1 < marks.length ? marks[i + 1].start : text.length);
    out.push({ role: marks[i].role, content: body.startsWith(' ') ? body.slice(1) : body });
  }
  return out;
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return typeof v === 'object' ? 'an object' : typeof v === 'string' ? `a string` : `a ${typeof v}`;
}
