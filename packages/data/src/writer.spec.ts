import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir } from '@apogee/testing';
import type { PreferenceItem, ScoredSampleSet } from '@apogee/core';
import {
  createRecordWriter,
  isGzipFile,
  readAnyPreferenceFile,
  readGoldenAnswers,
  readPrompts,
  readSampleSets,
  readScoreEntries,
  writeGoldenAnswers,
  writePreferenceItems,
  writePrompts,
  writeRejectionSamplingTargets,
  writeSampleSets,
  writeScores,
  apoItems,
  attachScores,
} from './index';

const H = '\n\nHuman: ';
const A = '\n\nAssistant:';
const items: PreferenceItem[] = [
  { id: 'q1', prompt: `${H}Hi${A} Hello!${H}Capital of France?${A}`, responses: [' Paris.', ' Lyon.'], scores: [1, 0] },
  { id: 'q2', prompt: `${H}Colour?${A}`, responses: [' Red.', ' Blue.', ''], scores: [0.5, 2, 0] },
];
let tmp: { dir: string; cleanup: () => void };
beforeEach(() => (tmp = makeTempDir('apogee-data-')));
afterEach(() => tmp.cleanup());
const at = (name: string) => path.join(tmp.dir, name);

describe('preference writers round-trip through the readers', () => {
  it('text-scores with <sep> (the reference RM format), JSONL and gzip', async () => {
    await writePreferenceItems(at('rm.jsonl'), items);
    const first = JSON.parse(fs.readFileSync(at('rm.jsonl'), 'utf8').split('\n')[0]);
    expect(first).toEqual({ text: [`${items[0].prompt}<sep> Paris.`, `${items[0].prompt}<sep> Lyon.`], scores: [1, 0], query_id: 'q1' });
    expect((await readAnyPreferenceFile(at('rm.jsonl'))).items).toEqual(items);
    await writePreferenceItems(at('rm.jsonl.gz'), items);
    expect(await isGzipFile(at('rm.jsonl.gz'))).toBe(true);
    expect((await readAnyPreferenceFile(at('rm.jsonl.gz'))).items).toEqual(items);
  });

  it('text-scores as whole dialogues in a JSON array, and APO items with "type": "apo"', async () => {
    const apo = apoItems([{ queryId: 'q1', golden: ' Gold.' }], [{ queryId: 'q1', prompt: `${H}Q${A}`, samples: [' s0', ' s1'] }]).items;
    expect(apo).toEqual([
      { id: 'q1', prompt: `${H}Q${A}`, responses: [' Gold.', ' s0'], scores: [1, 0], kind: 'apo' },
      { id: 'q1', prompt: `${H}Q${A}`, responses: [' Gold.', ' s1'], scores: [1, 0], kind: 'apo' },
    ]);
    await writePreferenceItems(at('apo.json'), apo, { join: 'dialogue' });
    const parsed = JSON.parse(fs.readFileSync(at('apo.json'), 'utf8'));
    expect(parsed[0]).toEqual({ text: [`${H}Q${A} Gold.`, `${H}Q${A} s0`], scores: [1, 0], query_id: 'q1', type: 'apo' });
    expect((await readAnyPreferenceFile(at('apo.json'))).items).toEqual(apo);
  });

  it('hh, trl and trl-conversational for two-response items', async () => {
    const two = [items[0]];
    const plain = { prompt: two[0].prompt, responses: two[0].responses, scores: [1, 0] };
    for (const format of ['hh', 'trl', 'trl-conversational'] as const) {
      await writePreferenceItems(at(`${format}.jsonl`), two, { format });
      const back = await readAnyPreferenceFile(at(`${format}.jsonl`));
      expect([format, back.formats[0], back.items]).toEqual([format, format.startsWith('trl') ? 'trl' : 'hh', [plain]]);
    }
    const conv = JSON.parse(fs.readFileSync(at('trl-conversational.jsonl'), 'utf8'));
    expect(conv.prompt).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'Capital of France?' },
    ]);
    expect(conv.chosen).toEqual([{ role: 'assistant', content: 'Paris.' }]);
    // Three responses cannot be chosen/rejected: a clear error, and nothing is written.
    await expect(writePreferenceItems(at('bad.jsonl'), items, { format: 'hh' })).rejects.toThrow(/Item 1 \(id q2\) has 3 responses/);
    expect(fs.existsSync(at('bad.jsonl'))).toBe(false);
  });
});

