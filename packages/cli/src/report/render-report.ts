import * as path from 'node:path';
import { writeFileAtomic } from '@apogee/core';
import type { TopLevelSpec } from 'vega-lite';
import { lossSpec, perRound, reliabilitySpec, renderSvg, rmAccuracySpec, roundLineSpec } from './charts';
import { claimsTable } from './claims-table';
import { bestOfNSpec, frontierSpec } from './experiment-charts';
import { escapeHtml } from './html';
import { readRunDir, statMean, statStd, type RunData, type SampleRecord } from './read-run';

/** Column order and labels of the results table; other metrics found follow these. */
const METRIC_LABELS: Record<string, string> = {
  goldReward: 'gold reward',
  proxyReward: 'proxy (RM) reward',
  winRateVsSft: 'win rate vs π₀',
  rmAccuracyHuman: 'RM acc. (human)',
  rmAccuracyPolicy: 'RM acc. (policy)',
  ece: 'ECE',
  kl: 'KL',
  meanLength: 'mean length',
  goldRewardTestSampler: 'gold (test sampler)',
  correct: 'correct',
  courtesy1: 'one courtesy phrase',
  courtesy2: 'two or more',
};
const TRAIN_RM_FIELDS = ['accuracy', 'ece', 'ace', 'mce', 'pairs'] as const;

export { escapeHtml };

function fmt(v: number | undefined, digits = 3): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(digits);
}

