import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '@apogee/runtime';
import { ERROR_CODES, silentLogger, type ApogeeError, type PromptResponse } from '@apogee/core';
import { makeTempDir } from '@apogee/testing';
import { APOGEE_TOKENIZER_FILE, ByteTokenizer, HfTokenizer } from '@apogee/tokenizers';
import { CHECKPOINT_FILES } from '@apogee/model-kit';
import { gptConfig } from './config';
import { GptPolicy } from './gpt-policy';

const HUB = path.join(__dirname, '..', 'fixtures', 'tiny-gpt2-hf');
const readJson = (file: string): unknown => JSON.parse(fs.readFileSync(file, 'utf8'));
const data: PromptResponse[] = [{ prompt: 'Hello, my name is', response: ' Ada' }];

beforeAll(async () => {
  await initBackend({ logger: silentLogger });
});

describe('checkpoint tokenizer files', () => {
  it('a Hugging Face tokenizer is saved as the Hub files (tokenizer.json + tokenizer_config.json) and loads back the same', async () => {
    const tmp = makeTempDir();
    const policy = await GptPolicy.load(HUB);
    await policy.save(tmp.dir);
    expect(fs.readdirSync(tmp.dir).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    // The files Hugging Face tools read, unchanged: not apogee's `{"type":"huggingface",…}` description.
    expect(readJson(path.join(tmp.dir, 'tokenizer.json'))).toEqual(readJson(path.join(HUB, 'tokenizer.json')));
    expect(readJson(path.join(tmp.dir, 'tokenizer_config.json'))).toEqual(readJson(path.join(HUB, 'tokenizer_config.json')));
    const loaded = await GptPolicy.load(tmp.dir);
    expect(loaded.tokenizer).toBeInstanceOf(HfTokenizer);
    expect(loaded.tokenizer.encode(data[0].prompt)).toEqual(policy.tokenizer.encode(data[0].prompt));
    expect(Array.from((await loaded.logProbs(data)).sum)).toEqual(Array.from((await policy.logProbs(data)).sum));
    policy.dispose();
    loaded.dispose();
    tmp.cleanup();
  });

  it('loads older checkpoints with apogee\'s description in tokenizer.json, and a re-save writes the current layout', async () => {
    const tmp = makeTempDir();
    const hub = await GptPolicy.load(HUB);
    const byte = GptPolicy.create(gptConfig('tiny', { blockSize: 32, nEmbd: 16, nHead: 2 }), new ByteTokenizer(), 3);
    for (const [name, policy] of [['hf', hub], ['byte', byte]] as const) {
      const dir = path.join(tmp.dir, name);
      await policy.save(dir);
      for (const f of ['tokenizer.json', 'tokenizer_config.json', APOGEE_TOKENIZER_FILE]) fs.rmSync(path.join(dir, f), { force: true });
      fs.writeFileSync(path.join(dir, CHECKPOINT_FILES.tokenizer), JSON.stringify(policy.tokenizer.toJSON()));

      const old = await GptPolicy.load(dir);
      expect(old.tokenizer.toJSON()).toEqual(policy.tokenizer.toJSON());
      expect(Array.from((await old.logProbs(data)).sum)).toEqual(Array.from((await policy.logProbs(data)).sum));
      await old.save(dir);
      const files = fs.readdirSync(dir);
      if (name === 'hf') {
        expect(readJson(path.join(dir, 'tokenizer.json'))).toEqual(readJson(path.join(HUB, 'tokenizer.json')));
        expect(files).not.toContain(APOGEE_TOKENIZER_FILE);
      } else {
        expect(files).toContain(APOGEE_TOKENIZER_FILE);
        expect(files).not.toContain('tokenizer.json');
      }
      const again = await GptPolicy.load(dir);
      expect(again.tokenizer.toJSON()).toEqual(policy.tokenizer.toJSON());
      again.dispose();
      old.dispose();
    }
    hub.dispose();
    byte.dispose();
    tmp.cleanup();
  });

  it('a saved optimizer config that is invalid is refused naming optimizer.json and the field', async () => {
    const tmp = makeTempDir();
    const policy = GptPolicy.create(gptConfig('tiny', { blockSize: 32, nEmbd: 16, nHead: 2 }), new ByteTokenizer(), 4);
    policy.setOptimizer({ lr: 1e-3 });
    await policy.save(tmp.dir);
    const file = path.join(tmp.dir, CHECKPOINT_FILES.optimizerState);
    const state = readJson(file) as { step: number; config: Record<string, unknown> };
    fs.writeFileSync(file, JSON.stringify({ ...state, config: { ...state.config, schedule: 'step' } }));
    const error = await GptPolicy.load(tmp.dir).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ERROR_CODES.CHECKPOINT_INVALID, message: expect.stringContaining(`${file}: the saved optimizer config is invalid`) });
    expect((error as ApogeeError).problems).toEqual([expect.objectContaining({ path: 'config.schedule', message: expect.stringContaining('"constant", "linear" or "cosine"') })]);
    policy.dispose();
    tmp.cleanup();
  });
});

describe('a config.json that does not match its tensors', () => {
  it('n_layer 1000000 is one short error, not millions of "missing" lines (issue 17 item 4)', async () => {
    const tmp = makeTempDir();
    fs.cpSync(HUB, tmp.dir, { recursive: true });
    const file = path.join(tmp.dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ ...(readJson(file) as object), n_layer: 1_000_000 }));
    const err = (await GptPolicy.load(tmp.dir).catch((e: unknown) => e)) as ApogeeError;
    expect(err.code).toBe(ERROR_CODES.MODEL_FILE_INVALID);
    expect(err.message).toMatch(/config\.json describes a GPT-2 with n_layer 1000000 \(12000004 tensors\), but the checkpoint holds \d+\./);
    expect(err.problems.length).toBeLessThanOrEqual(51);
    // A few layers too many still lists what is missing, capped.
    fs.writeFileSync(file, JSON.stringify({ ...(readJson(file) as object), n_layer: 4 }));
    const few = (await GptPolicy.load(tmp.dir).catch((e: unknown) => e)) as ApogeeError;
    expect(few.problems.length).toBeLessThanOrEqual(51);
    expect(few.problems.some((p) => p.message === 'missing')).toBe(true);
    tmp.cleanup();
  });
});
