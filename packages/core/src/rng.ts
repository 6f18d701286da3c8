import { ApogeeError, ERROR_CODES } from './errors';

/** Serialisable RNG state: four 32-bit words of sfc32 plus the stream name. */
export interface RngState {
  name: string;
  s: [number, number, number, number];
}

/** 32-bit FNV-1a over a string: turns stream names into seeds. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** splitmix32: expands one 32-bit seed into a well-mixed sequence of words. */
function splitmix32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x9e3779b9) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * A small, fast, seedable generator (sfc32) with named, independent child streams.
 * Library code never calls `Math.random`; it asks the run for a stream by name instead, so
 * adding a new consumer of randomness does not shift the numbers any other consumer sees.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  private constructor(
    readonly name: string,
    state: [number, number, number, number],
  ) {
    [this.a, this.b, this.c, this.d] = state;
  }

  /** The root generator of a run. */
  static fromSeed(seed: number, name = 'root'): Rng {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Seed must be an integer in [0, 2^32), got ${seed}.`);
    }
    const mix = splitmix32(seed ^ fnv1a(name));
    const rng = new Rng(name, [mix(), mix(), mix(), mix() | 1]);
    for (let i = 0; i < 12; i++) rng.nextUint32(); // discard the warm-up outputs
    return rng;
  }

  /** Restore a generator from {@link Rng.getState}. */
  static fromState(state: RngState): Rng {
    return new Rng(state.name, [...state.s]);
  }

  /**
   * A child stream derived from this stream's *seed material and the name only*: it does not
   * consume numbers from this stream, so streams are independent of call order.
   */
  stream(name: string): Rng {
    const key = `${this.name}/${name}`;
    const mix = splitmix32(fnv1a(key) ^ this.a ^ Math.imul(this.b, 0x9e3779b1) ^ this.c);
    const child = new Rng(key, [mix() ^ this.d, mix(), mix(), mix() | 1]);
    for (let i = 0; i < 12; i++) child.nextUint32();
    return child;
  }

  getState(): RngState {
    return { name: this.name, s: [this.a, this.b, this.c, this.d] };
  }

  setState(state: RngState): void {
    [this.a, this.b, this.c, this.d] = state.s;
    this.spareNormal = null;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  float(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, `Rng.int needs a positive integer bound, got ${n}.`);
    }
    // Rejection sampling removes modulo bias.
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Standard normal (Box–Muller, caching the second value). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A seed for APIs that take one (e.g. tfjs random ops). */
  seed(): number {
    return this.nextUint32();
  }

  /** Fisher–Yates shuffle, in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, 'Rng.pick needs a non-empty array.');
    return items[this.int(items.length)];
  }

  /** Index drawn from unnormalised non-negative weights. */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i];
    if (!(total > 0) || !Number.isFinite(total)) {
      throw new ApogeeError(ERROR_CODES.INVALID_ARGUMENT, 'Rng.categorical needs finite weights with a positive sum.');
    }
    let u = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i];
      if (u < 0) return i;
    }
    // Rounding can leave u ≥ 0 at the end: return the last index with positive weight.
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
    return weights.length - 1;
  }
}
