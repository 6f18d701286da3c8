// The README's usage example, verbatim in substance: it must keep working.
import * as fs from 'node:fs';
import { readAnyPreferenceFile, formatLoadReport, splitByPrompt, writePreferenceItems } from './src';

it('README example runs', async () => {
  const cwd = process.cwd();
  process.chdir(__dirname);
  const out = `/tmp/rm-train-${process.pid}.jsonl`;
  try {
    const { items, report } = await readAnyPreferenceFile('fixtures/hh-gzipped.json');
    const text = formatLoadReport(report);
    const { train, test } = splitByPrompt(items, { testFraction: 0.5, seed: 1 });
    await writePreferenceItems(out, train);
    expect(text).toMatch(/^fixtures\/hh-gzipped\.json \(hh, jsonl, gzip, detected\): read 3, kept 3, skipped 0, dropped 0/);
    expect(train.length + test.length).toBe(3);
    expect((await readAnyPreferenceFile(out)).items).toEqual(train);
  } finally {
    process.chdir(cwd);
    fs.rmSync(out, { force: true });
  }
});
