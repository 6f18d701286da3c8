import { formatPValue, formatSigned as signed, type Claim } from '@apogee/eval';
import { escapeHtml } from './html';

/**
 * The claims table, first thing in the report: one row per paired claim with its estimate (mean
 * per-seed difference), bootstrap 95% CI, seeds positive of seeds, sign-test p and status.
 */
export function claimsTable(claims: readonly Claim[]): string {
  if (claims.length === 0) return '';
  const rows = claims.map((c) => {
    const status = c.status ?? '';
    return `<tr class="claim" data-claim="${escapeHtml(c.id)}"><th scope="row"><code>${escapeHtml(c.id)}</code></th><td class="desc">${escapeHtml(c.description)}</td><td>${signed(c.estimate)}</td><td class="ci">[${signed(c.ci95[0])}, ${signed(c.ci95[1])}]</td><td>${c.seedsPositive}/${c.seeds}</td><td>${formatPValue(c.pValue)}</td><td class="status ${status.replace(/\s+/g, '-')}">${escapeHtml(status || '–')}</td></tr>`;
  });
  return `<h2>Claims</h2>
<p class="note">Each claim is a paired difference per seed, positive when it supports the claim. Estimate: mean over seeds; CI: 95% percentile bootstrap of that mean; seeds: positive / all; p: exact two-sided sign test (ties dropped). Supported: CI above 0 and p &lt; 0.05; not supported: CI at or below 0; otherwise inconclusive.</p>
<table class="claims"><thead><tr><th>claim</th><th>description</th><th>estimate</th><th>95% CI</th><th>seeds +</th><th>p (sign)</th><th>status</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}
