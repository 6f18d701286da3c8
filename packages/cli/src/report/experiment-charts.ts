import { meanFrontier, type BestOfNRow, type FrontierRow } from '@apogee/eval';
import type { TopLevelSpec } from 'vega-lite';
import { chartSpec, familyOf, FAMILY_SCALE, KIND_SCALE, SIZE } from './charts';

/** Both charts: lines with points through KL and gold; the tooltip ends with KL, gold and its std. */
function goldKlLines(title: string, points: readonly object[], encoding: Record<string, unknown>, tooltip: readonly object[]): TopLevelSpec {
  return chartSpec(title, points, {
    ...SIZE,
    mark: { type: 'line', point: true, strokeWidth: 2 },
    encoding: {
      ...encoding,
      tooltip: [
        ...tooltip,
        { field: 'kl', type: 'quantitative', format: '.3f' },
        { field: 'gold', type: 'quantitative', format: '.3f' },
        { field: 'goldStd', type: 'quantitative', format: '.3f', title: 'gold std' },
      ],
    },
  });
}

/** Rows of one seed each are averaged per (arm, round); rows already aggregated are drawn as they are. */
function aggregated(rows: readonly FrontierRow[]): FrontierRow[] {
  return rows.some((r) => r.seed !== undefined) ? meanFrontier(rows) : [...rows];
}

/**
 * Gold against KL, one line per arm through its rounds (Gao et al. 2022 plot gold against √KL: the
 * x axis is on a square-root scale but labelled in nats). Colour: method family; dashes: APO vs
 * baseline, as in the per-round charts.
 */
export function frontierSpec(rows: readonly FrontierRow[]): TopLevelSpec | undefined {
  const points = aggregated(rows)
    .filter((r) => Number.isFinite(r.kl) && Number.isFinite(r.gold))
    // A sampled KL estimate can come out slightly negative; the sqrt axis starts at 0.
    .map((r) => ({ ...r, klPlot: Math.max(0, r.kl), goldStd: r.goldStd ?? 0, ...familyOf(r.arm) }));
  if (points.length === 0) return undefined;
  return goldKlLines(
    'Gold vs KL: the frontier per arm',
    points,
    {
      x: { field: 'klPlot', type: 'quantitative', title: 'KL(π ‖ π₀), nats (√ scale)', scale: { type: 'sqrt', zero: true } },
      y: { field: 'gold', type: 'quantitative', title: 'held-out gold', scale: { zero: false } },
      color: { field: 'family', type: 'nominal', title: 'method', scale: FAMILY_SCALE, legend: { symbolType: 'stroke' } },
      strokeDash: { field: 'kind', type: 'nominal', title: 'RM', scale: KIND_SCALE, legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolSize: 200 } },
      detail: { field: 'arm', type: 'nominal' },
      order: { field: 'round', type: 'quantitative' },
    },
    [
      { field: 'arm', type: 'nominal' },
      { field: 'round', type: 'quantitative' },
    ],
  );
}

/** Selected gold against the closed-form best-of-n KL, one line per selector (RM, or gold as the oracle). */
export function bestOfNSpec(rows: readonly BestOfNRow[]): TopLevelSpec | undefined {
  const points = rows.filter((r) => Number.isFinite(r.gold)).map((r) => ({ ...r, goldStd: r.goldStd ?? 0 }));
  if (points.length === 0) return undefined;
  const selectors = [...new Set(points.map((p) => p.rm))];
  return goldKlLines(
    'Best-of-n selected gold per RM',
    points,
    {
      x: { field: 'kl', type: 'quantitative', title: 'KL_bon = log n − (n−1)/n, nats (√ scale)', scale: { type: 'sqrt', zero: true } },
      y: { field: 'gold', type: 'quantitative', title: 'gold of the selected sample', scale: { zero: false } },
      color: { field: 'rm', type: 'nominal', title: 'selector', scale: { scheme: 'tableau10' }, sort: selectors, legend: { symbolType: 'stroke' } },
      order: { field: 'n', type: 'quantitative' },
    },
    [
      { field: 'rm', type: 'nominal', title: 'selector' },
      { field: 'n', type: 'quantitative' },
    ],
  );
}