describe('game artifact writers', () => {
  const sets: ScoredSampleSet[] = [
    { queryId: 'q1', prompt: `${H}Q1${A}`, samples: [' a', ' b', ''], scores: [0.1, 0.7, 0.9] },
    { queryId: 'q2', prompt: `${H}Q2${A}`, samples: ['', ' '], scores: [1, 2] },
  ];

  it('golden answers, samples, scores and prompts round-trip', async () => {
    await writeGoldenAnswers(at('golden.jsonl'), [{ queryId: 'q1', golden: ' G' }, { queryId: 'q2', prompt: `${H}Q2${A}`, golden: ' H' }]);
    expect((await readGoldenAnswers(at('golden.jsonl'))).records).toEqual([{ queryId: 'q1', golden: ' G' }, { queryId: 'q2', prompt: `${H}Q2${A}`, golden: ' H' }]);
    await writeSampleSets(at('samples.jsonl'), sets.map(({ scores: _s, ...rest }) => rest));
    const samples = (await readSampleSets(at('samples.jsonl'))).records;
    expect(JSON.parse(fs.readFileSync(at('samples.jsonl'), 'utf8').split('\n')[0])).toEqual({ query_id: 'q1', query: `${H}Q1${A}`, sample_0: ' a', sample_1: ' b', sample_2: '' });
    await writeScores(at('scores.json'), sets);
    expect(JSON.parse(fs.readFileSync(at('scores.json'), 'utf8'))[1]).toEqual({ 'q1:sample_1': 0.7 });
    const entries = (await readScoreEntries(at('scores.json'))).records;
    expect(entries).toHaveLength(5);
    const joined = attachScores(samples, entries);
    expect(joined.scored).toEqual(sets);
    expect(joined.unscored).toEqual([]);
    await writePrompts(at('prompts.jsonl'), [{ queryId: 'x', prompt: `${H}X${A}` }]);
    expect((await readPrompts(at('prompts.jsonl'))).records).toEqual([{ queryId: 'x', prompt: `${H}X${A}` }]);
  });

  it('rejection-sampling targets: the best non-empty sample, with a scores dict; all-empty sets are skipped', async () => {
    const n = await writeRejectionSamplingTargets(at('rjs.jsonl'), sets);
    expect(n).toBe(1);
    const rec = JSON.parse(fs.readFileSync(at('rjs.jsonl'), 'utf8'));
    expect(rec).toEqual({ query_id: 'q1', query: `${H}Q1${A}`, sample_0: ' a', sample_1: ' b', sample_2: '', target: ' b', scores: { sample_0: 0.1, sample_1: 0.7, sample_2: 0.9 } });
    expect((await readSampleSets(at('rjs.jsonl'))).records).toEqual([sets[0]]);
  });

  it('attachScores reports sets without scores and scores without a set', () => {
    const r = attachScores(
      [{ queryId: 'q1', prompt: 'p', samples: ['a', 'b'] }],
      [
        { queryId: 'q1', key: 'sample_0', score: 1 },
        { queryId: 'zz', key: 'sample_0', score: 2 },
      ],
    );
    expect(r).toEqual({ scored: [], unscored: [{ queryId: 'q1', missing: ['sample_1'] }], orphanScores: ['zz:sample_0'] });
  });
});

describe('atomic writes', () => {
  it('the target appears only on close(); abort() leaves the previous file untouched', async () => {
    fs.writeFileSync(at('out.jsonl'), 'old\n');
    const w = await createRecordWriter(at('out.jsonl'));
    await w.write({ a: 1 });
    expect(fs.readFileSync(at('out.jsonl'), 'utf8')).toBe('old\n');
    await w.abort();
    expect(fs.readFileSync(at('out.jsonl'), 'utf8')).toBe('old\n');
    expect(fs.readdirSync(tmp.dir)).toEqual(['out.jsonl']);
    const w2 = await createRecordWriter(at('out.jsonl'));
    await w2.write({ a: 2 });
    await w2.close();
    expect(fs.readFileSync(at('out.jsonl'), 'utf8')).toBe('{"a":2}\n');
    expect(fs.readdirSync(tmp.dir)).toEqual(['out.jsonl']);
  });

  it('a failing source aborts the write and keeps the old file', async () => {
    fs.writeFileSync(at('keep.jsonl'), 'old\n');
    async function* failing(): AsyncGenerator<PreferenceItem> {
      yield items[0];
      throw new Error('boom');
    }
    await expect(writePreferenceItems(at('keep.jsonl'), failing())).rejects.toThrow('boom');
    expect(fs.readFileSync(at('keep.jsonl'), 'utf8')).toBe('old\n');
    expect(fs.readdirSync(tmp.dir)).toEqual(['keep.jsonl']);
  });
});

describe('a failed record write leaves the directory exactly as it was (issue 20)', () => {
  const listing = (d: string): string[] => fs.readdirSync(d, { recursive: true }).map(String).sort();

  it('abort() right after opening waits for the file stream, so its temporary file cannot reappear', async () => {
    // The stream opens its file asynchronously; an abort before that open completed used to
    // remove nothing and then see the file created. Many immediate aborts make that certain.
    for (let i = 0; i < 40; i++) {
      const w = await createRecordWriter(path.join(tmp.dir, `early-${i}.jsonl`));
      await w.abort();
    }
    async function* failsAtOnce(): AsyncGenerator<PreferenceItem> {
      throw new Error('no data');
    }
    await expect(writePreferenceItems(path.join(tmp.dir, 'none.jsonl'), failsAtOnce())).rejects.toThrow('no data');
    expect(listing(tmp.dir)).toEqual([]);
  });

  it('a refused rename on close() and the folders the writer created are undone', async () => {
    fs.mkdirSync(path.join(tmp.dir, 'taken.jsonl'));
    fs.writeFileSync(path.join(tmp.dir, 'taken.jsonl', 'x'), 'x');
    const before = listing(tmp.dir);
    await expect(writePreferenceItems(path.join(tmp.dir, 'taken.jsonl'), items)).rejects.toMatchObject({ code: expect.stringMatching(/EISDIR|ENOTEMPTY|EEXIST/) });
    expect(listing(tmp.dir)).toEqual(before);
    async function* failing(): AsyncGenerator<PreferenceItem> {
      yield items[0];
      throw new Error('boom');
    }
    await expect(writePreferenceItems(path.join(tmp.dir, 'new', 'deep', 'out.jsonl.gz'), failing())).rejects.toThrow('boom');
    expect(listing(tmp.dir)).toEqual(before);
  });
});
