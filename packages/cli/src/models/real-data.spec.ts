// train-rm and eval-rm on real HH-RLHF test pairs: the sample shipped in @apogee/testing (the
// published gzip JSONL and the same pairs in the text/score layout), so it always runs.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { realDataPath } from '@apogee/testing';
import { memoryIo } from '../io';
import { runCli } from '../main';
import { tempDir } from '../testing/fixtures';

describe('train-rm / eval-rm on real preference data', () => {
  it('trains on text/score pairs and evaluates on gzipped HH-RLHF, long dialogues and all', async () => {
    const textScore = realDataPath('hh-rlhf-harmless-base.sample.text-score.json');
    const hh = realDataPath('hh-rlhf-harmless-base.sample.jsonl.gz');
    const t = tempDir();
    try {
      const io = memoryIo(t.dir);
      expect(await runCli(['train-rm', '--train', textScore, '--max-pairs', '16', '--eval', textScore, '--max-eval', '16', '--out', 'rm', '--block-size', '96', '--batch-size', '8', '--no-report'], { io })).toBe(0);
      const summary = JSON.parse(readFileSync(path.join(t.dir, 'rm', 'summary.json'), 'utf8'));
      expect(summary).toMatchObject({ trainItems: 16, items: 16, pairs: 16 });
      const e = memoryIo(t.dir);
      expect(await runCli(['eval-rm', '--model', 'rm/model', '--data', hh, '--max-pairs', '16', '--json'], { io: e })).toBe(0);
      const r = JSON.parse(e.stdout);
      expect(r.items).toBe(16);
      expect(r.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.accuracy).toBeLessThanOrEqual(1);
    } finally {
      t.cleanup();
    }
  });
});
