import * as path from 'node:path';
import { DataLoader, readAnyPreferenceFile, readDataFile, readGoldenAnswers, readPrompts, readSampleSets, readScoreEntries, isGzipFile } from './index';

const fx = (name: string) => path.join(__dirname, '..', 'fixtures', name);
const H = '\n\nHuman: ';
const A = '\n\nAssistant:';

describe('HH-RLHF {chosen, rejected}', () => {
  it('splits at the shared last Assistant turn; prompt + response is the original dialogue', async () => {
    const { items, report, formats } = await readAnyPreferenceFile(fx('hh.jsonl'));
    expect(formats).toEqual(['hh']);
    expect(items[0]).toEqual({ prompt: `${H}How do I boil an egg?${A}`, responses: [' Put it in boiling water for 8 minutes.', ' Eggs are laid by hens.'], scores: [1, 0] });
    expect(items[1].prompt).toBe(`${H}Hi${A} Hello!${H}What is 2+2?${A}`);
    expect(items[1].responses).toEqual([' 4.', '']);
    expect(report).toMatchObject({ read: 3, kept: 3, skipped: 0, dropped: 0 });
    expect(report.flagged.emptyResponse).toBe(1);
  });

  it('dialogues that diverge before the last Assistant turn: prompt is the common prefix, counted as diverged', async () => {
    const { items, report } = await readAnyPreferenceFile(fx('hh.jsonl'));
    expect(items[2].prompt).toBe(`${H}Name a colour.${A}`);
    expect(items[2].responses).toEqual([` Blue.${H}Another?${A} Red.`, ' I’d rather not say “colour”…']);
    expect(report.flagged.diverged).toBe(1);
    const dropped = await readAnyPreferenceFile(fx('hh.jsonl'), { rules: { diverged: 'drop' } });
    expect(dropped.items).toHaveLength(2);
    expect(dropped.report.droppedBy).toEqual({ diverged: 1 });
  });
});

describe('gzip is found by content, never by name', () => {
  it('reads a gzip file named .json and a plain file named .gz', async () => {
    expect(await isGzipFile(fx('hh-gzipped.json'))).toBe(true);
    expect(await isGzipFile(fx('text-scores-plain.jsonl.gz'))).toBe(false);
    const gz = await readAnyPreferenceFile(fx('hh-gzipped.json'));
    const plain = await readAnyPreferenceFile(fx('hh.jsonl'));
    expect(gz.items).toEqual(plain.items);
    expect(gz.report.files[0]).toMatchObject({ gzip: true, container: 'jsonl', format: 'hh', detected: true });
    const notGz = await readAnyPreferenceFile(fx('text-scores-plain.jsonl.gz'));
    expect(notGz.report.files[0]).toMatchObject({ gzip: false, container: 'jsonl', format: 'text-scores' });
    expect(notGz.items).toEqual((await readAnyPreferenceFile(fx('text-scores.jsonl'))).items);
  });

  it('reads a gzip-compressed JSON array', async () => {
    const a = await readAnyPreferenceFile(fx('text-scores-dialogue.json.gz'));
    expect(a.report.files[0]).toMatchObject({ gzip: true, container: 'json', format: 'text-scores' });
    expect(a.items).toEqual((await readAnyPreferenceFile(fx('text-scores-dialogue.json'))).items);
  });
});

describe('text/scores family', () => {
  it('prompt<sep>response with any number of responses, ties, ids and type', async () => {
    const { items, report } = await readAnyPreferenceFile(fx('text-scores.jsonl'));
    expect(items[0]).toEqual({ id: 'q1', prompt: `${H}Q1${A}`, responses: [' best', ' middle', ' worst'], scores: [2, 1, 0] });
    expect(items[1]).toEqual({ id: 'q3', prompt: `${H}Q3${A}`, responses: [' golden', ' sample'], scores: [1, 0], kind: 'apo' });
    // A numeric query_id becomes a string; a partial tie is a valid item.
    expect(items[2]).toEqual({ id: '4', prompt: `${H}Q4${A}`, responses: [' a', ' b', ' c'], scores: [1, 1, 0] });
    // The all-tied item (q2) has no ordered pair: dropped by rule, counted.
    expect(report).toMatchObject({ read: 4, kept: 3, dropped: 1, droppedBy: { allTied: 1 } });
    const kept = await readAnyPreferenceFile(fx('text-scores.jsonl'), { rules: { allTied: 'keep' } });
    expect(kept.items.map((i) => i.id)).toEqual(['q1', 'q2', 'q3', '4']);
  });

  it('whole dialogues with "score" in a JSON array (the DSP shape)', async () => {
    const { items, report } = await readAnyPreferenceFile(fx('text-scores-dialogue.json'));
    expect(report.files[0]).toMatchObject({ container: 'json', format: 'text-scores' });
    expect(items[0]).toEqual({ prompt: `${H}Why is the sky blue?${A}`, responses: [' Rayleigh scattering.', ' Because.'], scores: [1, 0] });
    // Identical responses with different scores: kept by default, counted.
    expect(items[1].responses).toEqual([' hi', ' hi']);
    expect(report.flagged.identicalResponses).toBe(1);
    const dropped = await readAnyPreferenceFile(fx('text-scores-dialogue.json'), { rules: { identicalResponses: 'drop' } });
    expect(dropped.items).toHaveLength(1);
  });

  it('a custom separator', async () => {
    const loader = new DataLoader({ separator: '|||' });
    const out = [];
    for await (const item of loader.preferenceItems(fx('text-scores.jsonl'))) out.push(item);
    // With another separator, "<sep>" is just text and the split falls back to the Assistant turn.
    expect(out[0].prompt).toBe(`${H}Q1${A}`);
    expect(out[0].responses[0]).toBe('<sep> best');
  });
});

