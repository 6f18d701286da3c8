// train-rm → eval-rm → sample through the command (in-process), on small real files.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Rng } from '@apogee/core';
import { CausalLmPolicy, GptPolicy, gptConfig, llamaConfig, LlamaPolicy } from '@apogee/policy';
import { generateOptions, SAMPLING_PRESETS } from '@apogee/samplers';
import { initBackend } from '@apogee/runtime';
import { ByteTokenizer } from '@apogee/tokenizers';
import { memoryIo } from '../io';
import { runCli } from '../main';
import { tempDir } from '../testing/fixtures';

/** Arithmetic preference pairs in HH-RLHF form: the right sum is chosen over a wrong one. */
function pairs(n: number, offset: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = (i * 7 + offset) % 40;
    const b = (i * 13 + 3 * offset) % 40;
    const p = `\n\nHuman: What is ${a} plus ${b}?\n\nAssistant:`;
    lines.push(JSON.stringify({ chosen: `${p} ${a + b}.`, rejected: `${p} ${a + b + 1 + (i % 5)}, I think.` }));
  }
  return `${lines.join('\n')}\n`;
}

describe('reward-model and sampling commands', () => {
  it('train-rm writes model, summary (accuracy, ece, ace, mce, pairs), metrics and report; eval-rm agrees; bad input is a clear error', async () => {
    const t = tempDir();
    try {
      writeFileSync(path.join(t.dir, 'train.jsonl'), pairs(32, 0));
      writeFileSync(path.join(t.dir, 'heldout.jsonl'), pairs(12, 100));
      const io = memoryIo(t.dir);
      const code = await runCli(['train-rm', '--train', 'train.jsonl', '--eval', 'heldout.jsonl', '--out', 'rm', '--block-size', '48', '--batch-size', '8', '--max-eval', '12'], { io });
      expect(io.stderr).not.toContain('error:');
      expect(code).toBe(0);
      const summary = JSON.parse(readFileSync(path.join(t.dir, 'rm', 'summary.json'), 'utf8'));
      expect(summary).toMatchObject({ pairs: 12, orderedPairs: 24, items: 12, trainItems: 32 });
      for (const k of ['accuracy', 'ece', 'ace', 'mce']) {
        expect(summary[k]).toBeGreaterThanOrEqual(0);
        expect(summary[k]).toBeLessThanOrEqual(1);
      }
      expect(summary.reliability.rm.length).toBeGreaterThan(0);
      expect(io.stdout).toMatch(/^accuracy \d\.\d{3}, ECE \d\.\d{3}, ACE \d\.\d{3}, MCE \d\.\d{3} on 12 held-out pairs\nModel: rm\/model\nReport: rm\/report.html\n$/);
      for (const f of ['model/config.json', 'model/model.safetensors', 'metrics.jsonl', 'metrics.csv', 'report.html']) expect(existsSync(path.join(t.dir, 'rm', f))).toBe(true);
      const steps = readFileSync(path.join(t.dir, 'rm', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.event === 'step');
      expect(steps).toHaveLength(4);

      const evalIo = memoryIo(t.dir);
      expect(await runCli(['eval-rm', '--model', 'rm/model', '--data', 'heldout.jsonl', '--json'], { io: evalIo })).toBe(0);
      const e = JSON.parse(evalIo.stdout);
      // The saved model scores the held-out pairs exactly as the trained one did.
      expect(e.accuracy).toBeCloseTo(summary.accuracy, 6);
      expect(e.ece).toBeCloseTo(summary.ece, 6);
      expect(e.pairs).toBe(12);

      const bad = memoryIo(t.dir);
      writeFileSync(path.join(t.dir, 'broken.jsonl'), '{"chosen": "x"}\n');
      expect(await runCli(['eval-rm', '--model', 'rm/model', '--data', 'broken.jsonl'], { io: bad })).toBe(1);
      expect(bad.stderr).toContain('broken.jsonl');
      expect(bad.stderr).not.toMatch(/\n\s+at /);
    } finally {
      t.cleanup();
    }
  });

  it('sample writes n seeded samples per prompt (same seed, same samples)', async () => {
    const t = tempDir();
    try {
      // A policy checkpoint to sample from: train-rm's model dir is a GPT checkpoint too, but a
      // policy needs no score head, so save a fresh tiny policy through @apogee/policy.
      await initBackend({ logger: { info: () => undefined, warn: () => undefined, debug: () => undefined } });
      const tokenizer = new ByteTokenizer();
      const policy = GptPolicy.create(gptConfig('tiny', { vocabSize: tokenizer.vocabSize, blockSize: 64, nLayer: 1, nEmbd: 32, nHead: 2 }), tokenizer, 3);
      await policy.save(path.join(t.dir, 'policy'));
      await policy.dispose();
      writeFileSync(path.join(t.dir, 'prompts.txt'), 'What is 2 plus 2?\nName a colour.\n');
      const run = async () => {
        const io = memoryIo(t.dir);
        expect(await runCli(['sample', '--model', 'policy', '--prompts', 'prompts.txt', '-n', '3', '--max-new-tokens', '6', '--seed', '9'], { io })).toBe(0);
        return io.stdout;
      };
      const out = await run();
      const rows = out.trim().split('\n').map((l) => JSON.parse(l));
      expect(rows).toHaveLength(2);
      expect(rows[0].query).toBe('\n\nHuman: What is 2 plus 2?\n\nAssistant:');
      expect(Object.keys(rows[0])).toEqual(['query_id', 'query', 'sample_0', 'sample_1', 'sample_2']);
      expect(await run()).toBe(out);
      const bad = memoryIo(t.dir);
      expect(await runCli(['sample', '--model', 'policy', '--prompts', 'prompts.txt', '--preset', 'hot'], { io: bad })).toBe(2);
      expect(bad.stderr).toContain('--preset must be one of training, test; got "hot".');
    } finally {
      t.cleanup();
    }
  });

  it("sample formats prompts with the model's chat template (tokenizer_config.json), text as a user turn and message lists as they are", async () => {
    const t = tempDir();
    try {
      await initBackend({ logger: { info: () => undefined, warn: () => undefined, debug: () => undefined } });
      // A tiny Llama in Hub layout with a ChatML template (the format of SmolLM2's and Qwen2.5's).
      const hub = path.join(t.dir, 'tiny-chat');
      const base = LlamaPolicy.create(llamaConfig('llama-tiny', { nLayer: 1, nEmbd: 32, nHead: 4, nKvHead: 2, headDim: 8, intermediateSize: 64, blockSize: 160 }), new ByteTokenizer(), 5);
      await base.save(hub);
      base.dispose();
      const template = "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
      writeFileSync(path.join(hub, 'tokenizer_config.json'), JSON.stringify({ chat_template: template, eos_token: '<|im_end|>' }));
      writeFileSync(
        path.join(t.dir, 'prompts.jsonl'),
        [{ prompt: 'What is 2 plus 2?' }, { prompt: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Name a colour.' }] }].map((r) => JSON.stringify(r)).join('\n'),
      );
      const run = async (...extra: string[]) => {
        const io = memoryIo(t.dir);
        expect({ code: await runCli(['sample', '--model', 'tiny-chat', '--prompts', 'prompts.jsonl', '-n', '2', '--max-new-tokens', '5', '--seed', '4', ...extra], { io }), err: io.stderr.includes('error') ? io.stderr : '' }).toEqual({ code: 0, err: '' });
        return io.stdout.trim().split('\n').map((l) => JSON.parse(l));
      };
      const rows = await run();
      const formatted = ['<|im_start|>user\nWhat is 2 plus 2?<|im_end|>\n<|im_start|>assistant\n', '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\n'];
      expect(rows.map((r) => r.query)).toEqual(formatted);
      // The samples are the policy's continuations of the formatted prompts (same seed stream as the command).
      const policy = await CausalLmPolicy.load(hub);
      const gens = await policy.generate(formatted, generateOptions(SAMPLING_PRESETS.training, Rng.fromSeed(4).stream('sample').stream('chunk-0'), { n: 2, maxNewTokens: 5 }));
      policy.dispose();
      expect(rows.map((r) => [r.sample_0, r.sample_1])).toEqual(gens.map((g) => g.map((s) => s.text)));
      // --no-chat-template sends them as they are (message lists in HH turns, as without a template).
      const plain = await run('--no-chat-template');
      expect(plain[0].query).toBe('What is 2 plus 2?');
      expect(plain[1].query).toContain('Human: Name a colour.');
    } finally {
      t.cleanup();
    }
  });
});
