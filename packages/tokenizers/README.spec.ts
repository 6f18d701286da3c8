// The README's usage example: it must keep working.
import { ByteTokenizer, encodeBatch, encodePrompts } from './src';

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
