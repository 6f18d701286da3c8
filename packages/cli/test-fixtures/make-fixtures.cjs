#!/usr/bin/env node
// Writes the small, realistic run directories the report tests read (quickstart-run/, train-rm-run/).
// Numbers are shaped like a `fast` quickstart (2 seeds, 3 rounds, 7 variants): static-RM
// baselines whose proxy reward climbs while gold reward stalls, APO variants whose gold keeps
// rising. They are fixture data for rendering, not results. Re-run: node make-fixtures.cjs
'use strict';
const fs = require('node:fs');
const path = require('node:path');

let state = 12345;
const rand = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
const noise = (s) => (rand() - 0.5) * 2 * s;
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const std = (a) => Math.sqrt(mean(a.map((x) => (x - mean(a)) ** 2)));
const stat = (a) => ({ mean: +mean(a).toFixed(4), std: +std(a).toFixed(4) });

const variants = ['golden-sft', 'rjs', 'rjs-apo', 'dpo', 'dpo-apo', 'rrhf', 'rrhf-apo'];
const seeds = [1, 2];
const rounds = 3;
const t0 = Date.parse('2026-11-26T21:00:00.000Z');
let tick = 0;
const time = () => new Date(t0 + 1000 * tick++).toISOString();

function curve(variant, r) {
  const apo = variant.endsWith('-apo');
  const base = { 'golden-sft': 0.05, rjs: 0.03, dpo: 0.045, rrhf: 0.035 }[variant.replace(/-apo$/, '')];
  const gold = 0.42 + (apo ? base * r : base * Math.min(r, 1.6) - 0.012 * Math.max(0, r - 2));
  const proxy = variant === 'golden-sft' ? 0.6 + 0.08 * r : 0.55 + (apo ? 0.18 : 0.33) * r;
  return {
    goldReward: gold,
    proxyReward: proxy,
    winRateVsSft: 0.5 + (gold - 0.42) * 2.2,
    rmAccuracyHuman: 0.66 + (apo ? 0.01 : 0),
    rmAccuracyPolicy: apo ? 0.62 + 0.03 * r : 0.61 - 0.025 * r,
    ece: apo ? 0.06 : 0.09 + 0.01 * r,
    kl: (variant.startsWith('dpo') ? 0.35 : 0.2) * r,
    meanLength: 62 + (apo ? 5 : 14) * r,
  };
}