function resultsTable(data: RunData): string {
  const variants = Object.entries(data.summary.variants ?? {});
  if (variants.length === 0) {
    const present = TRAIN_RM_FIELDS.filter((k) => typeof data.summary[k] === 'number');
    if (present.length === 0) return '';
    const cells = present.map((k) => `<td>${k === 'pairs' ? String(data.summary[k]) : fmt(data.summary[k] as number)}</td>`).join('');
    return `<table class="results"><thead><tr>${present.map((k) => `<th>${k}</th>`).join('')}</tr></thead><tbody><tr>${cells}</tr></tbody></table>`;
  }
  const keys = [...new Set([...Object.keys(METRIC_LABELS), ...variants.flatMap(([, m]) => Object.keys(m))])].filter((k) =>
    variants.some(([, m]) => statMean(m[k]) !== undefined),
  );
  const bestGold = Math.max(...variants.map(([, m]) => statMean(m.goldReward) ?? -Infinity));
  const head = `<tr><th>variant</th>${keys.map((k) => `<th>${escapeHtml(METRIC_LABELS[k] ?? k)}</th>`).join('')}</tr>`;
  const body = variants
    .map(([name, m]) => {
      const cells = keys.map((k) => {
        const mean = statMean(m[k]);
        const std = statStd(m[k]);
        const digits = k === 'meanLength' ? 1 : 3;
        const text = `${fmt(mean, digits)}${std !== undefined ? `<span class="std"> ± ${fmt(std, digits)}</span>` : ''}`;
        return `<td${k === 'goldReward' && mean === bestGold ? ' class="best"' : ''}>${text}</td>`;
      });
      return `<tr><th scope="row">${escapeHtml(name)}</th>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<table class="results"><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

/** The final round's responses of every variant to the same prompts, side by side. */
function samplesSection(samples: readonly SampleRecord[], order: readonly string[], maxPrompts = 3): string {
  if (samples.length === 0) return '';
  const seed = Math.min(...samples.map((s) => s.seed ?? Infinity));
  const pick = samples.filter((s) => (s.seed ?? Infinity) === seed);
  const rank = (v: string) => (order.includes(v) ? order.indexOf(v) : order.length);
  const variants = [...new Set(pick.map((s) => s.variant))].sort((a, b) => rank(a) - rank(b));
  const finalRound = new Map(variants.map((v) => [v, Math.max(...pick.filter((s) => s.variant === v).map((s) => s.round))]));
  const key = (s: SampleRecord) => s.queryId ?? s.prompt;
  const final = pick.filter((s) => s.round === finalRound.get(s.variant));
  const pi0 = pick.filter((s) => s.round === 0);
  const coverage = new Map<string, number>();
  for (const s of final) coverage.set(key(s), (coverage.get(key(s)) ?? 0) + 1);
  const prompts = [...coverage.entries()].sort((a, b) => b[1] - a[1]).slice(0, maxPrompts).map(([k]) => k);
  const columns: Array<{ label: string; find: (k: string) => SampleRecord | undefined }> = [];
  if (pi0.length > 0) columns.push({ label: 'π₀ (round 0)', find: (k) => pi0.find((s) => key(s) === k) });
  for (const v of variants) {
    if (pi0.length > 0 && finalRound.get(v) === 0) continue; // π₀'s own row: already the first column
    columns.push({ label: `${v} (round ${finalRound.get(v)})`, find: (k) => final.find((s) => s.variant === v && key(s) === k) });
  }
  const cell = (s: SampleRecord | undefined) =>
    s
      ? `<td><pre>${escapeHtml(s.response.trim() || '(empty)')}</pre>${
          s.goldReward !== undefined || s.proxyReward !== undefined
            ? `<div class="score">gold ${fmt(s.goldReward)} · proxy ${fmt(s.proxyReward)}</div>`
            : ''
        }</td>`
      : '<td class="missing">–</td>';
  const rows = prompts.map((k) => {
    const any = final.find((s) => key(s) === k)!;
    return `<tr><td colspan="${columns.length}" class="prompt"><pre>${escapeHtml(any.prompt.trim())}</pre></td></tr>\n<tr>${columns.map((c) => cell(c.find(k))).join('')}</tr>`;
  });
  return `<h2>Example samples</h2>
<p class="note">The same prompts answered by each variant's final policy${Number.isFinite(seed) ? ` (seed ${seed})` : ''}.</p>
<div class="scroll"><table class="samples"><thead><tr>${columns.map((c) => `<th>${escapeHtml(c.label)}</th>`).join('')}</tr></thead><tbody>${rows.join('\n')}</tbody></table></div>`;
}

interface Chart {
  id: string;
  spec: TopLevelSpec;
  caption: string;
}

function charts(data: RunData): Chart[] {
  const out: Chart[] = [];
  /** A chart, when its data is there. */
  const add = (id: string, spec: TopLevelSpec | undefined, caption: string) => {
    if (spec) out.push({ id, spec, caption });
  };
  add(
    'frontier',
    data.summary.frontier?.length ? frontierSpec(data.summary.frontier) : undefined,
    'Held-out gold of each arm\'s own samples against KL to π₀, one point per round (mean over seeds; square-root KL axis, as Gao et al. 2022). Compare arms at matched KL, not only at their last point.',
  );
  add(
    'best-of-n',
    data.summary.bestOfN?.length ? bestOfNSpec(data.summary.bestOfN) : undefined,
    'Best-of-n: expected gold of the sample each RM picks from n draws (exact over the pooled samples), against KL = log n − (n−1)/n. A curve that peaks and falls is the RM being over-optimised.',
  );
  const line = (id: string, metric: string, title: string, yTitle: string, caption: string) => {
    const pts = perRound(data, metric);
    add(id, pts.length > 0 ? roundLineSpec(pts, title, yTitle) : undefined, caption);
  };
  line('gold', 'goldReward', 'Gold reward per round', 'gold reward', 'Mean gold reward of test samples (what we actually want); band: ±1 std over seeds; dashed: static RM baseline.');
  line('proxy', 'proxyReward', 'Proxy (RM) reward per round', 'RM score', 'Score the round\'s RM gives the same samples. Proxy rising while gold stalls is reward over-optimisation.');
  add('rm-accuracy', rmAccuracySpec(data), 'Final RM accuracy on held-out human pairs and on pairs of the policy\'s own samples judged by the gold reward (the distribution APO keeps up with).');
  add('reliability', data.summary.reliability ? reliabilitySpec(data.summary.reliability) : undefined, 'Points on the diagonal are perfectly calibrated; below it the RM is over-confident.');
  line('kl', 'kl', 'KL to the reference policy', 'KL (nats, sampled)', 'Sampled estimate of KL(π ‖ π_ref) on test prompts.');
  line('length', 'meanLength', 'Mean response length', 'characters', 'Longer answers earn nothing by themselves in the world (its raters follow the gold reward), unless they are length-biased (--rater-bias): watch for length hacking then.');
  add('loss', lossSpec(data.metrics), 'Loss of every optimizer step, per phase (first seed).');
  return out;
}

const CSS = `
body{font:14px/1.45 Helvetica,Arial,sans-serif;color:#222;margin:24px auto;max-width:1200px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #eee;padding-bottom:4px}
.meta,.note{color:#666}.grid{display:flex;flex-wrap:wrap;gap:18px}
figure{margin:0;border:1px solid #eee;border-radius:6px;padding:10px;background:#fff}
figcaption{color:#666;font-size:12px;max-width:420px;margin-top:4px}
table{border-collapse:collapse}th,td{border-bottom:1px solid #eee;padding:5px 9px;text-align:right;vertical-align:top}
th{background:#fafafa}th[scope=row],.samples td,.samples th{text-align:left}
.std{color:#888;font-size:12px}
.claims td.desc,.claims thead th:nth-child(-n+2){text-align:left}.claims td.desc{max-width:420px;color:#444}.claims code{font-size:12px}.claims td.ci{white-space:nowrap}
.status.supported{background:#eef7ee;font-weight:bold}.status.not-supported{background:#fbeeee}.status.inconclusive{background:#f7f5ea}.best{font-weight:bold;background:#eef7ee}
.scroll{overflow-x:auto}.samples td{min-width:200px;max-width:340px}
pre{white-space:pre-wrap;margin:0;font:12px/1.4 Menlo,Consolas,monospace}
td.prompt{background:#f6f8fa}.score{color:#666;font-size:11px;margin-top:4px}.missing{color:#bbb}
`;

/** Build the whole self-contained HTML page (inline CSS and SVG; no scripts, no network). */
export async function buildReportHtml(data: RunData, generatedAt: Date = new Date()): Promise<string> {
  const s = data.summary;
  const meta = [
    s.seeds ? `seeds ${s.seeds.join(', ')}` : '',
    s.backend ? `backend ${s.backend}` : '',
    s.preset ? `preset ${s.preset}` : '',
    `generated ${generatedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC`,
  ].filter(Boolean);
  const rendered = await Promise.all(charts(data).map(async (c) => ({ ...c, svg: await renderSvg(c.spec, c.id) })));
  const figures = rendered
    .map((c) => `<figure id="chart-${c.id}" class="chart">${c.svg}<figcaption>${escapeHtml(c.caption)}</figcaption></figure>`)
    .join('\n');
  const table = resultsTable(data);
  const claims = claimsTable(s.claims ?? []);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>apogee report: ${escapeHtml(path.basename(path.resolve(data.dir)))}</title><style>${CSS}</style></head>
<body>
<h1>apogee report: ${escapeHtml(path.basename(path.resolve(data.dir)))}</h1>
<p class="meta">${escapeHtml(meta.join(' · '))}</p>
${claims}
${table ? `<h2>Results</h2>\n<p class="note">Final round, mean ± std over seeds. Bold: best gold reward.</p>\n${table}` : ''}
${rendered.length > 0 ? `<h2>Charts</h2>\n<div class="grid">\n${figures}\n</div>` : '<p class="note">No per-round metrics in this directory yet.</p>'}
${samplesSection(data.samples, Object.keys(s.variants ?? {}))}
<p class="note">Written by <code>apogee report</code> from ${escapeHtml(['summary.json', 'metrics.jsonl', 'samples/'].join(', '))}. Adversarial Preference Optimization: Cheng et al., arXiv 2311.08045.</p>
</body></html>
`;
}

/** Read a run directory and write its `report.html` (atomically). Returns the file written. */
export async function writeReport(dir: string, options: { out?: string; now?: Date } = {}): Promise<string> {
  const data = readRunDir(dir);
  const html = await buildReportHtml(data, options.now);
  const out = options.out ?? path.join(dir, 'report.html');
  await writeFileAtomic(out, html);
  return out;
}
