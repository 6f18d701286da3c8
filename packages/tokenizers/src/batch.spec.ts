import { ERROR_CODES } from '@apogee/core';
import { encodeBatch, encodePrompts, padBatch } from './batch';
import { ByteTokenizer } from './byte-tokenizer';

const tok = new ByteTokenizer();
const PAD = tok.padId;
const EOS = tok.eosId;
const rows = (a: Int32Array, len: number): number[][] => Array.from({ length: a.length / len }, (_, r) => Array.from(a.slice(r * len, (r + 1) * len)));

describe('padBatch / encodeBatch / encodePrompts', () => {
  it('right-pads training rows [prompt|response|pad] with a response mask', () => {
    const b = encodeBatch(tok, [{ prompt: 'ab', response: 'c' }, { prompt: 'd', response: 'efg' }]);
    expect([b.batchSize, b.length, b.side]).toEqual([2, 5, 'right']);
    expect(rows(b.ids, b.length)).toEqual([[97, 98, 99, EOS, PAD], [100, 101, 102, 103, EOS]]);
    expect(rows(b.attentionMask, b.length)).toEqual([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]);
    expect(rows(b.responseMask, b.length)).toEqual([[0, 0, 1, 1, 0], [0, 1, 1, 1, 1]]);
    expect(rows(b.positionIds, b.length)).toEqual([[0, 1, 2, 3, 0], [0, 1, 2, 3, 4]]);
    expect([b.starts, b.lengths, b.promptLengths]).toEqual([[0, 0], [4, 5], [2, 1]]);
  });

  it('left-pads prompts for generation, last prompt token in the last column', () => {
    const b = encodePrompts(tok, ['abc', 'd']);
    expect(rows(b.ids, b.length)).toEqual([[97, 98, 99], [PAD, PAD, 100]]);
    expect(rows(b.attentionMask, b.length)).toEqual([[1, 1, 1], [0, 0, 1]]);
    expect(rows(b.positionIds, b.length)).toEqual([[0, 1, 2], [0, 0, 0]]);
    expect(Array.from(b.responseMask)).toEqual([0, 0, 0, 0, 0, 0]);
    expect([b.starts, b.lengths, b.promptLengths]).toEqual([[0, 2], [3, 1], [3, 1]]);
  });

  it('truncates prompts from the left and pads to a fixed length', () => {
    const b = encodePrompts(tok, ['abcdef', 'x'], { maxLength: 2, length: 4, addBos: true });
    expect(rows(b.ids, b.length)).toEqual([[PAD, PAD, tok.bosId, 102], [PAD, PAD, tok.bosId, 120]]);
    const t = encodeBatch(tok, [{ prompt: 'abcdef', response: 'xyz' }], { maxLength: 6, length: 8 });
    expect(rows(t.ids, t.length)).toEqual([[101, 102, 120, 121, 122, EOS, PAD, PAD]]);
    expect(t.promptLengths).toEqual([2]);
  });

  it('rejects a fixed length shorter than a row, a bad side and a bad promptLength', () => {
    expect(() => encodeBatch(tok, [{ prompt: 'abc', response: 'd' }], { length: 3 })).toThrow(expect.objectContaining({ code: ERROR_CODES.INVALID_ARGUMENT }));
    expect(() => padBatch([{ ids: [1], promptLength: 0 }], { padId: 0, side: 'middle' as never })).toThrow(/side must be/);
    expect(() => padBatch([{ ids: [1], promptLength: 2 }], { padId: 0 })).toThrow(/promptLength 2/);
    expect(() => padBatch([{ ids: [1], promptLength: 0 }], { padId: 0, length: -1 })).toThrow(/length must be/);
  });

  it('handles an empty batch', () => {
    const b = padBatch([], { padId: PAD });
    expect([b.batchSize, b.length, b.ids.length]).toEqual([0, 0, 0]);
  });
});
