import 'reflect-metadata';
import { describePlugin, describeTokenizer } from '@apogee/testing';
import { ERROR_CODES, TOKENS, createRun } from '@apogee/core';
import { ByteTokenizer } from './byte-tokenizer';
import { tokenizerFromJSON } from './from-json';
import { byteTokenizer } from './plugins';

describeTokenizer('ByteTokenizer', () => new ByteTokenizer(), { fromJSON: (j) => tokenizerFromJSON(j) });
describePlugin('byte-tokenizer', () => byteTokenizer());

describe('ByteTokenizer', () => {
  const tok = new ByteTokenizer();

  it('maps text to its UTF-8 bytes and has 4 special ids after them', () => {
    expect(tok.encode('A’')).toEqual([65, 0xe2, 0x80, 0x99]);
    expect([tok.vocabSize, tok.bosId, tok.eosId, tok.padId, tok.sepId]).toEqual([260, 256, 257, 258, 259]);
  });

  it('round-trips every code point class, including lone surrogates turned into U+FFFD', () => {
    const text = '\ufeffx\u0000\u007f\u0080\u07ff\u0800\uffff\u{10000}\u{10ffff}“…”😀';
    expect(tok.decode(tok.encode(text))).toBe(text);
    expect(tok.decode(tok.encode('\ud800'))).toBe('\ufffd');
  });

  it('decodes any byte sequence without throwing, invalid UTF-8 as U+FFFD', () => {
    expect(tok.decode([0xff, 0x41, 0xe2, 0x80])).toBe('\ufffdA\ufffd');
    // A truncated emoji at the end of a generation, then EOS.
    const bytes = tok.encode('ok 🙂').slice(0, -1);
    expect(tok.decode([...bytes, tok.eosId], { skipSpecial: true })).toBe('ok \ufffd');
    for (let b = 0; b < 256; b++) expect(typeof tok.decode([b, 255 - b])).toBe('string');
  });

  it('never encodes text to a special id and names specials when decoding', () => {
    expect(tok.encode('<|eos|>').every((id) => id < 256)).toBe(true);
    expect(tok.decode([tok.bosId, 104, 105, tok.sepId, tok.eosId])).toBe('<|bos|>hi<|sep|><|eos|>');
    expect(tok.decode([tok.bosId, 104, 105, tok.sepId, tok.eosId], { skipSpecial: true })).toBe('hi');
  });

  it('does not split a multi-byte character around a special id', () => {
    const [a, b, c] = tok.encode('’');
    expect(tok.decode([a, b, tok.padId, c], { skipSpecial: true })).toBe('\ufffd\ufffd');
  });

  it('rejects ids outside the vocabulary with an ApogeeError', () => {
    expect(() => tok.decode([260])).toThrow(expect.objectContaining({ code: ERROR_CODES.INVALID_ARGUMENT }));
    expect(() => tok.decode([-1])).toThrow(/position 0/);
    expect(() => tok.decode([1.5])).toThrow(/not a token id/);
  });

  it('rejects a non-positive maxLength', () => {
    expect(() => tok.encodePair('a', 'b', { maxLength: 0 })).toThrow(expect.objectContaining({ code: ERROR_CODES.INVALID_ARGUMENT }));
  });

  it('keeps BOS while cutting prompt text and drops it only when the response needs the room', () => {
    expect(tok.encodePair('abcd', 'xy', { addBos: true, addEos: false, maxLength: 4 })).toEqual({ ids: [256, 100, 120, 121], promptLength: 2 });
    expect(tok.encodePair('abcd', 'xyz', { addBos: true, addEos: false, maxLength: 3 })).toEqual({ ids: [120, 121, 122], promptLength: 0 });
  });

  it('is what byteTokenizer() registers as TOKENS.Tokenizer', async () => {
    const run = await createRun({ plugins: [byteTokenizer()] });
    expect(run.resolve(TOKENS.Tokenizer)).toBeInstanceOf(ByteTokenizer);
    await run.dispose();
  });

  it('rejects unknown plugin options', () => {
    expect(() => byteTokenizer({ vocab: 3 } as never)).toThrow(expect.objectContaining({ code: ERROR_CODES.PLUGIN_OPTIONS_INVALID }));
  });
});
