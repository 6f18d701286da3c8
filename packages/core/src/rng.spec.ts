import { Rng } from './rng';

function draw(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextUint32());
}

describe('Rng', () => {
  it('reproduces the same sequence from the same seed', () => {
    expect(draw(Rng.fromSeed(42), 100)).toEqual(draw(Rng.fromSeed(42), 100));
  });

  it('gives different sequences for different seeds', () => {
    expect(draw(Rng.fromSeed(1), 10)).not.toEqual(draw(Rng.fromSeed(2), 10));
  });

  it('derives named streams that do not depend on the order they are asked for or used', () => {
    const a = Rng.fromSeed(7);
    const s1 = a.stream('sampling');
    draw(s1, 50); // consuming one stream...
    const t1 = a.stream('init'); // ...does not change another
    const b = Rng.fromSeed(7);
    const t2 = b.stream('init');
    expect(draw(t1, 20)).toEqual(draw(t2, 20));
    expect(draw(b.stream('sampling'), 20)).not.toEqual(draw(b.stream('init'), 20));
  });

  it('keeps streams independent: no correlation between two named streams', () => {
    const root = Rng.fromSeed(3);
    const x = root.stream('x');
    const y = root.stream('y');
    const n = 20000;
    let sx = 0, sy = 0, sxy = 0, sxx = 0, syy = 0;
    for (let i = 0; i < n; i++) {
      const u = x.float() - 0.5, v = y.float() - 0.5;
      sx += u; sy += v; sxy += u * v; sxx += u * u; syy += v * v;
    }
    const corr = (sxy / n - (sx / n) * (sy / n)) / Math.sqrt((sxx / n) * (syy / n));
    expect(Math.abs(corr)).toBeLessThan(0.03);
  });

  it('restores from a saved state mid-sequence', () => {
    const r = Rng.fromSeed(9).stream('shuffle');
    draw(r, 13);
    const saved = r.getState();
    const expected = draw(r, 30);
    expect(draw(Rng.fromState(saved), 30)).toEqual(expected);
  });

  it('draws uniform floats and unbiased ints in range', () => {
    const r = Rng.fromSeed(5);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60000; i++) {
      const f = r.float();
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
      counts[r.int(6)]++;
    }
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(500);
  });

  it('draws standard normals with mean 0 and variance 1', () => {
    const r = Rng.fromSeed(11);
    let s = 0, ss = 0;
    const n = 50000;
    for (let i = 0; i < n; i++) { const z = r.normal(); s += z; ss += z * z; }
    expect(Math.abs(s / n)).toBeLessThan(0.02);
    expect(Math.abs(ss / n - 1)).toBeLessThan(0.03);
  });

  it('samples categorical weights in proportion', () => {
    const r = Rng.fromSeed(13);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30000; i++) counts[r.categorical([1, 0, 2])]++;
    expect(counts[1]).toBe(0);
    expect(Math.abs(counts[2] / counts[0] - 2)).toBeLessThan(0.1);
  });

  it('rejects bad seeds and bounds with clear errors', () => {
    expect(() => Rng.fromSeed(-1)).toThrow(/Seed must be an integer/);
    expect(() => Rng.fromSeed(1.5)).toThrow(/Seed must be an integer/);
    expect(() => Rng.fromSeed(1).int(0)).toThrow(/positive integer bound/);
    expect(() => Rng.fromSeed(1).categorical([0, 0])).toThrow(/positive sum/);
  });
});
