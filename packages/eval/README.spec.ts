// The README's usage example: it must keep working.
import { calibration, orderedPairs, preferenceAccuracy, winRate } from './src';

it('README example runs', () => {
  const items = [{ rewards: [2, 0], scores: [1, 0] }, { rewards: [0, 1], scores: [1, 0] }];
  expect(preferenceAccuracy(items)).toBe(0.5);
  const { ece, ace, mce, bins } = calibration(orderedPairs(items));
  expect(bins).toHaveLength(10);
  expect(ece).toBeCloseTo(ace, 12); // one pair per bin here
  expect(mce).toBeGreaterThan(ece);
  expect(winRate([1, 0.5, 0], [0.5, 0.5, 1])).toBe(0.5);
});
