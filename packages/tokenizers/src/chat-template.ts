import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApogeeError, ERROR_CODES } from '@apogee/core';
import { Template } from '@huggingface/jinja';

/** One turn of a conversation (`role`: `system`, `user`, `assistant`, or what the template knows). */
export interface ChatMessage {
  role: string;
  content: string;
}

/**
 * A model's chat template: the Jinja template of `tokenizer_config.json`'s `chat_template`,
 * rendered with `@huggingface/jinja` (the implementation transformers.js uses) with the variables
 * `transformers`' `apply_chat_template` passes: `messages`, `add_generation_prompt`, `bos_token`,
 * `eos_token` and the other special tokens of the config.
 *
 * `prompt(messages)` is the text the model continues (generation prompt appended);
 * `completion(messages, reply)` is what follows it when the assistant says `reply`, so that
 * `prompt + completion` is the whole rendered conversation, as apogee's prompt/response pairs need.
 */
export class ChatTemplate {
  private readonly template: Template;

  constructor(
    readonly source: string,
    /** Variables besides `messages` (special tokens). */
    readonly variables: Readonly<Record<string, unknown>> = {},
    /** Where the template came from, for errors. */
    readonly where = 'chat_template',
  ) {
    try {
      this.template = new Template(source);
    } catch (e) {
      throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${where}: the chat template does not parse (${(e as Error).message}).`, { cause: e });
    }
  }

  /**
   * The template of a parsed `tokenizer_config.json`, or null when it has none. A named-template
   * list (`[{ name, template }]`) uses the one called `default`.
   */
  static fromTokenizerConfig(config: Record<string, unknown>, where = 'tokenizer_config.json'): ChatTemplate | null {
    let source = config.chat_template;
    if (Array.isArray(source)) source = (source as { name?: unknown; template?: unknown }[]).find((t) => t?.name === 'default')?.template;
    if (source === undefined || source === null) return null;
    if (typeof source !== 'string') {
      throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${where}: "chat_template" must be a string or a list of {name, template}, got ${typeof source}.`);
    }
    const variables: Record<string, unknown> = {};
    for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token']) {
      const v = config[key];
      const text = typeof v === 'string' ? v : typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string' ? (v as { content: string }).content : undefined;
      if (text !== undefined) variables[key] = text;
    }
    return new ChatTemplate(source, variables, `${where} "chat_template"`);
  }

  /** The template of the `tokenizer_config.json` in model directory `dir` (or at that path); an error when there is none. */
  static load(location: string): ChatTemplate {
    const file = fs.existsSync(location) && fs.statSync(location).isDirectory() ? path.join(location, 'tokenizer_config.json') : location;
    let config: unknown;
    try {
      config = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: cannot read the tokenizer config (${(e as Error).message}).`, { cause: e });
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: not a JSON object.`);
    const t = ChatTemplate.fromTokenizerConfig(config as Record<string, unknown>, file);
    if (!t) throw new ApogeeError(ERROR_CODES.MODEL_FILE_INVALID, `${file}: has no "chat_template".`, { hint: 'Use the tokenizer_config.json of a chat (instruct) model.' });
    return t;
  }

  /** Render `messages`; `addGenerationPrompt` appends the opening of the assistant's turn. */
  render(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string {
    try {
      return this.template.render({ ...this.variables, messages: messages.map((m) => ({ ...m })), add_generation_prompt: addGenerationPrompt });
    } catch (e) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `${this.where}: rendering failed (${(e as Error).message}).`, { cause: e });
    }
  }

  /** The text the model continues: the conversation plus the generation prompt. */
  prompt(messages: readonly ChatMessage[]): string {
    return this.render(messages, true);
  }

  /**
   * What follows `prompt(messages)` when the assistant answers with `reply`: the rendered whole
   * minus the rendered prompt. Some shipped templates append the assistant header whatever
   * `add_generation_prompt` says (the Llama 3 base model's); for those the header the whole
   * conversation ends with (what an empty conversation renders to) is not part of the reply and is
   * cut. Templates whose prompt is not a prefix of the conversation are refused.
   */
  completion(messages: readonly ChatMessage[], reply: readonly ChatMessage[]): string {
    const prompt = this.prompt(messages);
    let whole = this.render([...messages, ...reply], false);
    if (!whole.startsWith(prompt)) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `${this.where}: the rendered prompt is not a prefix of the rendered conversation, so a response cannot be cut from it.`, {
        hint: 'apogee needs prompt + response = conversation; use a template that renders turns in order.',
      });
    }
    if (this.render(messages, false) === prompt) {
      const header = this.render([], false);
      if (header !== '' && prompt.endsWith(header) && whole.endsWith(header) && whole.length - header.length >= prompt.length) whole = whole.slice(0, whole.length - header.length);
    }
    return whole.slice(prompt.length);
  }
}
