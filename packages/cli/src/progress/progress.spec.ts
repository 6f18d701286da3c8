import { LineProgress, ProgressCallback } from './progress';

describe('plain-line progress (not a TTY, or CI)', () => {
  it('prints a start line, throttled updates with rate and ETA, and an end line', () => {
    let now = 0;
    let out = '';
    const p = new LineProgress((t) => (out += t), 10_000, () => now);
    const task = p.task('pre-training π₀', 100);
    now = 5_000;
    task.update(10); // within the interval: silent
    now = 20_000;
    task.update(40, undefined, { loss: 1.2345 });
    now = 50_000;
    task.finish('loss 0.9');
    expect(out.split('\n')).toEqual([
      'pre-training π₀: started (100 to do)',
      'pre-training π₀: 40/100 (40%) 2.0/s ETA 30s loss 1.23',
      'pre-training π₀: done in 50s: loss 0.9',
      '',
    ]);
  });

  it('turns the game events into one task per phase of each round', async () => {
    let now = 0;
    let out = '';
    const cb = new ProgressCallback(new LineProgress((t) => (out += t), 1_000, () => now), 'dpo-apo · ');
    cb.onPhaseStart({ round: 1, phase: 'sample-llm', total: 8 });
    now = 2_000;
    cb.onProgress({ round: 1, phase: 'sample-llm', done: 4, total: 8 });
    cb.onPhaseEnd({ round: 1, phase: 'sample-llm', metrics: { 'sample/length': 42 } });
    cb.onPhaseStart({ round: 1, phase: 'update-policy' });
    now = 4_000;
    cb.onStep({ round: 1, phase: 'update-policy', step: 3, totalSteps: 10, loss: 0.5, lr: 1e-4, gradNorm: 1, metrics: {} });
    cb.onPhaseEnd({ round: 1, phase: 'update-policy', metrics: { 'policy/steps': 10 } });
    cb.onRoundEnd({ round: 1, metrics: { goldReward: 0.5 } });
    expect(out).toContain('dpo-apo · round 1 sample-llm: started (8 to do)\n');
    expect(out).toContain('dpo-apo · round 1 sample-llm: 4/8 (50%) 2.0/s ETA 2s\n');
    expect(out).toContain('dpo-apo · round 1 sample-llm: done in 2s: sample/length 42.0\n');
    expect(out).toContain('dpo-apo · round 1 update-policy: 3/10 (30%) 1.5/s ETA 5s loss 0.500\n');
    expect(out).toContain('dpo-apo · round 1 done: goldReward 0.500\n');
  });
});
