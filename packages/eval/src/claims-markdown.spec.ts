import { pairedClaim } from './claims';
import { claimsMarkdownTable, formatPValue, formatSigned } from './claims-markdown';

describe('claimsMarkdownTable', () => {
  it('renders one row per claim with signed estimates, the CI, seeds and p', () => {
    const c = pairedClaim({ id: 'world.oracleBeatsPi0', perSeed: [0.2, 0.1, 0.15, 0.12, 0.18, 0.11, 0.09, 0.14, 0.13, -0.01].map((value, i) => ({ seed: i + 1, value })) });
    const d = pairedClaim({ id: 'a|b', description: 'pipe | in text', perSeed: [{ seed: 1, value: -0.5 }] });
    const md = claimsMarkdownTable([c, d]).split('\n');
    expect(md).toHaveLength(4);
    expect(md[2]).toBe(
      `| \`world.oracleBeatsPi0\` | ${c.description} | +${c.estimate.toFixed(3)} | [+${c.ci95[0].toFixed(3)}, +${c.ci95[1].toFixed(3)}] | 9/10 | 0.0215 | supported |`,
    );
    expect(md[3]).toBe('| `a\\|b` | pipe \\| in text | −0.500 | [−0.500, −0.500] | 0/1 | 1.0000 | not supported |');
  });

  it('formats edge values', () => {
    expect(formatSigned(0.0004)).toBe('0.000');
    expect(formatSigned(-0.0006)).toBe('−0.001');
    expect(formatSigned(NaN)).toBe('–');
    expect(formatPValue(0.00001)).toBe('<0.0001');
    expect(formatPValue(0.0625)).toBe('0.0625');
  });
});
