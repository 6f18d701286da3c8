import type { TopLevelSpec } from 'vega-lite';
import type { MetricsRow } from '../metrics/metrics-writer';
import { statMean, statStd, type ReliabilityBin, type RunData } from './read-run';

/** One point of a per-round chart. */
export interface RoundPoint {
  variant: string;
  round: number;
  mean: number;
  /** Half-width of the band: std over seeds (0 for one seed). */
  std: number;
  lo: number;
  hi: number;
  /** Method family (`dpo` for `dpo` and `dpo-apo`): the colour. */
  family: string;
  /** `APO` or `baseline`: the line style. */
  kind: string;
}

/** Method family (colour) and APO-vs-baseline kind (line style) of a variant or arm name. */
export function familyOf(variant: string): { family: string; kind: string } {
  const apo = /-apo$/.test(variant);
  return { family: apo ? variant.replace(/-apo$/, '') : variant, kind: apo ? 'APO' : 'baseline' };
}

function point(variant: string, round: number, mean: number, std: number): RoundPoint {
  return { variant, round, mean, std, lo: mean - std, hi: mean + std, ...familyOf(variant) };
}

/**
 * Per-round values of `metric` for every variant: from `summary.perRound` when present, else from
 * the `round-end` rows of metrics.jsonl (mean and std over seeds computed here).
 */
export function perRound(data: RunData, metric: string): RoundPoint[] {
  return withSharedStart(rawPerRound(data, metric));
}

/**
 * A series whose only point is round 0 (the quickstart's π₀ row, `sft`) is where every variant
 * starts: draw it as each other variant's round 0 instead of as a series of its own.
 */
function withSharedStart(points: RoundPoint[]): RoundPoint[] {
  const rounds = new Map<string, Set<number>>();
  for (const p of points) rounds.set(p.variant, (rounds.get(p.variant) ?? new Set()).add(p.round));
  const starts = [...rounds].filter(([, r]) => r.size === 1 && r.has(0)).map(([v]) => v);
  if (starts.length !== 1 || rounds.size < 2) return points;
  const start = points.find((p) => p.variant === starts[0])!;
  const out = points.filter((p) => p.variant !== starts[0]);
  for (const [variant, r] of rounds) {
    if (variant !== starts[0] && !r.has(0)) out.push(point(variant, 0, start.mean, start.std));
  }
  return out.sort((a, b) => a.variant.localeCompare(b.variant) || a.round - b.round);
}

function rawPerRound(data: RunData, metric: string): RoundPoint[] {
  const fromSummary = (data.summary.perRound ?? []).flatMap((row) => {
    const mean = statMean(row[metric]);
    return mean === undefined ? [] : [point(row.variant, row.round, mean, statStd(row[metric]) ?? 0)];
  });
  if (fromSummary.length > 0) return fromSummary;
  const groups = new Map<string, { variant: string; round: number; values: number[] }>();
  for (const r of data.metrics) {
    const v = r.metrics[metric];
    if (r.event !== 'round-end' || r.round === undefined || typeof v !== 'number') continue;
    const variant = r.variant ?? 'run';
    const key = `${variant}\u0000${r.round}`;
    const g = groups.get(key) ?? { variant, round: r.round, values: [] };
    g.values.push(v);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => {
    const mean = g.values.reduce((a, b) => a + b, 0) / g.values.length;
    const std = Math.sqrt(g.values.reduce((a, b) => a + (b - mean) ** 2, 0) / g.values.length);
    return point(g.variant, g.round, mean, std);
  });
}

export const WIDTH = 340;
export const HEIGHT = 210;
export const FAMILY_SCALE = { scheme: 'tableau10' } as const;
export const KIND_SCALE = { domain: ['APO', 'baseline'], range: [[1, 0], [5, 3]] };

export const baseConfig = {
  font: 'Helvetica, Arial, sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 11 },
  title: { fontSize: 14, anchor: 'start' as const, offset: 8 },
};

