import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApogeeError, createRun, TOKENS } from '@apogee/core';
import { describePlugin, makeTempDir } from '@apogee/testing';
import { fileDataSource, FileDataSource } from './index';

const fx = (name: string) => path.join(__dirname, '..', 'fixtures', name);

describePlugin('file-data-source', (o) => fileDataSource(o), { options: { humanFiles: [fx('hh.jsonl')] } });

describe('fileDataSource', () => {
  it('loads human items, golden answers joined to RM queries from the human items, and LLM queries', async () => {
    const run = await createRun({
      plugins: [fileDataSource({ humanFiles: [fx('text-scores.jsonl'), fx('hh-gzipped.json')], goldenFile: fx('golden.jsonl'), llmQueriesFile: fx('prompts.txt'), policy: 'skip' })],
    });
    const source = run.resolve(TOKENS.GameDataSource) as FileDataSource;
    const data = await source.load();
    expect(data.humanItems).toHaveLength(3 + 3);
    // Golden q1 matches the human item with id q1; q2 was dropped (all tied) and q9 has no prompt anywhere.
    expect(data.rmQueries).toEqual([{ queryId: 'q1', prompt: '\n\nHuman: Q1\n\nAssistant:' }]);
    expect(data.golden).toEqual([{ queryId: 'q1', golden: ' The best answer.', prompt: '\n\nHuman: Q1\n\nAssistant:' }]);
    expect(data.llmQueries).toHaveLength(2);
    const report = source.lastReport!;
    expect(report.problems.map((p) => p.path.replace(/^.*golden\.jsonl/, 'golden.jsonl'))).toEqual(['golden.jsonl query_id q2', 'golden.jsonl query_id q9']);
    expect(report.read).toBe(report.kept + report.skipped + report.dropped);
    await run.dispose();
  });

  it('policy error: every problem of every file in one error, before any training', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const rm = path.join(dir, 'rm-queries.jsonl');
      fs.writeFileSync(rm, '{"query_id": "q1", "query": "\\n\\nHuman: Q1\\n\\nAssistant:"}\n{"query_id": "q7", "query": "x"}\n');
      const run = await createRun({ plugins: [fileDataSource({ humanFiles: [fx('bad.jsonl'), fx('hh.jsonl')], goldenFile: fx('golden.jsonl'), rmQueriesFile: rm })] });
      const err = (await run.resolve(TOKENS.GameDataSource).load().catch((e) => e)) as ApogeeError;
      expect(err).toBeInstanceOf(ApogeeError);
      expect(err.code).toBe('APOGEE_DATA_INVALID');
      const paths = err.problems.map((p) => path.basename(p.path));
      expect(paths).toContain('bad.jsonl:4 scores[1]');
      expect(err.problems.map((p) => p.path)).toContainEqual(expect.stringMatching(/golden\.jsonl query_id q2$/));
      expect(err.problems.map((p) => p.path)).toContainEqual(expect.stringMatching(/rm-queries\.jsonl query_id q7$/));
      await run.dispose();
    } finally {
      cleanup();
    }
  });

  it('bad options name the plugin and the field', () => {
    expect(() => fileDataSource({ humanFiles: [], policy: 'loose' as never })).toThrow(/file-data-source/);
  });
});
