// Issue 17: bounded lines, UTF-16 files, overflowing scores, JSON-array errors at the right item,
// hints that match the caller's options, and public preference files that need field/marker
// mapping, an explicit tie policy or multi-response records.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir } from '@apogee/testing';
import { readAnyPreferenceFile, readPrompts, type ReadOptions } from './index';

const H = '\n\nHuman: ';
const A = '\n\nAssistant:';
let tmp: { dir: string; cleanup: () => void };
beforeEach(() => (tmp = makeTempDir('apogee-reliab-')));
afterEach(() => tmp.cleanup());
const write = (name: string, data: string | Buffer) => {
  const f = path.join(tmp.dir, name);
  fs.writeFileSync(f, data);
  return f;
};
const jsonl = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';
async function problems(file: string, options: ReadOptions = {}) {
  try {
    await readAnyPreferenceFile(file, options);
  } catch (e) {
    return e as { message: string; problems: Array<{ path: string; message: string }>; hint?: string };
  }
  throw new Error('expected the read to fail');
}

describe('bounded input', () => {
  it('a line longer than maxLineBytes stops the read with an error naming its line', async () => {
    const good = JSON.stringify({ chosen: `${H}x${A} yes`, rejected: `${H}x${A} no` });
    // 2.5 MiB on line 2, spread over three 1 MiB read chunks.
    const f = write('long.jsonl', `${good}\n{"chosen": "${'a'.repeat(5 << 19)}"}\n${good}\n`);
    const e = await problems(f, { maxLineBytes: 2 << 20 });
    expect(e.problems[0].path).toMatch(/long\.jsonl:2$/);
    expect(e.problems[0].message).toMatch(/line 2 is longer than 2 MiB \(the "maxLineBytes" limit\)/);
    // Lines inside one chunk are measured too.
    const g = write('short-limit.jsonl', `${good}\n${good}\n`);
    const e2 = await problems(g, { maxLineBytes: 40 });
    expect(e2.problems[0].message).toMatch(/line 1 is longer than 40 bytes/);
  });

  it('/dev/zero (no line ever ends) gives an error instead of reading forever', async () => {
    const e = await problems('/dev/zero', { maxLineBytes: 4 << 20 });
    expect(e.problems.map((p) => p.message).join('\n')).toMatch(/longer than 4 MiB/);
  });

  it('a UTF-16 file is named as such (with or without a byte-order mark), not taken for prompts', async () => {
    const text = jsonl([{ chosen: `${H}x${A} yes`, rejected: `${H}x${A} no` }]);
    const le = write('bom.jsonl', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    expect((await problems(le)).problems[0].message).toMatch(/is UTF-16LE \(byte-order mark FF FE\) encoded, not UTF-8.*iconv -f UTF-16LE -t UTF-8/);
    const noBom = write('nobom.txt', Buffer.from('What is 2+2?\nName a colour.\n', 'utf16le'));
    await expect(readPrompts(noBom)).rejects.toMatchObject({ problems: [{ message: expect.stringMatching(/is UTF-16LE encoded, not UTF-8/) }] });
  });

  it('scores whose range overflows a float64 ([1e308, -1e308]) are refused naming the field', async () => {
    const f = write('huge.jsonl', jsonl([{ text: [`${H}q${A} a`, `${H}q${A} b`], scores: [1e308, -1e308] }]));
    const e = await problems(f);
    expect(e.problems).toEqual([{ path: expect.stringMatching(/huge\.jsonl:1 scores$/), message: expect.stringMatching(/range from -1e\+308 to 1e\+308: the difference overflows/) }]);
  });

  it('a JSON-array syntax error is reported after the last good item', async () => {
    const items = Array.from({ length: 10 }, (_, i) => JSON.stringify({ chosen: `${H}q${i}${A} yes`, rejected: `${H}q${i}${A} no` }));
    const f = write('trailing.json', `[\n${items.join(',\n')},\n]\n`);
    const e = await problems(f);
    expect(e.problems[0].path).toMatch(/trailing\.json\[10\]$/);
    expect(e.problems[0].message).toMatch(/invalid JSON at line 12 after item \[9\]/);
  });

  it('the hint offers policy "skip" only where the caller offers it', async () => {
    const f = write('bad.jsonl', '{"chosen": 1}\n');
    expect((await problems(f)).hint).toMatch(/policy "skip"/);
    expect((await problems(f, { skipHint: null })).hint).toBe('Fix or remove the listed records.');
    expect((await problems(f, { skipHint: 'pass --skip-bad' })).hint).toMatch(/or pass --skip-bad to skip/);
  });
});

describe('public preference files', () => {
  it('maps field names (OpenRLHF-style input/chosen/rejected keys) and names errors by the file’s own fields', async () => {
    const f = write(
      'se.jsonl',
      jsonl([
        { question: 'Why?', response_j: 'Because.', response_k: 'No idea.', qid: 7 },
        { question: 'How?', response_j: 3, response_k: 'Somehow.', qid: 8 },
      ]),
    );
    const fields = { prompt: 'question', chosen: 'response_j', rejected: 'response_k', query_id: 'qid' };
    const e = await problems(f, { fields });
    expect(e.problems).toEqual([{ path: expect.stringMatching(/se\.jsonl:2 response_j$/), message: 'is not a string or a list of {role, content} messages' }]);
    const { items } = await readAnyPreferenceFile(f, { fields, policy: 'skip' });
    expect(items).toEqual([{ id: '7', prompt: 'Why?', responses: ['Because.', 'No idea.'], scores: [1, 0] }]);
    await expect(readAnyPreferenceFile(f, { fields: { chosen: 'a', rejected: 'a' } })).rejects.toThrow(/maps both "chosen" and "rejected" to "a"/);
  });

  it('reads dialogues marked "## Human:" / "## Assistant:" as HH dialogues', async () => {
    const d = (answer: string) => `## Human: Hi there\n\n## Assistant: Hello.\n\n## Human: Tell me a joke\n\n## Assistant: ${answer}`;
    const f = write('md.jsonl', jsonl([{ chosen: d('Knock knock.'), rejected: d('No.') }]));
    const { items } = await readAnyPreferenceFile(f, { roleMarkers: { human: '## Human:', assistant: '## Assistant:' } });
    expect(items).toEqual([{ prompt: `${H}Hi there${A} Hello.${H}Tell me a joke${A}`, responses: [' Knock knock.', ' No.'], scores: [1, 0] }]);
    // Without the mapping the file is not silently misread.
    await expect(readAnyPreferenceFile(f)).rejects.toThrow(/problem/);
  });

  it('ties are dropped by default and kept on request, from pair scores or text/scores records', async () => {
    const f = write(
      'ties.jsonl',
      jsonl([
        { prompt: `${H}a${A}`, chosen: ' x', rejected: ' y', chosen_score: 4, rejected_score: 4 },
        { prompt: `${H}b${A}`, chosen: ' x', rejected: ' y', chosen_score: 5, rejected_score: 2 },
        { prompt: `${H}c${A}`, chosen: ' x', rejected: ' y' },
      ]),
    );
    const dropped = await readAnyPreferenceFile(f);
    expect(dropped.items.map((i) => i.scores)).toEqual([[5, 2], [1, 0]]);
    expect(dropped.report.droppedBy).toEqual({ allTied: 1 });
    const kept = await readAnyPreferenceFile(f, { ties: 'keep' });
    expect(kept.items.map((i) => i.scores)).toEqual([[4, 4], [5, 2], [1, 0]]);
    expect(kept.report.flagged.allTied).toBe(1);
    await expect(readAnyPreferenceFile(f, { ties: 'maybe' as never })).rejects.toThrow(/"ties" must be one of "keep", "drop"/);
  });

  it('multi-response records {query, responses: {name: text}, scores: {name: score}} load as ranked items', async () => {
    const f = write(
      'multi.jsonl',
      jsonl([
        { query: 'Name a prime.', responses: { gpt4: 'Seven.', alpaca: 'Nine.', llama: 'Two.' }, scores: { gpt4: 9, alpaca: 2, llama: 7.5 }, query_id: 'q1' },
        { prompt: `${H}Say hi${A}`, responses: [' Hi!', ' Bye.'], scores: [1, -3] },
      ]),
    );
    const { items, formats } = await readAnyPreferenceFile(f);
    expect(formats).toEqual(['multi-response']);
    expect(items).toEqual([
      { id: 'q1', prompt: `${H}Name a prime.${A}`, responses: [' Seven.', ' Nine.', ' Two.'], scores: [9, 2, 7.5] },
      { prompt: `${H}Say hi${A}`, responses: [' Hi!', ' Bye.'], scores: [1, -3] },
    ]);
    const bad = write('multi-bad.jsonl', jsonl([{ query: 'q', responses: { a: 'x', b: 'y' }, scores: { a: 1, c: 2 } }]));
    const e = await problems(bad);
    expect(e.problems.map((p) => `${p.path.replace(/.*:1 /, '')}: ${p.message}`)).toEqual(['scores.b: is missing', 'scores.c: has no response of that name']);
  });
});