/** The usual chart size. */
export const SIZE = { width: WIDTH, height: HEIGHT };

/**
 * A Vega-Lite spec in the report's frame (schema, title, the data, the shared config); `body` is
 * the chart itself: its size, marks, encodings, facets.
 */
export function chartSpec(title: string, values: readonly object[], body: Record<string, unknown>): TopLevelSpec {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', title, data: { values }, ...body, config: baseConfig } as unknown as TopLevelSpec;
}

/** A line per variant over rounds, with a ±std band when there are several seeds. */
export function roundLineSpec(points: RoundPoint[], title: string, yTitle: string): TopLevelSpec {
  const hasBand = points.some((p) => p.std > 0);
  const color = { field: 'family', type: 'nominal' as const, title: 'method', scale: FAMILY_SCALE };
  return chartSpec(title, points, {
    ...SIZE,
    encoding: {
      x: { field: 'round', type: 'quantitative', title: 'round', axis: { tickMinStep: 1, format: 'd' } },
    },
    // The lines come first so the legend takes their (opaque) symbols.
    layer: [
      {
        mark: { type: 'line' as const, point: true, strokeWidth: 2 },
        encoding: {
          y: { field: 'mean', type: 'quantitative' as const, title: yTitle, scale: { zero: false } },
          color: { ...color, legend: { symbolOpacity: 1, symbolType: 'stroke' } },
          strokeDash: { field: 'kind', type: 'nominal' as const, title: 'RM', scale: KIND_SCALE, legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolSize: 200, encode: { symbols: { update: { stroke: { value: '#444' } } } } } },
          detail: { field: 'variant', type: 'nominal' as const },
          tooltip: [
            { field: 'variant', type: 'nominal' as const },
            { field: 'round', type: 'quantitative' as const },
            { field: 'mean', type: 'quantitative' as const, format: '.3f' },
            { field: 'std', type: 'quantitative' as const, format: '.3f' },
          ],
        },
      },
      ...(hasBand
        ? [{
            mark: { type: 'errorband' as const, opacity: 0.12 },
            encoding: {
              y: { field: 'lo', type: 'quantitative' as const, title: yTitle },
              y2: { field: 'hi' },
              color: { ...color, legend: null },
              detail: { field: 'variant', type: 'nominal' as const },
            },
          }]
        : []),
    ],
  });
}

/** Final RM accuracy on held-out human pairs vs on pairs of the policy's own (shifted) samples. */
export function rmAccuracySpec(data: RunData): TopLevelSpec | undefined {
  const rows: Array<{ variant: string; pairs: string; accuracy: number; std: number }> = [];
  for (const [variant, m] of Object.entries(data.summary.variants ?? {})) {
    for (const [key, label] of [['rmAccuracyHuman', 'human pairs'], ['rmAccuracyPolicy', 'policy samples']] as const) {
      const mean = statMean(m[key]);
      if (mean !== undefined) rows.push({ variant, pairs: label, accuracy: mean, std: statStd(m[key]) ?? 0 });
    }
  }
  if (rows.length === 0) return undefined;
  return chartSpec('RM accuracy: human vs shifted pairs', rows, {
    width: { step: 46 },
    height: HEIGHT,
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: { field: 'variant', type: 'nominal', title: null, axis: { labelAngle: -30 }, sort: Object.keys(data.summary.variants ?? {}) },
      xOffset: { field: 'pairs', type: 'nominal' },
      y: { field: 'accuracy', type: 'quantitative', title: 'preference accuracy', scale: { domain: [0, 1] } },
      color: { field: 'pairs', type: 'nominal', title: 'evaluated on', scale: { range: ['#4c78a8', '#f58518'] } },
    },
  });
}

