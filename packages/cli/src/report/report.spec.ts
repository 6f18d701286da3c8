import { readFileSync, writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { ApogeeError } from '@apogee/core';
import { copyFixture, tempDir } from '../testing/fixtures';
import { writeExperimentSummary } from './experiment-fixture';
import { perRound } from './charts';
import { readRunDir } from './read-run';
import { writeReport } from './render-report';

describe('apogee report', () => {
  it('turns the quickstart fixture into a self-contained page with every chart as inline SVG', async () => {
    const run = copyFixture('quickstart-run');
    try {
      const file = await writeReport(run.dir);
      expect(file).toBe(path.join(run.dir, 'report.html'));
      const html = readFileSync(file, 'utf8');
      for (const id of ['gold', 'proxy', 'rm-accuracy', 'reliability', 'kl', 'length', 'loss']) {
        expect(html).toMatch(new RegExp(`<figure id="chart-${id}" class="chart"><svg[^>]*class="marks"`));
      }
      // Self-contained: no scripts, no links or images to fetch.
      expect(html).not.toMatch(/<script|<link |<img |src="http|href="http/);
      // An old summary without claims, frontier or best-of-n still renders, without those parts.
      expect(html).not.toContain('<h2>Claims</h2>');
      expect(html).not.toMatch(/chart-frontier|chart-best-of-n/);
      // Results table: every variant with mean ± std; the best gold reward is marked.
      const summary = JSON.parse(readFileSync(path.join(run.dir, 'summary.json'), 'utf8'));
      for (const v of Object.keys(summary.variants)) expect(html).toContain(`<th scope="row">${v}</th>`);
      const golds = Object.entries(summary.variants as Record<string, { goldReward: { mean: number } }>).map(([v, m]) => [v, m.goldReward.mean] as const);
      const best = golds.reduce((a, b) => (b[1] > a[1] ? b : a));
      expect(html).toContain(`<td class="best">${best[1].toFixed(3)}`);
      // Samples side by side, HTML-escaped, final round of every variant next to π₀.
      expect(html).toContain('π₀ (round 0)');
      expect(html).toContain('dpo-apo (round 3)');
      expect(html).toContain('Human: What is 17 plus 25?');
    } finally {
      run.cleanup();
    }
  });

  it('puts the claims table first and draws the frontier and best-of-n charts from summary.json', async () => {
    const run = copyFixture('quickstart-run');
    try {
      const summary = writeExperimentSummary(run.dir);
      const html = readFileSync(await writeReport(run.dir), 'utf8');
      // Claims come before the results table and the charts.
      const at = (needle: string) => html.indexOf(needle);
      expect(at('<h2>Claims</h2>')).toBeGreaterThan(0);
      expect(at('<h2>Claims</h2>')).toBeLessThan(at('<h2>Results</h2>'));
      expect(at('<h2>Results</h2>')).toBeLessThan(at('<h2>Charts</h2>'));
      const rows = [...html.matchAll(/<tr class="claim" data-claim="([^"]+)">(.*?)<\/tr>/g)];
      expect(rows.map((r) => r[1])).toEqual(summary.claims.map((c) => c.id));
      const oracle = rows[0][2];
      const c0 = summary.claims[0];
      expect(oracle).toContain(`<td>+${c0.estimate.toFixed(3)}</td>`);
      expect(oracle).toContain(`[+${c0.ci95[0].toFixed(3)}, +${c0.ci95[1].toFixed(3)}]`);
      expect(oracle).toContain('<td>9/10</td><td>0.0215</td><td class="status supported">supported</td>');
      const rrhf = rows.find((r) => r[1] === 'rrhf.apoBeatsBaseline')![2];
      expect(rrhf).toContain('<td>5/5</td><td>0.0625</td><td class="status inconclusive">inconclusive</td>');
      const dpo = rows.find((r) => r[1] === 'dpo.apoBeatsBaseline')![2];
      expect(dpo).toMatch(/<td>−0\.\d{3}<\/td>/);
      expect(dpo).toContain('class="status not-supported"');
      // The two new charts lead the chart grid, rendered as SVG with marks.
      const figures = [...html.matchAll(/<figure id="chart-([a-z-]+)"/g)].map((m) => m[1]);
      expect(figures.slice(0, 2)).toEqual(['frontier', 'best-of-n']);
      for (const id of ['frontier', 'best-of-n']) {
        const svg = html.slice(at(`<figure id="chart-${id}"`), html.indexOf('</figure>', at(`<figure id="chart-${id}"`)));
        expect(svg).toMatch(/<svg[^>]*class="marks"/);
        expect((svg.match(/<path/g) ?? []).length).toBeGreaterThan(10);
      }
      expect(html).toContain('Gold vs KL: the frontier per arm');
      expect(html).toContain('Best-of-n selected gold per RM');
      // Legends: method families on the frontier, selectors on best-of-n.
      for (const label of ['oracle', 'rjs', 'dpo', 'gold', 'RM_Base', 'RM_APO']) expect(html).toMatch(new RegExp(`>${label}</text>`));
    } finally {
      run.cleanup();
    }
  });

  it('names the file and field of a malformed claims, frontier or bestOfN block', async () => {
    const t = tempDir();
    try {
      const file = path.join(t.dir, 'summary.json');
      const claim = { id: 'x', description: 'd', estimate: 0.1, ci95: [0, 0.2], seedsPositive: 3, seeds: 4, pValue: 0.6 };
      writeFileSync(file, JSON.stringify({ claims: [claim, { ...claim, ci95: [0] }] }));
      await expect(writeReport(t.dir)).rejects.toThrow(/summary\.json: "claims\[1\]\.ci95(\[1\])?" /);
      writeFileSync(file, JSON.stringify({ frontier: [{ arm: 'rjs', round: 1, kl: null, gold: 0.5 }] }));
      await expect(writeReport(t.dir)).rejects.toThrow(/"frontier\[0\]\.kl"/);
      writeFileSync(file, JSON.stringify({ bestOfN: [{ rm: 'RM_Base', n: 0, kl: 0, gold: 0.5 }] }));
      const err = await writeReport(t.dir).catch((e: unknown) => e);
      expect((err as ApogeeError).code).toBe('APOGEE_DATA_INVALID');
      expect((err as ApogeeError).message).toMatch(/"bestOfN\[0\]\.n"/);
    } finally {
      t.cleanup();
    }
  });

  it('escapes sample text and reports train-rm summaries (accuracy, ece, ace, mce, pairs)', async () => {
    const run = copyFixture('train-rm-run');
    try {
      mkdirSync(path.join(run.dir, 'samples', 'rm'), { recursive: true });
      writeFileSync(path.join(run.dir, 'samples', 'rm', 'round-1.jsonl'), `${JSON.stringify({ prompt: 'Human: <b>hi</b>', response: '<script>alert(1)</script>' })}\n`);
      const html = readFileSync(await writeReport(run.dir), 'utf8');
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(html).not.toContain('<script>');
      expect(html).toMatch(/<th>accuracy<\/th><th>ece<\/th><th>ace<\/th><th>mce<\/th><th>pairs<\/th>/);
      expect(html).toContain('<td>0.641</td>');
      expect(html).toContain('id="chart-reliability"');
      expect(html).toContain('id="chart-loss"');
    } finally {
      run.cleanup();
    }
  });

  it('derives per-round points from metrics.jsonl when summary.json has no perRound (mean and std over seeds)', () => {
    const t = tempDir();
    try {
      const rows = [
        { event: 'round-end', variant: 'dpo', seed: 1, round: 1, metrics: { goldReward: 0.4 } },
        { event: 'round-end', variant: 'dpo', seed: 2, round: 1, metrics: { goldReward: 0.6 } },
        { event: 'step', variant: 'dpo', seed: 1, round: 1, phase: 'update-policy', step: 1, metrics: { loss: 1 } },
      ];
      writeFileSync(path.join(t.dir, 'metrics.jsonl'), rows.map((r) => JSON.stringify({ time: '', ...r })).join('\n') + '\n');
      appendFileSync(path.join(t.dir, 'metrics.jsonl'), '{"time": "trunc'); // a run killed mid-line
      const pts = perRound(readRunDir(t.dir), 'goldReward');
      expect(pts).toHaveLength(1);
      expect(pts[0]).toMatchObject({ variant: 'dpo', round: 1, family: 'dpo', kind: 'baseline' });
      expect(pts[0].mean).toBeCloseTo(0.5, 10);
      expect(pts[0].std).toBeCloseTo(0.1, 10);
    } finally {
      t.cleanup();
    }
  });

  it('draws a lone round-0 row (π₀, "sft") as the shared start of every variant', () => {
    const t = tempDir();
    try {
      const stat = (mean: number) => ({ mean, std: 0 });
      writeFileSync(
        path.join(t.dir, 'summary.json'),
        JSON.stringify({
          perRound: [
            { variant: 'sft', round: 0, goldReward: stat(0.3) },
            { variant: 'dpo', round: 1, goldReward: stat(0.4) },
            { variant: 'dpo-apo', round: 0, goldReward: stat(0.31) },
            { variant: 'dpo-apo', round: 1, goldReward: stat(0.5) },
          ],
        }),
      );
      const pts = perRound(readRunDir(t.dir), 'goldReward').map((p) => [p.variant, p.round, p.mean]);
      expect(pts).toEqual([['dpo', 0, 0.3], ['dpo', 1, 0.4], ['dpo-apo', 0, 0.31], ['dpo-apo', 1, 0.5]]);
    } finally {
      t.cleanup();
    }
  });

  it('fails with a clear error for a directory with nothing to report, and for broken JSON', async () => {
    const t = tempDir();
    try {
      await expect(writeReport(t.dir)).rejects.toThrow(/neither summary.json nor metrics.jsonl/);
      writeFileSync(path.join(t.dir, 'summary.json'), '{"seeds": [1,');
      const err = await writeReport(t.dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApogeeError);
      expect((err as ApogeeError).code).toBe('APOGEE_DATA_INVALID');
      expect((err as ApogeeError).message).toContain('summary.json is not valid JSON');
      writeFileSync(path.join(t.dir, 'summary.json'), '{}');
      writeFileSync(path.join(t.dir, 'metrics.jsonl'), 'not json\n{"event":"step","metrics":{}}\n');
      await expect(writeReport(t.dir)).rejects.toThrow(/metrics.jsonl:1 is not a metrics row/);
    } finally {
      t.cleanup();
    }
  });
});
