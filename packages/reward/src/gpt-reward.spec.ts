import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@apogee/runtime';
import { ERROR_CODES, silentLogger } from '@apogee/core';
import { gptConfig, GptPolicy } from '@apogee/policy';
import { readSafetensorsHeader } from '@apogee/safetensors';
import { makeTempDir } from '@apogee/testing';
import { ByteTokenizer, HfTokenizer } from '@apogee/tokenizers';
import { GptReward, SCORE_WEIGHT } from './causal-lm-reward';

const tokenizer = new ByteTokenizer();
const config = gptConfig('tiny', { nEmbd: 32, blockSize: 64 });

beforeAll(async () => {
  await initBackend({ logger: silentLogger });
});

/** Per-token head outputs of one row, computed independently of the pooling code. */
async function tokenScores(rm: GptReward, ids: number[]): Promise<Float32Array> {
  const s = tf.tidy(() => tf.matMul(rm.backbone.hidden(tf.tensor2d([ids], [1, ids.length], 'int32')).hidden, rm.head, false, true));
  const out = (await s.data()) as Float32Array;
  s.dispose();
  return out;
}

describe('GptReward readout', () => {
  it('last: reads the last response token (or EOS when appended); mean: averages the response tokens', async () => {
    const pair = { prompt: 'Q?', response: ' yes' };
    const ids = [...tokenizer.encode('Q?'), ...tokenizer.encode(' yes')];
    const last = GptReward.create(config, tokenizer, 3);
    const per = await tokenScores(last, [...ids, tokenizer.eosId]);
    expect((await last.score([pair]))[0]).toBeCloseTo(per[ids.length - 1], 5);
    const eos = await last.clone();
    const withEos = new GptReward(eos.backbone, eos.head, tokenizer, { appendEos: true });
    expect((await withEos.score([pair]))[0]).toBeCloseTo(per[ids.length], 5);
    const mean = new GptReward(last.backbone.clone(), tf.variable(last.head), tokenizer, { pooling: 'mean' });
    const expected = Array.from(per.slice(2, ids.length)).reduce((a, b) => a + b, 0) / (ids.length - 2);
    expect((await mean.score([pair]))[0]).toBeCloseTo(expected, 5);
    [last, withEos, mean].forEach((m) => m.dispose());
  });
});

describe('GptReward checkpoints', () => {
  it('saves Hugging Face GPT2ForSequenceClassification names and restores pooling and optimizer state', async () => {
    const tmp = makeTempDir();
    const rm = GptReward.create(config, tokenizer, 4, { pooling: 'mean' });
    rm.setOptimizer({ lr: 1e-3, warmupSteps: 2 });
    const loss = (f: { rewards: (b: { prompt: string; response: string }[]) => tf.Tensor1D }) => ({ loss: tf.neg(tf.mean(f.rewards([{ prompt: 'a', response: 'b' }]))) as tf.Scalar });
    await rm.trainStep(loss);
    await rm.save(tmp.dir);
    const header = await readSafetensorsHeader(path.join(tmp.dir, 'model.safetensors'));
    const names = [...header.tensors.keys()];
    expect(names).toContain(SCORE_WEIGHT);
    expect(names).toContain('transformer.h.0.attn.c_attn.weight');
    const json = JSON.parse(fs.readFileSync(path.join(tmp.dir, 'config.json'), 'utf8'));
    expect(json).toMatchObject({ architectures: ['GPT2ForSequenceClassification'], num_labels: 1, apogee: { kind: 'reward', pooling: 'mean' } });
    const loaded = await GptReward.load(tmp.dir);
    expect(loaded.readout.pooling).toBe('mean');
    expect(await loaded.trainStep(loss)).toEqual(await rm.trainStep(loss));
    rm.dispose();
    loaded.dispose();
    tmp.cleanup();
  });

  it('saves a Hugging Face tokenizer as the Hub files and loads it back; a byte tokenizer as apogee-tokenizer.json', async () => {
    const tmp = makeTempDir();
    const hub = path.join(__dirname, '..', '..', 'policy', 'fixtures', 'tiny-gpt2-hf');
    const policy = await GptPolicy.load(hub);
    const rm = GptReward.fromBackbone(policy.model, policy.tokenizer, 2);
    await rm.save(tmp.dir);
    const read = (file: string): unknown => JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(fs.readdirSync(tmp.dir).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    expect(read(path.join(tmp.dir, 'tokenizer.json'))).toEqual(read(path.join(hub, 'tokenizer.json')));
    expect(read(path.join(tmp.dir, 'tokenizer_config.json'))).toEqual(read(path.join(hub, 'tokenizer_config.json')));
    const pairs = [{ prompt: 'Hello,', response: ' my name is' }];
    const loaded = await GptReward.load(tmp.dir);
    expect(loaded.tokenizer).toBeInstanceOf(HfTokenizer);
    expect(await loaded.score(pairs)).toEqual(await rm.score(pairs));
    const byteRm = GptReward.create(config, tokenizer, 5);
    await byteRm.save(tmp.dir);
    expect(fs.readdirSync(tmp.dir).sort()).toEqual(['apogee-tokenizer.json', 'config.json', 'model.safetensors']);
    const byteLoaded = await GptReward.load(tmp.dir);
    expect(byteLoaded.tokenizer).toBeInstanceOf(ByteTokenizer);
    [policy, rm, loaded, byteRm, byteLoaded].forEach((m) => m.dispose());
    tmp.cleanup();
  });

  it('refuses a bad saved readout with config.json, the field and the allowed values named', async () => {
    const tmp = makeTempDir();
    const rm = GptReward.create(config, tokenizer, 6);
    await rm.save(tmp.dir);
    const file = path.join(tmp.dir, 'config.json');
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    const before = tf.memory().numTensors;
    for (const [apogee, message] of [
      [{ ...json.apogee, pooling: 'max' }, /config\.json: "apogee\.pooling" is "max"; allowed: "last", "mean"/],
      [{ ...json.apogee, appendEos: 'yes' }, /config\.json: "apogee\.appendEos" is "yes"; allowed: true, false/],
    ] as const) {
      fs.writeFileSync(file, JSON.stringify({ ...json, apogee }));
      await expect(GptReward.load(tmp.dir)).rejects.toMatchObject({ code: ERROR_CODES.MODEL_FILE_INVALID, message: expect.stringMatching(message) });
    }
    expect(tf.memory().numTensors).toBe(before);
    rm.dispose();
    tmp.cleanup();
  });

  it('refuses a policy checkpoint (no score.weight) with the file named', async () => {
    const tmp = makeTempDir();
    const policy = GptPolicy.create(config, tokenizer, 1);
    await policy.save(tmp.dir);
    await expect(GptReward.load(tmp.dir)).rejects.toMatchObject({ code: ERROR_CODES.MODEL_FILE_INVALID, message: expect.stringMatching(/model\.safetensors: no "score\.weight"/) });
    policy.dispose();
    tmp.cleanup();
  });
});
