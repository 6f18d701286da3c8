import * as fs from 'node:fs';
import * as path from 'node:path';
import { ERROR_CODES, type ApogeeError } from '@apogee/core';
import { writeSafetensors } from '@apogee/safetensors';
import { makeTempDir } from '@apogee/testing';
import { ByteTokenizer } from '@apogee/tokenizers';
import { readCheckpoint, writeCheckpoint } from './checkpoint';
import { readGenerationConfig } from './generation-config';

const parse = { parseConfig: (json: unknown) => json as { vocab_size: number }, vocabSize: (c: { vocab_size: number }) => c.vocab_size };
const f32 = (values: number[]) => ({ dtype: 'F32' as const, shape: [values.length], data: Float32Array.from(values) });

async function caught(p: Promise<unknown>): Promise<ApogeeError> {
  try {
    await p;
  } catch (e) {
    return e as ApogeeError;
  }
  throw new Error('expected a rejection');
}

describe('sharded checkpoints', () => {
  it('refuses an index that disagrees with its shards, naming the index and each tensor', async () => {
    const tmp = makeTempDir();
    fs.writeFileSync(path.join(tmp.dir, 'config.json'), JSON.stringify({ vocab_size: 260 }));
    fs.writeFileSync(path.join(tmp.dir, 'tokenizer.json'), JSON.stringify({ type: 'byte', version: 1 }));
    await writeSafetensors(path.join(tmp.dir, 'a.safetensors'), new Map([['x', f32([1])], ['stray', f32([2])]]));
    fs.writeFileSync(path.join(tmp.dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { x: 'a.safetensors', y: 'a.safetensors' } }));
    const e = await caught(readCheckpoint(tmp.dir, parse));
    expect(e.code).toBe(ERROR_CODES.MODEL_FILE_INVALID);
    expect(e.message).toContain('model.safetensors.index.json');
    expect(e.problems.map((p) => p.path).sort()).toEqual(['stray', 'y']);
    fs.writeFileSync(path.join(tmp.dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { x: '../a.safetensors' } }));
    expect((await caught(readCheckpoint(tmp.dir, parse))).message).toMatch(/weight_map/);
    tmp.cleanup();
  });

  it('writes shards in name order within maxShardBytes and removes the other layout on the next save', async () => {
    const tmp = makeTempDir();
    const tensors = new Map(['a', 'b', 'c'].map((k, i) => [k, { shape: [2], data: Float32Array.from([i, i]) }]));
    const input = { hfConfig: { vocab_size: 260 }, tensors, tokenizer: new ByteTokenizer() };
    await writeCheckpoint(tmp.dir, { ...input, maxShardBytes: 16 });
    const index = JSON.parse(fs.readFileSync(path.join(tmp.dir, 'model.safetensors.index.json'), 'utf8'));
    expect(index).toEqual({ metadata: { total_size: 24 }, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00001-of-00002.safetensors', c: 'model-00002-of-00002.safetensors' } });
    const back = await readCheckpoint(tmp.dir, parse);
    expect([...back.tensors.keys()].sort()).toEqual(['a', 'b', 'c']);
    await writeCheckpoint(tmp.dir, input);
    expect(fs.readdirSync(tmp.dir).filter((f) => f.startsWith('model')).sort()).toEqual(['model.safetensors']);
    tmp.cleanup();
  });
});

describe('generation_config.json', () => {
  it('reads one or several eos ids and the sampling defaults; names a bad field', () => {
    expect(readGenerationConfig({ eos_token_id: 2, temperature: 0.6, top_p: 0.9, do_sample: true }, 'g.json')).toMatchObject({ eosTokenIds: [2], temperature: 0.6, topP: 0.9, doSample: true });
    expect(readGenerationConfig({ eos_token_id: [128001, 128009] }, 'g.json').eosTokenIds).toEqual([128001, 128009]);
    expect(() => readGenerationConfig({ top_p: 2, eos_token_id: 'x' }, 'g.json')).toThrow(/g\.json/);
    try {
      readGenerationConfig({ top_p: 2, eos_token_id: 'x' }, 'g.json');
    } catch (e) {
      expect((e as ApogeeError).problems.map((p) => p.path).sort()).toEqual(['eos_token_id', 'top_p']);
    }
  });
});
