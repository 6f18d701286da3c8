// The README's usage examples: they must keep working.
import * as path from 'node:path';
import { makeTempDir } from '@apogee/testing';
import { ByteTokenizer, encodeBatch, encodePrompts, loadHfTokenizer, loadTokenizer, saveTokenizer } from './src';

it('README example runs', () => {
  const tok = new ByteTokenizer();
  const ids = tok.encode('It’s 🙂');
  expect(tok.decode(ids)).toBe('It’s 🙂');
  const pair = tok.encodePair('Q: 2+2?', ' A: 4', { maxLength: 64 });
  expect(pair).toEqual({ ids: [...tok.encode('Q: 2+2?'), ...tok.encode(' A: 4'), tok.eosId], promptLength: 7 });
  const train = encodeBatch(tok, [{ prompt: 'Q: hi', response: ' A: hello' }]);
  expect(Array.from(train.responseMask)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  const gen = encodePrompts(tok, ['Q: hi', 'Q: why?']);
  expect([gen.length, gen.starts]).toEqual([7, [2, 0]]);
});

it('README Hugging Face example runs', async () => {
  const { dir, cleanup } = makeTempDir();
  try {
    const gpt2 = loadHfTokenizer(path.join(__dirname, 'fixtures', 'tiny-gpt2'));
    expect(gpt2.decode(gpt2.encode('Hello world'))).toBe('Hello world');
    await saveTokenizer(dir, gpt2);
    const any = loadTokenizer(dir);
    expect(any.encode('Hello world')).toEqual(gpt2.encode('Hello world'));
  } finally {
    cleanup();
  }
});
