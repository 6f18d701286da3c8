import 'reflect-metadata';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir } from '@apogee/testing';
import { goldReward, PreferenceWorld } from '@apogee/world';
import { runQuickstart, SFT_ROW, type QuickstartEvent } from './run-quickstart';
import { QUICKSTART_PRESETS, QUICKSTART_VARIANTS } from './presets';
import { SUMMARY_METRICS } from './summary';

// The whole quickstart, `fast` preset, every variant: checks structure and sanity, never the
// scientific outcome (that is docs/results.md, measured with the default preset).
describe('runQuickstart (fast preset, end to end)', () => {
  const { dir, cleanup } = makeTempDir('apogee-quickstart-');
  afterAll(cleanup);
  const events: QuickstartEvent[] = [];
  let result: Awaited<ReturnType<typeof runQuickstart>>;

  beforeAll(async () => {
    result = await runQuickstart({ outDir: dir, seeds: [1], preset: 'fast', backend: 'auto', onEvent: (e) => events.push(e) });
  }, 1_800_000);

  it('writes summary.json with exactly the documented fields, finite where defined', () => {
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    expect(summary.seeds).toEqual([1]);
    expect(typeof summary.backend).toBe('string');
    expect(Object.keys(summary.variants).sort()).toEqual([SFT_ROW, ...QUICKSTART_VARIANTS].sort());
    for (const [name, metrics] of Object.entries<Record<string, { mean: number; std: number }>>(summary.variants)) {
      expect(Object.keys(metrics).sort()).toEqual([...SUMMARY_METRICS].sort());
      for (const key of ['goldReward', 'winRateVsSft', 'kl', 'meanLength', 'proxyReward', 'rmAccuracyHuman']) {
        expect({ name, key, finite: Number.isFinite(metrics[key].mean) }).toEqual({ name, key, finite: true });
        expect(metrics[key].std).toBe(0); // one seed
      }
      expect(metrics.goldReward.mean).toBeGreaterThanOrEqual(0);
      expect(metrics.goldReward.mean).toBeLessThanOrEqual(1);
      expect(metrics.winRateVsSft.mean).toBeGreaterThanOrEqual(0);
      expect(metrics.winRateVsSft.mean).toBeLessThanOrEqual(1);
      expect(metrics.rmAccuracyHuman.mean).toBeGreaterThanOrEqual(0);
      expect(metrics.rmAccuracyHuman.mean).toBeLessThanOrEqual(1);
    }
    expect(summary.variants[SFT_ROW].kl.mean).toBeCloseTo(0, 4);
    const rounds = QUICKSTART_PRESETS.fast.rounds;
    expect(summary.perRound.filter((r: { variant: string }) => r.variant === 'dpo-apo').map((r: { round: number }) => r.round)).toEqual(
      Array.from({ length: rounds }, (_, i) => i + 1),
    );
  });

  // Recorded from main @ 2f0968b, before the game loop, the evaluator contract and π₀'s SFT were
  // reshaped (issue 14): a refactor that changes no behaviour leaves summary.json byte-identical.
  // A change meant to move the numbers (a new experiment, a new preset) records the new hash here.
  const FAST_SUMMARY_SHA256: Readonly<Record<string, string>> = {
    'apogee-cpu': 'e75004888fb1bba9e469a9c7ef47c708aedc995bfbcc9ab1b4bfeaf67cf88779',
  };

  it('reproduces the recorded summary.json byte for byte (same seed, same backend)', () => {
    const backend = result.summary.backend;
    const expected = FAST_SUMMARY_SHA256[backend];
    if (expected === undefined) {
      // No recording for this backend (tfjs-node installed, say): the numbers differ in the last bits.
      expect(Object.keys(FAST_SUMMARY_SHA256)).not.toContain(backend);
      return;
    }
    const bytes = fs.readFileSync(path.join(dir, 'summary.json'));
    expect({ backend, sha256: createHash('sha256').update(bytes).digest('hex') }).toEqual({ backend, sha256: expected });
  });

  it("puts π₀'s gold reward below the golden answers'", () => {
    const world = new PreferenceWorld({ ...QUICKSTART_PRESETS.fast.world, seed: 1 });
    const golden = world.golden().map((g) => goldReward(g.prompt!, g.golden));
    const goldenMean = golden.reduce((a, b) => a + b, 0) / golden.length;
    expect(goldenMean).toBe(1);
    expect(result.summary.variants[SFT_ROW].goldReward.mean!).toBeLessThan(goldenMean);
  });

  it('writes metrics.jsonl with steps of every variant, samples per variant and round, and timing', () => {
    const rows = fs
      .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const steps = rows.filter((r) => r.event === 'step');
    expect(new Set(steps.map((r) => r.variant))).toEqual(new Set([SFT_ROW, ...QUICKSTART_VARIANTS]));
    expect(rows.filter((r) => r.event === 'round-end' && r.variant === 'rjs-apo')).toHaveLength(QUICKSTART_PRESETS.fast.rounds);
    for (const v of QUICKSTART_VARIANTS) {
      const file = path.join(dir, 'samples', v, `round-${QUICKSTART_PRESETS.fast.rounds}.jsonl`);
      const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toHaveLength(QUICKSTART_PRESETS.fast.world.testPrompts!);
      expect(lines[0]).toEqual(expect.objectContaining({ prompt: expect.stringContaining('\n\nHuman: '), seed: 1 }));
    }
    expect(fs.existsSync(path.join(dir, 'samples', SFT_ROW, 'round-0.jsonl'))).toBe(true);
    const timing = JSON.parse(fs.readFileSync(path.join(dir, 'timing.json'), 'utf8'));
    expect(timing.seeds[0].seed).toBe(1);
    expect(Object.keys(timing.seeds[0].variants).sort()).toEqual([...QUICKSTART_VARIANTS].sort());
    expect(timing.totalSeconds).toBeGreaterThan(0);
    expect(events.map((e) => e.type)).toEqual(['start', 'pretrain-end', ...QUICKSTART_VARIANTS.map(() => 'variant-end'), 'done']);
    expect(fs.existsSync(path.join(dir, 'report.html'))).toBe(true);
  });

  it('rejects unknown variants and presets with the allowed values', async () => {
    await expect(runQuickstart({ outDir: dir, variants: ['ppo'] })).rejects.toThrow(/ppo/);
    await expect(runQuickstart({ outDir: dir, preset: 'huge' as never })).rejects.toMatchObject({ code: 'APOGEE_INVALID_ARGUMENT' });
    await expect(runQuickstart({ outDir: dir, seeds: [1, 1] })).rejects.toMatchObject({ code: 'APOGEE_INVALID_ARGUMENT' });
    await expect(runQuickstart({ outDir: dir, apoLossCoeff: -1 })).rejects.toMatchObject({ code: 'APOGEE_INVALID_ARGUMENT' });
  });

  it('records a non-reference APO loss weight in the summary, so it is never merged with reference runs', async () => {
    const other = makeTempDir('apogee-quickstart-coeff-');
    try {
      const r = await runQuickstart({ outDir: other.dir, seeds: [1], preset: 'fast', variants: ['rjs-apo'], rounds: 1, apoLossCoeff: 0, report: false });
      expect(r.summary.preset).toBe('fast+apoLossCoeff=0');
      expect(Number.isFinite(r.summary.variants['rjs-apo'].goldReward.mean)).toBe(true);
      expect(result.summary.preset).toBe('fast'); // the reference weight keeps the preset's name
    } finally {
      other.cleanup();
    }
  }, 600_000);
});
