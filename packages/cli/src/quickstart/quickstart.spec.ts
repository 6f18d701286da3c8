import 'reflect-metadata';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CLAIM_IDS } from '@apogee/eval';
import { silentLogger } from '@apogee/core';
import { initBackend } from '@apogee/runtime';
import { makeTempDir } from '@apogee/testing';
import { goldReward, PreferenceWorld } from '@apogee/world';
import { runQuickstart, SFT_ROW, type QuickstartEvent } from './run-quickstart';
import { QUICKSTART_PRESETS, QUICKSTART_VARIANTS } from './presets';
import { SUMMARY_METRICS } from './summary';

// The whole quickstart, `fast` preset, every arm: checks structure and sanity, never the
// scientific outcome (that is docs/results.md, measured with the default preset and declared seeds).
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
      // π₀ has no RM of its own: its RM columns are RM_Base's on the same pairs only.
      const keys = ['goldReward', 'goldRewardTestSampler', 'winRateVsSft', 'kl', 'meanLength', 'correct', 'courtesy1', 'courtesy2', ...(name === SFT_ROW ? [] : ['proxyReward', 'rmAccuracyHuman'])];
      for (const key of keys) {
        expect({ name, key, finite: Number.isFinite(metrics[key].mean) }).toEqual({ name, key, finite: true });
        expect(metrics[key].std).toBe(0); // one seed
      }
      expect(metrics.goldReward.mean).toBeGreaterThanOrEqual(0);
      expect(metrics.goldReward.mean).toBeLessThanOrEqual(1);
      expect(metrics.winRateVsSft.mean).toBeGreaterThanOrEqual(0);
      expect(metrics.winRateVsSft.mean).toBeLessThanOrEqual(1);
      if (name === SFT_ROW) continue;
      expect(metrics.rmAccuracyHuman.mean).toBeGreaterThanOrEqual(0);
      expect(metrics.rmAccuracyHuman.mean).toBeLessThanOrEqual(1);
    }
    expect(summary.variants[SFT_ROW].kl.mean).toBeCloseTo(0, 4);
    // The oracle's RM is the gold reward itself: its proxy is its gold.
    expect(summary.variants.oracle.proxyReward.mean).toBeCloseTo(summary.variants.oracle.goldReward.mean, 6);
    const rounds = QUICKSTART_PRESETS.fast.rounds;
    expect(summary.perRound.filter((r: { variant: string }) => r.variant === 'dpo-apo').map((r: { round: number }) => r.round)).toEqual(
      Array.from({ length: rounds }, (_, i) => i + 1),
    );
  });

  it('writes the claims block with exactly the issue-13 ids and fields, and the comparison blocks', () => {
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    expect(summary.claims.map((c: { id: string }) => c.id)).toEqual([...CLAIM_IDS]);
    for (const c of summary.claims) {
      expect(Object.keys(c)).toEqual(expect.arrayContaining(['id', 'description', 'estimate', 'ci95', 'seedsPositive', 'seeds', 'pValue']));
      expect(c.seeds).toBe(1);
      expect(c.ci95).toHaveLength(2);
      expect(c.pValue).toBe(1); // one seed can never reject
    }
    // Same-pair RM evaluation: every round's RMs on one pool; the control and fresh RMs on the last round.
    const last = summary.samePairs.filter((r: { round: number }) => r.round === QUICKSTART_PRESETS.fast.rounds).map((r: { rm: string }) => r.rm);
    expect(last.sort()).toEqual(['control', 'dpo-apo', 'fresh', 'rjs-apo', 'rmBase', 'rrhf-apo']);
    const pairs = new Set(summary.samePairs.filter((r: { round: number }) => r.round === 1).map((r: { pairs: number }) => r.pairs));
    expect(pairs.size).toBe(1); // the same pairs for every RM
    // Best-of-n: every selector for n = 1…bestOfN, with the closed-form KL.
    const bon = summary.bestOfN.filter((b: { rm: string }) => b.rm === 'gold');
    expect(bon.map((b: { n: number }) => b.n)).toEqual([1, 2, 3, 4]);
    expect(bon[3].kl).toBeCloseTo(Math.log(4) - 3 / 4, 9);
    for (let i = 1; i < bon.length; i++) expect(bon[i].gold).toBeGreaterThanOrEqual(bon[i - 1].gold - 1e-12); // gold-selected never gets worse
    expect(summary.frontier.some((r: { arm: string; round: number }) => r.arm === 'rjs-apo' && r.round === 2)).toBe(true);
    expect(summary.worldValidity.perSeed).toHaveLength(1);
  });

  // Recorded on main @ fb667ad (world13's quickstart protocol, issue 13) and reproduced byte for byte
  // by arch14's merge of it (issue 14's reshaping changes no number; before world13's redesign the
  // same check held against main @ 2f0968b's e75004…). A change meant to move the numbers (a new
  // experiment, a new preset) records the new hash here.
  // Keyed by backend and matrix-product path: OpenBLAS's kernel family and the no-BLAS SIMD GEMM add
  // in different orders, so each gives its own last bits (recorded on an AVX2 machine).
  const FAST_SUMMARY_SHA256: Readonly<Record<string, string>> = {
    'apogee-cpu · OpenBLAS Haswell': 'c969e09a6faf4e8576d71c036368c4b13b11b65538b777317f3677dc76e14eb7',
    'apogee-cpu · no BLAS': '9bcdd9e7fee6ae7da502dccb14be308baf93576d39709fffd0869b09c3d658f5',
  };

  it('reproduces the recorded summary.json byte for byte (same seed, same backend)', async () => {
    const info = await initBackend({ backend: 'auto', logger: silentLogger });
    const backend = `${result.summary.backend} · ${info.blas ? `OpenBLAS ${info.blasCore ?? '?'}` : 'no BLAS'}`;
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
      expect(lines[0].responses).toHaveLength(QUICKSTART_PRESETS.fast.heldOut.samples);
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
    await expect(runQuickstart({ outDir: dir, raterBias: -1 })).rejects.toMatchObject({ code: 'APOGEE_INVALID_ARGUMENT' });
  });

  it("refuses a folder of the user's as --out, touching nothing in it (issue 17 item 2)", async () => {
    const user = makeTempDir('apogee-quickstart-user-');
    try {
      fs.mkdirSync(path.join(user.dir, 'samples'));
      fs.writeFileSync(path.join(user.dir, 'samples', 'mine.txt'), 'keep');
      fs.writeFileSync(path.join(user.dir, 'summary.json'), '{"mine":true}');
      await expect(runQuickstart({ outDir: user.dir, preset: 'fast', seeds: [1] })).rejects.toMatchObject({ code: 'APOGEE_INVALID_ARGUMENT', message: expect.stringMatching(/not an apogee output folder/) });
      expect(fs.readFileSync(path.join(user.dir, 'samples', 'mine.txt'), 'utf8')).toBe('keep');
      expect(fs.readFileSync(path.join(user.dir, 'summary.json'), 'utf8')).toBe('{"mine":true}');
      expect(fs.readdirSync(user.dir).sort()).toEqual(['samples', 'summary.json']);
    } finally {
      user.cleanup();
    }
  });

  it('gives the same summary.json for the same seed, and leaks no tensors', async () => {
    const runs = [makeTempDir('apogee-quickstart-a-'), makeTempDir('apogee-quickstart-b-')];
    try {
      const options = { seeds: [3], preset: 'fast' as const, variants: ['oracle', 'rjs', 'rjs-apo'], rounds: 1, report: false };
      await runQuickstart({ outDir: runs[0].dir, ...options });
      const before = tf.memory().numTensors;
      await runQuickstart({ outDir: runs[1].dir, ...options });
      expect(tf.memory().numTensors).toBe(before);
      const read = (d: string) => fs.readFileSync(path.join(d, 'summary.json'), 'utf8');
      expect(read(runs[1].dir)).toBe(read(runs[0].dir));
    } finally {
      for (const r of runs) r.cleanup();
    }
  }, 600_000);

  it('records a non-reference APO loss weight or rater bias in the summary, so it is never merged with reference runs', async () => {
    const other = makeTempDir('apogee-quickstart-coeff-');
    try {
      const r = await runQuickstart({ outDir: other.dir, seeds: [1], preset: 'fast', variants: ['rjs-apo'], rounds: 1, apoLossCoeff: 0, report: false });
      expect(r.summary.preset).toBe('fast+apoLossCoeff=0');
      expect(Number.isFinite(r.summary.variants['rjs-apo'].goldReward.mean)).toBe(true);
      expect(result.summary.preset).toBe('fast'); // the reference weight keeps the preset's name
      const biased = await runQuickstart({ outDir: other.dir, seeds: [1], preset: 'fast', variants: ['rjs'], rounds: 1, raterBias: 2, report: false });
      expect(biased.summary.preset).toBe('fast+raterBias=2');
    } finally {
      other.cleanup();
    }
  }, 600_000);
});
