import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir } from '@apogee/testing';
import { ApogeeError, ERROR_CODES } from '@apogee/core';
import { DataLoader, readAnyPreferenceFile, readGoldenAnswers, readSampleSets, readScoreEntries, type LoadReport } from './index';

const fx = (name: string) => path.join(__dirname, '..', 'fixtures', name);

async function caught(p: Promise<unknown>): Promise<ApogeeError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ApogeeError);
    return e as ApogeeError;
  }
  throw new Error('expected an ApogeeError');
}

function balanced(r: LoadReport): void {
  expect(r.read).toBe(r.kept + r.skipped + r.dropped);
  for (const f of r.files) expect(f.read).toBe(f.kept + f.skipped + f.dropped);
  expect(Object.values(r.droppedBy).reduce((a, b) => a + (b ?? 0), 0)).toBe(r.dropped);
}

describe('malformed records', () => {
  it('policy error (default): reads everything, then one DATA_INVALID error naming file, line and field of each', async () => {
    const err = await caught(readAnyPreferenceFile(fx('bad.jsonl')));
    expect(err.code).toBe(ERROR_CODES.DATA_INVALID);
    expect(err.message).toContain('bad.jsonl');
    expect(err.message).toContain('11 malformed records of 12 read');
    const at = (suffix: string) => err.problems.find((p) => p.path.endsWith(suffix));
    expect(at('bad.jsonl:2 scores')?.message).toBe('is missing');
    expect(at('bad.jsonl:3 text')?.message).toMatch(/must be a list of strings \(got a string\)/);
    expect(at('bad.jsonl:4 scores[1]')?.message).toBe('must be finite (got Infinity)');
    expect(at('bad.jsonl:5 text')?.message).toMatch(/at least two responses/);
    expect(at('bad.jsonl:6 scores')?.message).toBe('has 3 scores for 2 texts');
    expect(at('bad.jsonl:7')?.message).toMatch(/^invalid JSON/);
    expect(at('bad.jsonl:8')?.message).toMatch(/NaN and Infinity are not JSON numbers/);
    expect(at('bad.jsonl:9 text[1]')?.message).toMatch(/must be a string \(got a number\)/);
    expect(at('bad.jsonl:9 scores[0]')?.message).toMatch(/must be a number \(got a string\)/);
    expect(at('bad.jsonl:10 text[1]')?.message).toMatch(/different prompt/);
    expect(at('bad.jsonl:11 text[0]')?.message).toMatch(/no "\\n\\nAssistant:" turn/);
    expect(at('bad.jsonl:12')?.message).toMatch(/must be a JSON object \(got an array\)/);
    expect(err.problems).toHaveLength(12);
    expect(err.describe()).toContain('bad.jsonl:4 scores[1]: must be finite');
  });

  it('policy skip: keeps the good records, counts and lists the bad', async () => {
    const { items, report } = await readAnyPreferenceFile(fx('bad.jsonl'), { policy: 'skip' });
    expect(items).toHaveLength(1);
    expect(report).toMatchObject({ read: 12, kept: 1, skipped: 11, problemCount: 12 });
    balanced(report);
  });

  it('lists at most maxListed problems and counts the rest', async () => {
    const err = await caught(readAnyPreferenceFile(fx('bad.jsonl'), { maxListed: 3 }));
    expect(err.problems).toHaveLength(4);
    expect(err.problems[3]).toEqual({ path: '…', message: 'and 9 more problems not listed' });
    const { report } = await readAnyPreferenceFile(fx('bad.jsonl'), { policy: 'skip', maxListed: 3 });
    expect(report.problems).toHaveLength(3);
    expect(report.problemCount).toBe(12);
  });

  it('bad golden, sample and score records name their fields', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const g = path.join(dir, 'g.jsonl');
      fs.writeFileSync(g, '{"query_id": "a", "golden": "x"}\n{"query_id": "b", "golden": 3}\n{"golden": "y", "query_id": {"x": 1}}\n');
      const ge = await caught(readGoldenAnswers(g));
      expect(ge.problems.map((p) => p.path.replace(/^.*g\.jsonl/, ''))).toEqual([':2 golden', ':3 query_id']);
      const s = path.join(dir, 's.jsonl');
      fs.writeFileSync(s, '{"query_id": "a", "query": "q", "sample_0": "x", "sample_2": "z"}\n{"query_id": "b", "query": "q", "sample_0": "x", "scores": {"sample_0": "1"}}\n');
      const se = await caught(readSampleSets(s));
      expect(se.problems.map((p) => `${p.path.replace(/^.*s\.jsonl/, '')} ${p.message}`)).toEqual([
        ':1 sample_1 is missing (sample keys must run sample_0..sample_1 without gaps)',
        ':2 scores.sample_0 must be a number (got a string)',
      ]);
      const sc = path.join(dir, 'sc.json');
      fs.writeFileSync(sc, '[{"a:sample_0": 1}, {"a:sample_1": "2"}, {"a:sample_2": 1e400}]');
      const sce = await caught(readScoreEntries(sc));
      expect(sce.problems.map((p) => `${p.path.replace(/^.*sc\.json/, '')} ${p.message}`)).toEqual([
        '[1] "a:sample_1" must be a number (got a string)',
        '[2] "a:sample_2" must be finite (got Infinity)',
      ]);
    } finally {
      cleanup();
    }
  });
});

