// train-rm and eval-rm on the real HH-RLHF test files beside the checkout (../shared/data).
// Skipped, saying so, when they are absent.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describeWithSharedData, sharedDataPath } from '@apogee/testing';
import { memoryIo } from '../io';
import { runCli } from '../main';
import { tempDir } from '../testing/fixtures';

describeWithSharedData('train-rm / eval-rm on real preference data', 'dsp/helpful.test.json', (dsp) => {
  it('trains on text/score pairs and evaluates on gzipped HH-RLHF, long dialogues and all', async () => {
    const hh = sharedDataPath('hh-rlhf/harmless-base.test.jsonl.gz');
    const t = tempDir();
    try {
      const io = memoryIo(t.dir);
      expect(await runCli(['train-rm', '--train', dsp, '--max-pairs', '16', '--eval', dsp, '--max-eval', '16', '--out', 'rm', '--block-size', '96', '--batch-size', '8', '--no-report'], { io })).toBe(0);
      const summary = JSON.parse(readFileSync(path.join(t.dir, 'rm', 'summary.json'), 'utf8'));
      expect(summary).toMatchObject({ trainItems: 16, items: 16, pairs: 16 });
      if (!hh) return;
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
