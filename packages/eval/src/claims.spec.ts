import { CLAIM_IDS, CLAIMS, claimSchema, claimsBlockSchema, claimStatus, pairedClaim, pairedDifferences } from './claims';

const ISSUE_IDS = [
  'world.oracleBeatsPi0',
  'world.rmBaseOverOptimises',
  'rjs.apoBeatsBaseline',
  'dpo.apoBeatsBaseline',
  'rrhf.apoBeatsBaseline',
  'rm.apoMoreAccurateOnPolicy',
  'rm.apoMoreAccurateOnHeldOutRaters',
  'rm.apoBeatsNoGoldenControl',
];

describe('CLAIMS', () => {
  it('holds exactly the ids issue #13 fixes, each with a description', () => {
    expect(CLAIM_IDS).toEqual(ISSUE_IDS);
    for (const id of CLAIM_IDS) expect(CLAIMS[id].description.length).toBeGreaterThan(20);
  });
});

describe('pairedClaim', () => {
  const perSeed = [0.12, 0.08, 0.2, -0.03, 0.15, 0.11, 0.09, 0.14, 0.05, 0.1].map((value, i) => ({ seed: i + 1, value }));

  it('returns the contract fields with the sign test and a bootstrap CI around the mean', () => {
    const c = pairedClaim({ id: 'world.oracleBeatsPi0', perSeed });
    expect(Object.keys(c).slice(0, 7)).toEqual(['id', 'description', 'estimate', 'ci95', 'seedsPositive', 'seeds', 'pValue']);
    expect(c.description).toBe(CLAIMS['world.oracleBeatsPi0'].description);
    expect(c.estimate).toBeCloseTo(1.01 / 10, 12);
    expect(c.seedsPositive).toBe(9);
    expect(c.seeds).toBe(10);
    expect(c.pValue).toBeCloseTo(0.0215, 4);
    expect(c.ci95[0]).toBeGreaterThan(0.04);
    expect(c.ci95[0]).toBeLessThan(c.estimate);
    expect(c.ci95[1]).toBeGreaterThan(c.estimate);
    expect(c.ci95[1]).toBeLessThan(0.16);
    expect(c.status).toBe('supported');
    expect(claimSchema.parse(JSON.parse(JSON.stringify(c)))).toEqual(c);
  });

  it('does not depend on the order of the seeds, and is reproducible', () => {
    const a = pairedClaim({ id: 'rjs.apoBeatsBaseline', perSeed });
    const b = pairedClaim({ id: 'rjs.apoBeatsBaseline', perSeed: [...perSeed].reverse() });
    expect(b).toEqual(a);
    expect(pairedClaim({ id: 'rjs.apoBeatsBaseline', perSeed, bootstrapSeed: 5 }).ci95).not.toEqual(a.ci95);
  });

  it('calls 5 of 5 positive seeds inconclusive (p = 0.0625) and a negative effect not supported', () => {
    const five = pairedClaim({ id: 'dpo.apoBeatsBaseline', perSeed: perSeed.slice(0, 3).concat(perSeed.slice(4, 6)) });
    expect(five.pValue).toBeCloseTo(0.0625, 12);
    expect(five.ci95[0]).toBeGreaterThan(0);
    expect(five.status).toBe('inconclusive');
    const neg = pairedClaim({ id: 'rrhf.apoBeatsBaseline', perSeed: perSeed.map((s) => ({ seed: s.seed, value: -s.value })) });
    expect(neg.status).toBe('not supported');
    expect(neg.seedsPositive).toBe(1);
  });

  it('applies the status rule at its edges', () => {
    expect(claimStatus([0.01, 0.2], 0.049)).toBe('supported');
    expect(claimStatus([0.01, 0.2], 0.05)).toBe('inconclusive');
    expect(claimStatus([0, 0.2], 0.001)).toBe('inconclusive');
    expect(claimStatus([-0.2, 0], 0.5)).toBe('not supported');
    expect(claimStatus([-0.2, 0.01], 0.5)).toBe('inconclusive');
  });

  it('counts a tied seed in seeds but not in the sign test', () => {
    const c = pairedClaim({ id: 'rm.apoMoreAccurateOnPolicy', perSeed: [...perSeed.slice(0, 3), { seed: 99, value: 0 }] });
    expect(c.seeds).toBe(4);
    expect(c.seedsTied).toBe(1);
    expect(c.seedsPositive).toBe(3);
    expect(c.pValue).toBeCloseTo(0.25, 12);
  });

  it('rejects a duplicated seed, no seeds, NaN, and an unknown id without description', () => {
    expect(() => pairedClaim({ id: 'rjs.apoBeatsBaseline', perSeed: [...perSeed, { seed: 3, value: 1 }] })).toThrow(/seed 3 twice/);
    expect(() => pairedClaim({ id: 'rjs.apoBeatsBaseline', perSeed: [] })).toThrow(/no seeds/);
    expect(() => pairedClaim({ id: 'rjs.apoBeatsBaseline', perSeed: [{ seed: 1, value: NaN }] })).toThrow(/seed 1 has a non-finite/);
    expect(() => pairedClaim({ id: 'my.claim', perSeed })).toThrow(/needs a description/);
    expect(pairedClaim({ id: 'my.claim', description: 'mine', perSeed }).description).toBe('mine');
  });
});

describe('claimsBlockSchema', () => {
  it('accepts the minimal contract entry and rejects a malformed one', () => {
    const minimal = { id: 'x', description: 'd', estimate: 0.1, ci95: [0, 0.2], seedsPositive: 3, seeds: 4, pValue: 0.6 };
    expect(claimsBlockSchema.parse([minimal])).toEqual([minimal]);
    expect(claimsBlockSchema.safeParse([{ ...minimal, ci95: [0] }]).success).toBe(false);
    expect(claimsBlockSchema.safeParse([{ ...minimal, pValue: 2 }]).success).toBe(false);
    expect(claimsBlockSchema.safeParse([{ ...minimal, status: 'maybe' }]).success).toBe(false);
  });
});

describe('pairedDifferences', () => {
  it('matches seeds and rejects unpaired ones', () => {
    expect(pairedDifferences([{ seed: 2, value: 1 }, { seed: 1, value: 0.5 }], [{ seed: 1, value: 0.25 }, { seed: 2, value: 2 }])).toEqual([
      { seed: 1, value: 0.25 },
      { seed: 2, value: -1 },
    ]);
    expect(() => pairedDifferences([{ seed: 1, value: 1 }], [{ seed: 2, value: 1 }])).toThrow(/seed 2 is in the second series only/);
    expect(() => pairedDifferences([{ seed: 1, value: 1 }, { seed: 1, value: 2 }], [])).toThrow(/seed 1 appears twice/);
  });
});