describe('TRL {prompt, chosen, rejected}', () => {
  it('plain strings are taken as they are', async () => {
    const { items, formats } = await readAnyPreferenceFile(fx('trl.jsonl'));
    expect(formats).toEqual(['trl']);
    expect(items[0]).toEqual({ prompt: 'What is the capital of France?', responses: [' Paris.', ' Lyon.'], scores: [1, 0] });
    expect(items[1].responses).toEqual([' cat', '']);
  });

  it('message lists are rendered into the HH dialogue shape', async () => {
    const { items } = await readAnyPreferenceFile(fx('trl-conversational.jsonl'));
    expect(items).toEqual([{ prompt: `\n\nSystem: Be brief.${H}What is the capital of France?${A}`, responses: [' Paris.', ' Lyon.'], scores: [1, 0] }]);
  });
});

describe('golden answers, samples, scores, prompts', () => {
  it('golden {query_id, golden}', async () => {
    const { records, report } = await readGoldenAnswers(fx('golden.jsonl'));
    expect(records).toEqual([
      { queryId: 'q1', golden: ' The best answer.' },
      { queryId: 'q2', golden: ' Another.' },
      { queryId: 'q9', golden: '' },
    ]);
    expect(report.flagged.emptyGolden).toBe(1);
  });

  it('samples {query_id, query, sample_k} and RJS targets with a scores dict', async () => {
    const { records } = await readSampleSets(fx('samples.jsonl'));
    expect(records[0]).toEqual({ queryId: 'q1', prompt: `${H}Q1${A}`, samples: [' s0', ' s1', ' s2', ' s3'] });
    const rjs = await readSampleSets(fx('rjs.jsonl'));
    expect(rjs.records[0]).toEqual({ queryId: 'q1', prompt: `${H}Q1${A}`, samples: [' s0', ' s1'], scores: [0.1, 0.9] });
  });

  it('scored samples as a list of dicts and as one pretty-printed dict', async () => {
    const list = await readScoreEntries(fx('scores.json'));
    expect(list.records).toEqual([
      { queryId: 'q1', key: 'sample_0', score: 0.5 },
      { queryId: 'q1', key: 'sample_1', score: -1.25 },
      { queryId: 'q1', key: 'sample_2', score: 2 },
      { queryId: 'q1', key: 'sample_3', score: 0 },
    ]);
    const one = await readScoreEntries(fx('scores-dict.json'));
    expect(one.report.files[0]).toMatchObject({ container: 'json', format: 'scored-samples' });
    expect(one.records).toEqual([
      { queryId: 'q3', key: 'sample_0', score: 1.5 },
      { queryId: 'q3', key: 'sample_1', score: -0.5 },
    ]);
  });

  it('prompt files: {prompt} (string or messages), {query_id, query}, and text lines', async () => {
    const a = await readPrompts(fx('prompts.jsonl'));
    expect(a.records.map((r) => r.prompt)).toEqual([`${H}Tell me a joke.${A}`, `${H}Hello?${A}`]);
    expect(a.records[0].queryId).toMatch(/^p-[0-9a-f]{16}$/);
    const b = await readPrompts(fx('prompts-query.jsonl'));
    expect(b.records).toEqual([
      { queryId: 'a', prompt: `${H}One${A}` },
      { queryId: 'b', prompt: `${H}Two${A}` },
    ]);
    const c = await readPrompts(fx('prompts.txt'));
    expect(c.report.files[0]).toMatchObject({ container: 'text', format: 'prompts' });
    expect(c.records.map((r) => r.prompt)).toEqual([`${H}What is the tallest mountain?${A}`, `${H}How do magnets work?${A}`]);
    const raw = await readPrompts(fx('prompts.txt'), { wrapTextPrompts: false });
    expect(raw.records[0].prompt).toBe('What is the tallest mountain?');
  });

  it('readDataFile reports the detected format of any file', async () => {
    const expected: Record<string, string> = {
      'hh.jsonl': 'hh',
      'trl.jsonl': 'trl',
      'text-scores-dialogue.json': 'text-scores',
      'golden.jsonl': 'golden',
      'samples.jsonl': 'samples',
      'scores.json': 'scored-samples',
      'prompts.txt': 'prompts',
    };
    for (const [file, format] of Object.entries(expected)) expect([file, (await readDataFile(fx(file))).format]).toEqual([file, format]);
  });

  it('the format override reads a file as the given format', async () => {
    // Read as prompts, an HH file has no "prompt": every record is reported missing one.
    const loader = new DataLoader({ format: 'prompts', policy: 'skip' });
    for await (const _ of loader.records(fx('hh.jsonl'))) void _;
    expect(loader.report).toMatchObject({ read: 3, kept: 0, skipped: 3 });
    expect(loader.report.files[0].detected).toBe(false);
    expect(loader.report.problems[0].message).toMatch(/prompt/);
  });
});