/** Reliability diagram per variant: observed accuracy against mean confidence, with the diagonal. */
export function reliabilitySpec(reliability: Record<string, ReliabilityBin[]>): TopLevelSpec | undefined {
  const rows = Object.entries(reliability).flatMap(([variant, bins]) =>
    bins.filter((b) => b.count > 0 && Number.isFinite(b.confidence) && Number.isFinite(b.accuracy)).map((b) => ({ variant, ...b })),
  );
  if (rows.length === 0) return undefined;
  const variants = Object.keys(reliability);
  return chartSpec('Calibration: reliability diagrams of the final RMs', rows, {
    facet: { field: 'variant', type: 'nominal', title: null, sort: variants },
    columns: Math.min(4, variants.length),
    spec: {
      width: 150,
      height: 150,
      layer: [
        {
          mark: { type: 'rule', color: '#999', strokeDash: [4, 3] },
          encoding: { x: { datum: 0, type: 'quantitative' }, y: { datum: 0, type: 'quantitative' }, x2: { datum: 1 }, y2: { datum: 1 } },
        },
        {
          mark: { type: 'line', point: true, color: '#e45756' },
          encoding: {
            x: { field: 'confidence', type: 'quantitative', title: 'confidence', scale: { domain: [0, 1] } },
            y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] } },
            tooltip: [
              { field: 'confidence', type: 'quantitative', format: '.2f' },
              { field: 'accuracy', type: 'quantitative', format: '.2f' },
              { field: 'count', type: 'quantitative' },
            ],
          },
        },
      ],
    },
  });
}

/** Training loss over steps, one line per variant and phase (from metrics.jsonl `step` rows). */
export function lossSpec(metrics: readonly MetricsRow[]): TopLevelSpec | undefined {
  const counters = new Map<string, number>();
  const rows: Array<{ series: string; phase: string; variant: string; step: number; loss: number }> = [];
  for (const r of metrics) {
    const loss = r.metrics.loss;
    if (r.event !== 'step' || typeof loss !== 'number' || r.seed !== undefined && r.seed !== firstSeed(metrics)) continue;
    const variant = r.variant ?? 'run';
    const series = `${variant} · ${r.phase ?? ''}`;
    const n = (counters.get(series) ?? 0) + 1;
    counters.set(series, n);
    rows.push({ series, phase: r.phase ?? '', variant, step: n, loss });
  }
  if (rows.length === 0) return undefined;
  return chartSpec('Training loss', rows, {
    ...SIZE,
    facet: { field: 'phase', type: 'nominal', title: null },
    spec: {
      ...SIZE,
      mark: { type: 'line', strokeWidth: 1.5, clip: true },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'optimizer step (all rounds)' },
        y: { field: 'loss', type: 'quantitative', title: 'loss', scale: { zero: false } },
        color: { field: 'variant', type: 'nominal', scale: FAMILY_SCALE },
      },
    },
    resolve: { scale: { y: 'independent', x: 'independent' } },
  });
}

function firstSeed(metrics: readonly MetricsRow[]): number | undefined {
  for (const r of metrics) if (r.seed !== undefined) return r.seed;
  return undefined;
}

/**
 * Compile a Vega-Lite spec to Vega and render it to an SVG string in Node (no browser, no canvas).
 * `idPrefix` keeps clip-path and gradient ids unique when several charts share one page.
 */
export async function renderSvg(spec: TopLevelSpec, idPrefix: string): Promise<string> {
  // Loaded on first use: they take a few hundred ms, and most commands never draw a chart.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vega = require('vega') as typeof import('vega');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vegaLite = require('vega-lite') as typeof import('vega-lite');
  // Compile warnings (legend merging and the like) are not the user's business: errors only.
  const compiled = vegaLite.compile(spec, { logger: vega.logger(vega.Error) }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Warn });
  try {
    const svg = await view.toSVG();
    return svg
      .replace(/\bid="([^"]+)"/g, `id="${idPrefix}-$1"`)
      .replace(/url\(#([^)]+)\)/g, `url(#${idPrefix}-$1)`);
  } finally {
    view.finalize();
  }
}
