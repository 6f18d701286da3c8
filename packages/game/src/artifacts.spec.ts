import * as fs from 'node:fs';
import * as path from 'node:path';
import { readAnyPreferenceFile, readSampleSets, readScoreEntries } from '@apogee/data';
import { describeWithSharedData, makeTempDir } from '@apogee/testing';
import { formatApoItems, formatSamples, formatScores, readSamples, readScores } from './artifacts';
import { attachFlatScores as attachScores } from '@apogee/core';
import { readDspItems } from '../test/dsp';

describeWithSharedData('round artifacts in the reference formats', 'dsp/helpful.test.json', (file) => {
  const human = readDspItems(file, 20);
  const sets = human.map((it) => ({ queryId: `q:${it.id}`, prompt: it.prompt, samples: [...it.responses, 'It’s “fine” … ✓'] }));
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (tmp = makeTempDir()));
  afterEach(() => tmp.cleanup());

  it('samples round-trip exactly, as {"query_id","query","sample_k"} lines', () => {
    const f = path.join(tmp.dir, 'samples.jsonl');
    fs.writeFileSync(f, formatSamples(sets));
    expect(readSamples(f)).toEqual(sets);
    const first = JSON.parse(fs.readFileSync(f, 'utf8').split('\n')[0]);
    expect(Object.keys(first)).toEqual(['query_id', 'query', 'sample_0', 'sample_1', 'sample_2']);
  });

  it('float32 scores round-trip bit for bit, keyed "<query_id>:sample_<k>" (ids may hold colons)', () => {
    const scores = Float32Array.from({ length: sets.length * 3 }, (_, i) => Math.fround(Math.sin(i) * 3.3));
    const scored = attachScores(sets, scores);
    const f = path.join(tmp.dir, 'scores.json');
    fs.writeFileSync(f, formatScores(scored));
    expect(readScores(f, sets)).toEqual(scored);
    expect(JSON.parse(fs.readFileSync(f, 'utf8'))[1]).toEqual({ 'q:dsp-0:sample_1': scored[0].scores[1] });
  });

  it('APO items are written as the reference text/scores records with type "apo"', () => {
    const line = formatApoItems([{ id: 'q1', prompt: 'P', responses: ['gold', 'sample'], scores: [1, 0], kind: 'apo' }]);
    expect(JSON.parse(line)).toEqual({ text: ['P<sep>gold', 'P<sep>sample'], scores: [1, 0], query_id: 'q1', type: 'apo' });
  });

  it('@apogee/data reads every artifact back as the same records (the reference formats)', async () => {
    const dir = tmp.dir;
    const scored = attachScores(sets, Float32Array.from({ length: sets.length * 3 }, (_, i) => Math.fround(i / 7 - 2)));
    const items = sets.map((s) => ({ id: s.queryId, prompt: s.prompt, responses: [s.samples[0], s.samples[2]], scores: [1, 0], kind: 'apo' as const }));
    fs.writeFileSync(path.join(dir, 'samples.jsonl'), formatSamples(sets));
    fs.writeFileSync(path.join(dir, 'scores.json'), formatScores(scored));
    fs.writeFileSync(path.join(dir, 'apo-items.jsonl'), formatApoItems(items));
    expect((await readSampleSets(path.join(dir, 'samples.jsonl'))).records).toEqual(sets);
    const entries = (await readScoreEntries(path.join(dir, 'scores.json'))).records;
    expect(entries).toHaveLength(scored.length * 3);
    expect(entries[4]).toEqual({ queryId: scored[1].queryId, key: 'sample_1', score: scored[1].scores[1] });
    const read = (await readAnyPreferenceFile(path.join(dir, 'apo-items.jsonl'))).items;
    expect(read.map((it) => ({ prompt: it.prompt, responses: it.responses, scores: it.scores, kind: it.kind }))).toEqual(
      items.map((it) => ({ prompt: it.prompt, responses: it.responses, scores: it.scores, kind: 'apo' })),
    );
  });

  it('a damaged artifact fails with CHECKPOINT_INVALID naming file, line and field', () => {
    const f = path.join(tmp.dir, 'samples.jsonl');
    fs.writeFileSync(f, `${formatSamples(sets.slice(0, 2))}{"query_id": 3, "query": "x"}\n`);
    expect(() => readSamples(f)).toThrow(expect.objectContaining({ code: 'APOGEE_CHECKPOINT_INVALID', message: `${f}:3: field "query_id" is not a string.` }));
    fs.writeFileSync(f, '{"query_id": "a", "qu');
    expect(() => readSamples(f)).toThrow(`${f}:1: not valid JSON.`);
  });
});
