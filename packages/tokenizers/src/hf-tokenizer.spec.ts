import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ERROR_CODES, TOKENS, createRun } from '@apogee/core';
import { describePlugin, describeTokenizer, makeTempDir } from '@apogee/testing';
import { encodeBatch } from './batch';
import { ByteTokenizer } from './byte-tokenizer';
import { loadTokenizer, saveTokenizer, tokenizerFromJSON } from './from-json';
import { HfTokenizer, loadHfTokenizer } from './hf-tokenizer';
import { hfTokenizer } from './plugins';

const DIR = path.join(__dirname, '..', 'fixtures', 'tiny-gpt2');
const EXPECTED = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'tiny-gpt2.expected.json'), 'utf8')) as {
  vocabSize: number;
  eosId: number;
  cases: { text: string; ids: number[] }[];
};
const tokenizerJson = (): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(DIR, 'tokenizer.json'), 'utf8'));

describeTokenizer('HfTokenizer (tiny GPT-2 byte-level BPE)', () => loadHfTokenizer(DIR), {
  fromJSON: (j) => tokenizerFromJSON(j),
  roundTrip: EXPECTED.cases.map((c) => c.text),
});
describePlugin('hf-tokenizer', () => hfTokenizer({ path: DIR }));

describe('HfTokenizer', () => {
  const tok = loadHfTokenizer(DIR);

  it('matches an independent Python byte-level BPE on every fixture string', () => {
    for (const c of EXPECTED.cases) expect({ text: c.text, ids: tok.encode(c.text) }).toEqual(c);
    expect(EXPECTED.cases[0].ids.length).toBeLessThan(Buffer.byteLength(EXPECTED.cases[0].text)); // merges applied
  });

  it('takes GPT-2 special tokens from tokenizer_config.json: BOS = EOS = PAD = <|endoftext|>', () => {
    expect([tok.vocabSize, tok.eosId, tok.bosId, tok.padId]).toEqual([EXPECTED.vocabSize, EXPECTED.eosId, EXPECTED.eosId, EXPECTED.eosId]);
    expect(tok.idToToken(tok.eosId)).toBe('<|endoftext|>');
  });

  it('loads from the tokenizer.json path too, and finds EOS without a config', () => {
    expect(loadHfTokenizer(path.join(DIR, 'tokenizer.json')).eosId).toBe(EXPECTED.eosId);
    const bare = new HfTokenizer(tokenizerJson());
    expect([bare.eosId, bare.bosId, bare.padId]).toEqual([EXPECTED.eosId, EXPECTED.eosId, EXPECTED.eosId]);
  });

  it('applies special-token overrides and rejects unknown ones', () => {
    const t = new HfTokenizer(tokenizerJson(), null, { padToken: 'he' });
    expect(t.encode('he')).toEqual([t.padId]);
    expect(t.padId).not.toBe(t.eosId);
    expect(() => new HfTokenizer(tokenizerJson(), null, { eosToken: '</s>' }, 'x/tokenizer.json')).toThrow(/x\/tokenizer.json: .*EOS token "<\/s>" is not in the vocabulary/);
  });

  it('encodes an added special token written in the text to its id (as Hugging Face does)', () => {
    expect(tok.encode('a<|endoftext|>')).toEqual([...tok.encode('a'), tok.eosId]);
  });

  it('rejects ids outside the vocabulary', () => {
    expect(() => tok.decode([tok.vocabSize])).toThrow(expect.objectContaining({ code: ERROR_CODES.INVALID_ARGUMENT }));
  });

  it('builds right-padded training batches with EOS-as-PAD told apart by the attention mask', () => {
    const b = encodeBatch(tok, [{ prompt: 'The reward', response: ' model' }, { prompt: 'The', response: ' policy scores the reward model' }]);
    const row0 = Array.from(b.attentionMask.slice(0, b.length));
    expect(row0.reduce((a, x) => a + x, 0)).toBe(b.lengths[0]);
    expect(b.ids[b.lengths[0] - 1]).toBe(tok.eosId); // the response's EOS, inside the mask
    expect(b.ids[b.lengths[0]]).toBe(tok.padId); // padding, outside it
    expect(b.attentionMask[b.lengths[0]]).toBe(0);
  });
});

