import type { Tokenizer } from '@apogee/core';

export interface DescribeTokenizerOptions {
  /** Texts that must round-trip exactly through encode → decode (added to the kit's own). */
  roundTrip?: string[];
  /** Rebuild a tokenizer from `toJSON()` (e.g. `tokenizerFromJSON` from `@apogee/tokenizers`). */
  fromJSON?: (json: unknown) => Tokenizer;
}

const KIT_TEXTS = ['', 'a', 'Hello, world!', '  two  spaces\nand a newline\t', 'It’s “quoted” … done', 'naïve café 東京 🙂👍🏽'];

/**
 * The conformance kit every `Tokenizer` runs: ids in range, special ids distinct and in range,
 * exact round-trips, the prompt/response boundary of `encodePair`, truncation order (prompt from
 * the left, then response from the right), EOS handling and `toJSON` rebuild.
 *
 * ```ts
 * describeTokenizer('byte', () => new ByteTokenizer(), { fromJSON: tokenizerFromJSON });
 * ```
 */
export function describeTokenizer(name: string, factory: () => Tokenizer | Promise<Tokenizer>, kit: DescribeTokenizerOptions = {}): void {
  describe(`tokenizer conformance: ${name}`, () => {
    let tok: Tokenizer;
    beforeAll(async () => {
      tok = await factory();
    });
    const texts = [...KIT_TEXTS, ...(kit.roundTrip ?? [])];

    it('has a positive vocabSize and distinct-or-shared special ids inside it', () => {
      expect(Number.isInteger(tok.vocabSize) && tok.vocabSize > 0).toBe(true);
      for (const id of [tok.bosId, tok.eosId, tok.padId]) {
        expect(Number.isInteger(id) && id >= 0 && id < tok.vocabSize).toBe(true);
      }
    });

    it.each(texts.map((t) => [t]))('round-trips %j exactly with ids inside the vocabulary', (text) => {
      const ids = tok.encode(text);
      for (const id of ids) expect(Number.isInteger(id) && id >= 0 && id < tok.vocabSize).toBe(true);
      expect(tok.decode(ids)).toBe(text);
      expect(tok.decode(ids, { skipSpecial: true })).toBe(text);
    });

    it('encodes deterministically', () => {
      for (const text of texts) expect(tok.encode(text)).toEqual(tok.encode(text));
    });

    it('encodePair puts the prompt first, the response after, EOS last by default', () => {
      const prompt = 'Question: why is the sky blue?';
      const response = ' Rayleigh scattering.';
      const pair = tok.encodePair(prompt, response);
      expect(pair.ids.slice(0, pair.promptLength)).toEqual(tok.encode(prompt));
      expect(pair.ids.slice(pair.promptLength)).toEqual([...tok.encode(response), tok.eosId]);
      const noEos = tok.encodePair(prompt, response, { addEos: false });
      expect(noEos.ids).toEqual([...tok.encode(prompt), ...tok.encode(response)]);
      expect(noEos.promptLength).toBe(pair.promptLength);
      expect(tok.decode(noEos.ids.slice(noEos.promptLength))).toBe(response);
    });

    it('encodePair with addBos puts BOS first and counts it in the prompt', () => {
      const pair = tok.encodePair('hi', ' there', { addBos: true });
      expect(pair.ids[0]).toBe(tok.bosId);
      expect(pair.promptLength).toBe(1 + tok.encode('hi').length);
    });

    it('truncates the prompt from the left first, then the response from the right', () => {
      const prompt = 'one two three four five six seven eight nine ten';
      const response = ' alpha beta gamma delta';
      const p = tok.encode(prompt);
      const r = [...tok.encode(response), tok.eosId];
      // Room for the whole response and the last 3 prompt ids.
      const a = tok.encodePair(prompt, response, { maxLength: r.length + 3 });
      expect(a.ids).toEqual([...p.slice(p.length - 3), ...r]);
      expect(a.promptLength).toBe(3);
      // No room for any prompt: the response is cut on the right (its EOS goes first).
      const b = tok.encodePair(prompt, response, { maxLength: r.length - 2 });
      expect(b.promptLength).toBe(0);
      expect(b.ids).toEqual(r.slice(0, r.length - 2));
      // Fits: unchanged.
      expect(tok.encodePair(prompt, response, { maxLength: p.length + r.length }).ids).toEqual([...p, ...r]);
    });

    it('decode with skipSpecial drops special ids', () => {
      const ids = [tok.bosId, ...tok.encode('abc'), tok.eosId, tok.padId, tok.padId];
      expect(tok.decode(ids, { skipSpecial: true })).toBe('abc');
    });

    it('toJSON is JSON-serialisable and rebuilds an equivalent tokenizer', () => {
      const json = JSON.parse(JSON.stringify(tok.toJSON()));
      if (!kit.fromJSON) return;
      const again = kit.fromJSON(json);
      expect(again.vocabSize).toBe(tok.vocabSize);
      expect([again.bosId, again.eosId, again.padId]).toEqual([tok.bosId, tok.eosId, tok.padId]);
      for (const text of texts) expect(again.encode(text)).toEqual(tok.encode(text));
    });
  });
}
