import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../testing/fixtures';
import { METRICS_CSV_HEADER, MetricsWriter } from './metrics-writer';
import { dedupeMetrics, readMetricsJsonl } from './read-metrics';

describe('MetricsWriter', () => {
  it('appends every event to metrics.jsonl and long-form metrics.csv, NaN as null / NaN', async () => {
    const t = tempDir();
    try {
      let tick = 0;
      const w = new MetricsWriter(t.dir, { variant: 'dpo-apo', seed: 2 }, () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)));
      w.onRunStart({ rounds: 2, seed: 2 });
      w.onStep({ round: 1, phase: 'train-rm', step: 1, loss: 0.69, lr: 1e-4, gradNorm: 0.5, metrics: { accuracy: 0.5 } });
      w.onPhaseEnd({ round: 1, phase: 'train-rm', metrics: { 'rm/loss': NaN } });
      w.onRoundEnd({ round: 1, metrics: { goldReward: 0.4 } });
      // A second writer on the same directory (resume) appends, never rewrites the header.
      new MetricsWriter(t.dir, { variant: 'dpo-apo', seed: 2 }).onRoundEnd({ round: 1, metrics: { goldReward: 0.45 } });

      const rows = readMetricsJsonl(path.join(t.dir, 'metrics.jsonl'));
      expect(rows.map((r) => r.event)).toEqual(['run-start', 'step', 'phase-end', 'round-end', 'round-end']);
      expect(rows[1]).toEqual({
        time: '2026-01-01T00:00:01.000Z', event: 'step', variant: 'dpo-apo', seed: 2, round: 1, phase: 'train-rm', step: 1,
        metrics: { loss: 0.69, lr: 1e-4, gradNorm: 0.5, accuracy: 0.5 },
      });
      expect(rows[2].metrics).toEqual({ 'rm/loss': null });
      const last = dedupeMetrics(rows).filter((r) => r.event === 'round-end');
      expect(last).toHaveLength(1);
      expect(last[0].metrics.goldReward).toBe(0.45);

      const csv = readFileSync(path.join(t.dir, 'metrics.csv'), 'utf8').trim().split('\n');
      expect(csv[0]).toBe(METRICS_CSV_HEADER);
      expect(csv.filter((l) => l === METRICS_CSV_HEADER)).toHaveLength(1);
      expect(csv).toContain('2026-01-01T00:00:01.000Z,step,dpo-apo,2,1,train-rm,1,loss,0.69');
      expect(csv).toContain('2026-01-01T00:00:02.000Z,phase-end,dpo-apo,2,1,train-rm,,rm/loss,NaN');
      expect(csv).toHaveLength(1 + 2 + 4 + 1 + 1 + 1);
    } finally {
      t.cleanup();
    }
  });
});
