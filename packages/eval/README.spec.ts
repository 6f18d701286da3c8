// The README's usage example: it must keep working.
import { calibration, orderedPairs, pairedClaim, preferenceAccuracy, winRate } from './src';

it('README example runs', () => {
  const items = [{ rewards: [2, 0], scores: [1, 0] }, { rewards: [0, 1], scores: [1, 0] }];
  expect(preferenceAccuracy(items)).toBe(0.5);
  const { ece, ace, mce, bins } = calibration(orderedPairs(items));
  expect(bins).toHaveLength(10);
  expect(ece).toBeCloseTo(ace, 12); // one pair per bin here
  expect(mce).toBeGreaterThan(ece);
  expect(winRate([1, 0.5, 0], [0.5, 0.5, 1])).toBe(0.5);
  const claim = pairedClaim({ id: 'rjs.apoBeatsBaseline', perSeed: [0.05, 0.02, -0.01, 0.04, 0.03].map((value, i) => ({ seed: i + 1, value })) });
  expect(claim).toMatchObject({ seedsPositive: 4, seeds: 5, status: 'inconclusive' });
  expect(claim.estimate).toBeCloseTo(0.026, 12);
  expect(claim.pValue).toBeCloseTo(0.375, 12);
});
