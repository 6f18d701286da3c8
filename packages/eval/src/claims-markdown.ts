/**
 * The claims block as a Markdown table (for docs/results.md and issue notes), in the same columns
 * as the HTML report: id, description, estimate, 95% CI, seeds positive / seeds, sign-test p, status.
 */

import type { Claim } from './claims';

/** Signed fixed decimals with a real minus sign: +0.123, −0.045, 0.000. */
export function formatSigned(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return '–';
  const t = Math.abs(v).toFixed(digits);
  return Number(t) === 0 ? t : `${v > 0 ? '+' : '−'}${t}`;
}

/** A p-value to 4 decimals (9/10 → 0.0215, 5/5 → 0.0625); below 0.0001 as "<0.0001". */
export function formatPValue(p: number): string {
  if (!Number.isFinite(p)) return '–';
  return p < 0.0001 ? '<0.0001' : p.toFixed(4);
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** One Markdown table, one row per claim, in the given order. */
export function claimsMarkdownTable(claims: readonly Claim[], options: { digits?: number } = {}): string {
  const { digits = 3 } = options;
  const head = '| claim | description | estimate | 95% CI | seeds + | p (sign test) | status |\n| --- | --- | ---: | ---: | ---: | ---: | --- |';
  const rows = claims.map(
    (c) =>
      `| \`${cell(c.id)}\` | ${cell(c.description)} | ${formatSigned(c.estimate, digits)} | [${formatSigned(c.ci95[0], digits)}, ${formatSigned(c.ci95[1], digits)}] | ${c.seedsPositive}/${c.seeds} | ${formatPValue(c.pValue)} | ${c.status ?? '–'} |`,
  );
  return [head, ...rows].join('\n');
}