describe('broken files', () => {
  it('invalid UTF-8 in JSONL is reported with its line; the other lines load under skip', async () => {
    const err = await caught(readAnyPreferenceFile(fx('bad-utf8.jsonl')));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0].path).toMatch(/bad-utf8\.jsonl:2$/);
    expect(err.problems[0].message).toMatch(/invalid UTF-8 at byte 43 of the line \(0xff\)/);
    const { items, report } = await readAnyPreferenceFile(fx('bad-utf8.jsonl'), { policy: 'skip' });
    expect(items).toHaveLength(2);
    expect(report).toMatchObject({ read: 3, kept: 2, skipped: 1 });
  });

  it('invalid UTF-8 in a JSON array is reported with its line', async () => {
    const err = await caught(readAnyPreferenceFile(fx('bad-utf8-array.json')));
    expect(err.problems[0].path).toMatch(/bad-utf8-array\.json:3$/);
    expect(err.problems[0].message).toMatch(/invalid UTF-8 at line 3, byte 18 of the line \(0xc3\)/);
  });

  it('a truncated gzip keeps what was read, marks the file incomplete and says why', async () => {
    const err = await caught(readAnyPreferenceFile(fx('truncated.jsonl.gz')));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0].path).toMatch(/truncated\.jsonl\.gz:\d+$/);
    expect(err.problems[0].message).toMatch(/^truncated gzip/);
    const { items, report } = await readAnyPreferenceFile(fx('truncated.jsonl.gz'), { policy: 'skip' });
    expect(items.length).toBeGreaterThan(0);
    expect(items.length).toBeLessThan(200);
    expect(report.files[0].complete).toBe(false);
    balanced(report);
  });

  it('a JSON array broken mid-way is reported at the array index', async () => {
    const err = await caught(readAnyPreferenceFile(fx('bad-array.json')));
    expect(err.problems[0].path).toMatch(/bad-array\.json\[2\]$/);
    expect(err.problems[0].message).toMatch(/invalid JSON at line \d+ after item \[1\]/);
  });

  it('unknown formats, empty and missing files, and the wrong kind of file', async () => {
    const unknown = await caught(readAnyPreferenceFile(fx('unknown.jsonl')));
    expect(unknown.problems[0].message).toMatch(/cannot tell the data format: the first record has keys "foo", "bar"/);
    const empty = await caught(readAnyPreferenceFile(fx('empty.jsonl')));
    expect(empty.problems[0].message).toBe('the file holds no records');
    const missing = await caught(readAnyPreferenceFile(fx('nope.jsonl')));
    expect(missing.problems[0].message).toBe('file not found');
    const golden = await caught(readAnyPreferenceFile(fx('golden.jsonl')));
    expect(golden.problems[0].message).toMatch(/holds golden records, but preference items \(hh, text-scores, trl or multi-response\) were expected/);
    const text = await caught(readGoldenAnswers(fx('prompts.txt')));
    expect(text.problems[0].message).toMatch(/holds prompts records, but golden answers were expected/);
  });

  it('bad options are INVALID_ARGUMENT errors naming the allowed values', () => {
    expect(() => new DataLoader({ policy: 'ignore' as never })).toThrow(/"policy" must be one of "error", "skip"/);
    expect(() => new DataLoader({ format: 'csv' as never })).toThrow(/"format" must be one of "hh"/);
  });
});

describe('suspicious records and the load report', () => {
  it('long prompts are dropped by rule (characters, or tokens with a tokenizer) and counted', async () => {
    const chars = await readAnyPreferenceFile(fx('hh.jsonl'), { maxPromptLength: 40 });
    // Prompt lengths: 42, 63, 35 characters.
    expect(chars.items.map((i) => i.prompt.length)).toEqual([35]);
    expect(chars.report.droppedBy).toEqual({ longPrompt: 2 });
    balanced(chars.report);
    const words = { encode: (s: string) => s.split(/\s+/).filter(Boolean).map(() => 1) } as never;
    const tokens = await readAnyPreferenceFile(fx('hh.jsonl'), { maxPromptLength: 8, tokenizer: words });
    // Word counts: 8, 9, 5.
    expect(tokens.items).toHaveLength(2);
    expect(tokens.report.droppedBy).toEqual({ longPrompt: 1 });
  });

  it('one loader, several files: one report and one error for all of them', async () => {
    const loader = new DataLoader();
    const items = [];
    for await (const item of loader.preferenceItems([fx('hh.jsonl'), fx('bad.jsonl'), fx('trl.jsonl')])) items.push(item);
    expect(items).toHaveLength(3 + 1 + 2);
    expect(loader.report.files.map((f) => [path.basename(f.file), f.format, f.read])).toEqual([
      ['hh.jsonl', 'hh', 3],
      ['bad.jsonl', 'text-scores', 12],
      ['trl.jsonl', 'trl', 2],
    ]);
    balanced(loader.report);
    expect(() => loader.finish()).toThrow(ApogeeError);
  });
});