function writeQuickstart(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'samples'), { recursive: true });
  const lines = [];
  const perSeed = {}; // variant -> round -> metric -> values
  for (const variant of variants) {
    perSeed[variant] = {};
    for (const seed of seeds) {
      lines.push({ time: time(), event: 'run-start', variant, seed, metrics: { rounds, runSeed: seed } });
      for (let r = 0; r <= rounds; r++) {
        const m = curve(variant, r);
        const noisy = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, +(v + noise(k === 'meanLength' ? 3 : 0.015)).toFixed(4)]));
        for (const [k, v] of Object.entries(noisy)) ((perSeed[variant][r] ??= {})[k] ??= []).push(v);
        if (r === 0) continue;
        for (const phase of ['train-rm', 'update-policy']) {
          if (phase === 'train-rm' && variant === 'golden-sft') continue;
          for (let step = 1; step <= 6; step++) {
            const loss = (phase === 'train-rm' ? 0.69 - 0.04 * step : 1.9 - 0.09 * step - 0.1 * r) + noise(0.03);
            lines.push({ time: time(), event: 'step', variant, seed, round: r, phase, step, metrics: { loss: +loss.toFixed(4), lr: phase === 'train-rm' ? 1e-4 : 5e-5, gradNorm: +(0.9 + noise(0.3)).toFixed(3) } });
          }
          lines.push({ time: time(), event: 'phase-end', variant, seed, round: r, phase, metrics: { steps: 6 } });
        }
        lines.push({ time: time(), event: 'round-end', variant, seed, round: r, metrics: noisy });
      }
    }
  }
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const summary = {
    seeds,
    backend: 'apogee-cpu',
    preset: 'fast',
    variants: Object.fromEntries(variants.map((v) => [v, Object.fromEntries(Object.entries(perSeed[v][rounds]).map(([k, a]) => [k, stat(a)]))])),
    perRound: variants.flatMap((v) =>
      Array.from({ length: rounds + 1 }, (_, r) => ({ variant: v, round: r, ...Object.fromEntries(Object.entries(perSeed[v][r]).map(([k, a]) => [k, stat(a)])) })),
    ),
    reliability: Object.fromEntries(
      variants.filter((v) => v !== 'golden-sft').map((v) => [
        v,
        Array.from({ length: 5 }, (_, i) => {
          const lower = 0.5 + i * 0.1;
          const confidence = lower + 0.05;
          const over = v.endsWith('-apo') ? 0.02 : 0.09;
          return { lower: +lower.toFixed(2), upper: +(lower + 0.1).toFixed(2), count: 40 - 6 * i, confidence: +confidence.toFixed(3), accuracy: +Math.max(0.45, confidence - over * (i + 1) / 2 + noise(0.02)).toFixed(3) };
        }),
      ]),
    ),
  };
  fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  const prompts = [
    ['add-17-25', '\n\nHuman: What is 17 plus 25?\n\nAssistant:'],
    ['sort-words', '\n\nHuman: Please sort these words alphabetically: pear, apple, mango.\n\nAssistant:'],
    ['capital-fr', '\n\nHuman: Which city is the capital of France?\n\nAssistant:'],
  ];
  const answers = {
    'add-17-25': ['17 plus 25 is 42.', 'I think it is 41.', 'The sum of 17 and 25 is 42. To check: 17 + 20 = 37, and 37 + 5 = 42.', 'Sure! Adding numbers is fun. 17 plus 25 is 42, which is a great number, and I am happy to help with more sums anytime.'],
    'sort-words': ['apple, mango, pear', 'apple, pear, mango', 'Sorted alphabetically: apple, mango, pear.', 'Of course! Here is the list, sorted with care: apple, mango, pear. Let me know if you want it reversed too.'],
    'capital-fr': ['Paris.', 'The capital of France is Lyon.', 'The capital of France is Paris.', 'Great question! France is a lovely country, and its capital, a city famous for art and food, is Paris.'],
  };
  for (const v of variants) {
    fs.mkdirSync(path.join(dir, 'samples', v));
    for (const r of [0, rounds]) {
      const recs = [];
      for (const seed of seeds) {
        for (const [queryId, prompt] of prompts) {
          const a = answers[queryId];
          const pickIdx = r === 0 ? (queryId === 'sort-words' ? 1 : 0) : v.endsWith('-apo') || v === 'golden-sft' ? 2 : 3;
          const gold = pickIdx === 1 ? 0.1 : pickIdx === 2 ? 0.9 : pickIdx === 3 ? 0.55 : 0.7;
          recs.push({ queryId, prompt, response: ` ${a[pickIdx]}`, goldReward: +(gold + noise(0.02)).toFixed(3), proxyReward: +(0.5 + (pickIdx === 3 ? 1.2 : 0.6) + noise(0.1)).toFixed(3), seed });
        }
      }
      fs.writeFileSync(path.join(dir, 'samples', v, `round-${r}.jsonl`), recs.map((x) => JSON.stringify(x)).join('\n') + '\n');
    }
  }
}

function writeTrainRm(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const lines = [];
  for (let step = 1; step <= 20; step++) {
    lines.push({ time: time(), event: 'step', round: 1, phase: 'train-rm', step, metrics: { loss: +(0.69 * Math.exp(-step / 25) + noise(0.02)).toFixed(4), lr: 1e-4, gradNorm: +(1 + noise(0.3)).toFixed(3) } });
  }
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const reliability = { rm: Array.from({ length: 5 }, (_, i) => ({ lower: 0.5 + i / 10, upper: 0.6 + i / 10, count: 60 - 10 * i, confidence: 0.55 + i / 10, accuracy: +(0.53 + i / 12).toFixed(3) })) };
  fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ accuracy: 0.6412, ece: 0.0531, ace: 0.0604, mce: 0.1217, pairs: 512, reliability }, null, 2) + '\n');
}

writeQuickstart(path.join(__dirname, 'quickstart-run'));
writeTrainRm(path.join(__dirname, 'train-rm-run'));
