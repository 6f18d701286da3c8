import { fastExp } from './fast-math';

it('fastExp agrees with Math.exp after float32 rounding: special values exact, relative error < 1e-6 on normals', () => {
  for (const x of [NaN, Infinity, -Infinity, 0, -0, 88.72, 88.73, 89, -103.9, -104.5, -1e9, 1e9]) {
    expect(Math.fround(fastExp(x))).toBe(Math.fround(Math.exp(x)));
  }
  let worst = 0;
  for (let x = -87; x < 88.7; x += 0.00123) {
    const a = Math.fround(x);
    const want = Math.fround(Math.exp(a));
    worst = Math.max(worst, Math.abs(Math.fround(fastExp(a)) - want) / want);
  }
  expect(worst).toBeLessThan(1e-6);
});