describe('malformed tokenizer files', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(() => {
    tmp = makeTempDir('apogee-hf-tok-');
  });
  afterAll(() => tmp.cleanup());

  const write = (name: string, text: string): string => {
    const dir = path.join(tmp.dir, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), text);
    return dir;
  };
  const expectInvalid = (dir: string, message: RegExp): void => {
    let error: unknown;
    try {
      loadHfTokenizer(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ name: 'ApogeeError', code: ERROR_CODES.MODEL_FILE_INVALID });
    expect((error as Error).message).toContain(path.join(dir, 'tokenizer.json'));
    expect((error as Error).message).toMatch(message);
  };

  it('names the file and the problem', () => {
    expectInvalid(write('truncated', fs.readFileSync(path.join(DIR, 'tokenizer.json'), 'utf8').slice(0, 500)), /not valid JSON/);
    expectInvalid(write('array', '[]'), /top level is not a JSON object/);
    expectInvalid(write('no-model', '{"version":"1.0"}'), /no "model" object/);
    const badVocab = tokenizerJson();
    (badVocab.model as Record<string, unknown>).vocab = { a: -3 };
    expectInvalid(write('bad-vocab', JSON.stringify(badVocab)), /"model.vocab"\["a"\] is -3/);
    const badMerges = tokenizerJson();
    (badMerges.model as Record<string, unknown>).merges = 'Ġ t';
    expectInvalid(write('bad-merges', JSON.stringify(badMerges)), /"model.merges" is not an array/);
    const badAdded = tokenizerJson();
    badAdded.added_tokens = [{ content: 'x' }];
    expectInvalid(write('bad-added', JSON.stringify(badAdded)), /"added_tokens"\[0\]/);
    const unknownModel = tokenizerJson();
    (unknownModel.model as Record<string, unknown>).type = 'NoSuchModel';
    expectInvalid(write('unknown-model', JSON.stringify(unknownModel)), /"model.type" is "NoSuchModel"; supported: BPE, WordPiece, Unigram/);
    const unknownPre = tokenizerJson();
    unknownPre.pre_tokenizer = { type: 'Nope' };
    expectInvalid(write('unknown-pre', JSON.stringify(unknownPre)), /@huggingface\/tokenizers cannot use it \(Unknown PreTokenizer type: Nope\)/);
  });

  it('a missing file and a broken tokenizer_config.json', () => {
    expect(() => loadHfTokenizer(path.join(tmp.dir, 'nowhere'))).toThrow(/cannot read tokenizer file \(ENOENT\)/);
    const dir = write('bad-config', fs.readFileSync(path.join(DIR, 'tokenizer.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), '{oops');
    expect(() => loadHfTokenizer(dir)).toThrow(expect.objectContaining({ code: ERROR_CODES.MODEL_FILE_INVALID, message: expect.stringContaining('tokenizer_config.json: not valid JSON') }));
  });

  it('saveTokenizer + loadTokenizer round-trip both kinds; an empty directory is a clear error', async () => {
    const hfDir = path.join(tmp.dir, 'saved-hf');
    await saveTokenizer(hfDir, loadHfTokenizer(DIR));
    const hf = loadTokenizer(hfDir);
    expect(hf).toBeInstanceOf(HfTokenizer);
    expect(hf.encode(EXPECTED.cases[1].text)).toEqual(EXPECTED.cases[1].ids);
    const byteDir = path.join(tmp.dir, 'saved-byte');
    await saveTokenizer(byteDir, new ByteTokenizer());
    expect(loadTokenizer(byteDir)).toBeInstanceOf(ByteTokenizer);
    fs.mkdirSync(path.join(tmp.dir, 'empty'));
    expect(() => loadTokenizer(path.join(tmp.dir, 'empty'))).toThrow(/no tokenizer found \(looked for tokenizer.json and apogee-tokenizer.json\)/);
    expect(() => tokenizerFromJSON({ type: 'sentencepiece' }, 'ckpt/x.json')).toThrow(/ckpt\/x.json: unknown tokenizer type "sentencepiece"/);
  });

  it('saveTokenizer keeps special-token overrides (as tokenizer_config.json) and removes the stale files of an earlier save', async () => {
    const dir = path.join(tmp.dir, 'resaved');
    const withPad = loadHfTokenizer(DIR, { padToken: 'a' });
    expect(withPad.padId).not.toBe(withPad.eosId);
    await saveTokenizer(dir, withPad);
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
    expect(config).toMatchObject({ pad_token: 'a', eos_token: '<|endoftext|>', tokenizer_class: 'GPT2Tokenizer' });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'))).toEqual(tokenizerJson());
    const back = loadTokenizer(dir);
    expect([back.bosId, back.eosId, back.padId]).toEqual([withPad.bosId, withPad.eosId, withPad.padId]);

    await saveTokenizer(dir, new ByteTokenizer());
    expect(fs.readdirSync(dir)).toEqual(['apogee-tokenizer.json']);
    expect(loadTokenizer(dir)).toBeInstanceOf(ByteTokenizer);
    await saveTokenizer(dir, new HfTokenizer(tokenizerJson()));
    expect(fs.readdirSync(dir)).toEqual(['tokenizer.json']);
    expect(loadTokenizer(dir)).toBeInstanceOf(HfTokenizer);
  });

  it('reads a tokenizer.json holding an apogee description, and tokenizerFromJSON takes a raw Hugging Face file', async () => {
    const dir = path.join(tmp.dir, 'described');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(new ByteTokenizer().toJSON()));
    expect(loadTokenizer(dir)).toBeInstanceOf(ByteTokenizer);
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(loadHfTokenizer(DIR).toJSON()));
    expect(loadTokenizer(dir).encode(EXPECTED.cases[0].text)).toEqual(EXPECTED.cases[0].ids);
    const raw = tokenizerFromJSON(tokenizerJson(), 'tokenizer.json');
    expect([raw.eosId, raw.encode(EXPECTED.cases[2].text)]).toEqual([EXPECTED.eosId, EXPECTED.cases[2].ids]);
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{"type":');
    expect(() => loadTokenizer(dir)).toThrow(/described\/tokenizer.json: not valid JSON/);
  });

  it('hfTokenizer() fails at run creation on a bad path, and validates its options', async () => {
    await expect(createRun({ plugins: [hfTokenizer({ path: path.join(tmp.dir, 'nowhere') })] })).rejects.toMatchObject({ code: ERROR_CODES.MODEL_FILE_INVALID });
    expect(() => hfTokenizer({})).toThrow(expect.objectContaining({ code: ERROR_CODES.PLUGIN_OPTIONS_INVALID }));
    const run = await createRun({ plugins: [hfTokenizer({ path: DIR })] });
    expect(run.resolve(TOKENS.Tokenizer)).toBeInstanceOf(HfTokenizer);
    await run.dispose();
  });
});
