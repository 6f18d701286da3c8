// apogee-cpu's SIMD kernels, in AssemblyScript: compiled to WebAssembly with 128-bit SIMD
// (`npm run build:wasm -w @apogee/runtime` writes src/wasm/kernels-wasm.ts; a test checks that the
// committed module is what this source compiles to). Why WebAssembly: docs/decisions/0017.
//
// Every pointer is a byte offset into linear memory, every count is in float32 elements. Only
// deterministic WebAssembly SIMD instructions are used (no relaxed SIMD), so a kernel gives the
// same bits on every machine. Work is float32 four lanes at a time, as PyTorch's CPU kernels do;
// sums that decide a result's accuracy (column/row sums, sums of squares) are kept in float64.
// Row-wise kernels handle a row's last (d mod 4) elements with the same formulas one lane wide.

// ---------------------------------------------------------------------------------------------
// exp(x), four lanes: Cody–Waite range reduction x = k·ln2 + y, |y| ≤ ln2/2, a degree-6
// polynomial for e^y (the Cephes expf coefficients, relative error < 2e-7), and 2^k built in the
// exponent bits. Above ~88.376 it returns +Inf, below −87.337 (e^x under FLT_MIN) it returns 0,
// NaN stays NaN. No lane ever goes through a subnormal intermediate.

const EXP_HI: f32 = 88.3762626647949;
const EXP_LO: f32 = -87.33654475;

/** 1.5·2^23: adding it rounds a float32 |t| < 2^22 to an integer, which lands in the low mantissa bits. */
const ROUND_MAGIC: f32 = 12582912.0;

// @ts-ignore: decorator
@inline function exp4(x: v128): v128 {
  const over = f32x4.gt(x, f32x4.splat(EXP_HI));
  const under = f32x4.lt(x, f32x4.splat(EXP_LO));
  // Lanes below EXP_LO are computed as e^0 and zeroed at the end: clamping them to EXP_LO instead
  // would make p·2^k subnormal, and a subnormal product costs ~4× the whole kernel (measured).
  // pmin keeps a NaN in its first operand.
  const xc = f32x4.pmin(v128.andnot(x, under), f32x4.splat(EXP_HI));
  // k = round(x·log2 e), by the magic-number trick (no round and no float→int conversion).
  const tm = f32x4.add(f32x4.mul(xc, f32x4.splat(1.44269504088896341)), f32x4.splat(ROUND_MAGIC));
  const k = f32x4.sub(tm, f32x4.splat(ROUND_MAGIC));
  let y = f32x4.sub(xc, f32x4.mul(k, f32x4.splat(0.693359375)));
  y = f32x4.add(y, f32x4.mul(k, f32x4.splat(2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, y), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, y), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, y), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, y), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, y), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, y), y), y), f32x4.splat(1.0));
  // 2^k in the exponent bits: the integer k is tm's bits minus the magic number's.
  const pow2 = i32x4.shl(i32x4.add(i32x4.sub(tm, f32x4.splat(ROUND_MAGIC)), i32x4.splat(127)), 23);
  const r = f32x4.mul(p, pow2);
  return v128.andnot(v128.bitselect(f32x4.splat(Infinity), r, over), under);
}

/** One lane of {@link exp4}: the same bits as the four-lane form. */
// @ts-ignore: decorator
@inline function exp1(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}

/** Horizontal sum of four float32 lanes, in float64. */
// @ts-ignore: decorator
@inline function hsum(v: v128): f64 {
  return (<f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1)) + (<f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3));
}

// @ts-ignore: decorator
@inline function hmax(v: v128): f32 {
  const a = f32x4.max(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.max(a, v128.shuffle<f32>(a, a, 1, 0, 3, 2)), 0);
}

/** max that lets NaN win, like the JS kernels' `v > m || v !== v` (wasm's f32 max already does). */
// @ts-ignore: decorator
@inline function max1(a: f32, b: f32): f32 {
  return max<f32>(a, b);
}

// ---------------------------------------------------------------------------------------------
// Static memory: a 64-byte scratch block for the tails of the elementwise kernels (up to four
// lanes), after the module's own data (the tables of `Math.log`). The JS side allocates from
// `heapBase()` up, so nothing it writes overlaps either.

const SCRATCH: usize = memory.data(64, 16);

/** First byte the JS side may use: everything below is the module's static data. */
export function heapBase(): usize {
  return __heap_base;
}

/** Loads the last n % 4 floats at `p` into four lanes (zero-padded). */
// @ts-ignore: decorator
@inline function loadTail(p: usize, r: i32): v128 {
  v128.store(SCRATCH, v128.splat<i32>(0));
  memory.copy(SCRATCH, p, <usize>r << 2);
  return v128.load(SCRATCH);
}

/** Stores the first r lanes of v at `p`. */
// @ts-ignore: decorator
@inline function storeTail(p: usize, v: v128, r: i32): void {
  v128.store(SCRATCH, v);
  memory.copy(p, SCRATCH, <usize>r << 2);
}

// ---------------------------------------------------------------------------------------------
// GELU, tanh form (GPT-2's gelu_new): gelu(x) = x·σ(2z), 2z = C·(x + K·x³), C = 2√(2/π),
// K = 0.044715 (Hendrycks & Gimpel 2016, eq. in §2).

const GELU_C: f32 = 1.5957691216057308;
const GELU_K: f32 = 0.044715;

// @ts-ignore: decorator
@inline function sigma2z(x: v128): v128 {
  const z = f32x4.mul(f32x4.splat(GELU_C), f32x4.add(x, f32x4.mul(f32x4.splat(GELU_K), f32x4.mul(x, f32x4.mul(x, x)))));
  return f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), exp4(f32x4.neg(z))));
}

/** out = gelu(x); when `sig` ≠ 0 also sig = σ(2z), which the gradient reuses. */
export function gelu(x: usize, out: usize, sig: usize, n: i32): void {
  const full = n & ~3;
  for (let i = 0; i < full; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    const s = sigma2z(v);
    if (sig) v128.store(sig + o, s);
    v128.store(out + o, f32x4.mul(v, s));
  }
  const r = n - full;
  if (r) {
    const o = <usize>full << 2;
    const v = loadTail(x + o, r);
    const s = sigma2z(v);
    if (sig) storeTail(sig + o, s, r);
    storeTail(out + o, f32x4.mul(v, s), r);
  }
}

// @ts-ignore: decorator
@inline function geluGrad4(v: v128, d: v128, s: v128): v128 {
  // d/dx x·σ(2z) = σ + x·σ(1−σ)·C·(1 + 3K·x²)
  const one = f32x4.splat(1.0);
  const dz = f32x4.mul(f32x4.splat(GELU_C), f32x4.add(one, f32x4.mul(f32x4.splat(3.0 * GELU_K), f32x4.mul(v, v))));
  return f32x4.mul(d, f32x4.add(s, f32x4.mul(f32x4.mul(v, f32x4.mul(s, f32x4.sub(one, s))), dz)));
}

/** out = dy · gelu'(x), from the forward's σ(2z) when `sig` ≠ 0, else recomputing it. */
export function geluGrad(x: usize, dy: usize, sig: usize, out: usize, n: i32): void {
  const full = n & ~3;
  for (let i = 0; i < full; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    const s = sig ? v128.load(sig + o) : sigma2z(v);
    v128.store(out + o, geluGrad4(v, v128.load(dy + o), s));
  }
  const r = n - full;
  if (r) {
    const o = <usize>full << 2;
    const v = loadTail(x + o, r);
    const d = loadTail(dy + o, r);
    const s = sig ? loadTail(sig + o, r) : sigma2z(v);
    storeTail(out + o, geluGrad4(v, d, s), r);
  }
}

// ---------------------------------------------------------------------------------------------
// LayerNorm over the last axis (Ba et al. 2016, eq. 4): y = (x − μ)/√(σ² + ε)·γ + β, population
// variance, two passes per row (mean, then Σ(x − μ)²). Stats are [rows, 4]: (μ, 0, 1/√(σ²+ε), 0),
// the layout the JS kernels use for their float64 (hi, lo) pairs.

/** mean of row `p` of d floats, in float64 over float32 lanes. */
// @ts-ignore: decorator
@inline function rowMean(p: usize, d: i32): f64 {
  const full = d & ~3;
  let acc = f32x4.splat(0);
  for (let j = 0; j < full; j += 4) acc = f32x4.add(acc, v128.load(p + (<usize>j << 2)));
  let s = hsum(acc);
  for (let j = full; j < d; j++) s += <f64>load<f32>(p + (<usize>j << 2));
  return s / <f64>d;
}

// @ts-ignore: decorator
@inline function rowRstd(p: usize, d: i32, mean: f32, eps: f32): f32 {
  const full = d & ~3;
  const m = f32x4.splat(mean);
  let acc = f32x4.splat(0);
  for (let j = 0; j < full; j += 4) {
    const c = f32x4.sub(v128.load(p + (<usize>j << 2)), m);
    acc = f32x4.add(acc, f32x4.mul(c, c));
  }
  let s = hsum(acc);
  for (let j = full; j < d; j++) {
    const c = <f64>(load<f32>(p + (<usize>j << 2)) - mean);
    s += c * c;
  }
  return <f32>(1.0 / Math.sqrt(s / <f64>d + <f64>eps));
}

export function layerNorm(x: usize, g: usize, b: usize, out: usize, stats: usize, rows: i32, d: i32, eps: f32): void {
  const full = d & ~3;
  for (let r = 0; r < rows; r++) {
    const p = x + (<usize>(r * d) << 2);
    const q = out + (<usize>(r * d) << 2);
    const mean = <f32>rowMean(p, d);
    const rstd = rowRstd(p, d, mean, eps);
    if (stats) {
      const sp = stats + (<usize>r << 4);
      store<f32>(sp, mean);
      store<f32>(sp, 0, 4);
      store<f32>(sp, rstd, 8);
      store<f32>(sp, 0, 12);
    }
    const m = f32x4.splat(mean);
    const s = f32x4.splat(rstd);
    for (let j = 0; j < full; j += 4) {
      const o = <usize>j << 2;
      const h = f32x4.mul(f32x4.sub(v128.load(p + o), m), s);
      v128.store(q + o, f32x4.add(f32x4.mul(h, v128.load(g + o)), v128.load(b + o)));
    }
    for (let j = full; j < d; j++) {
      const o = <usize>j << 2;
      store<f32>(q + o, (load<f32>(p + o) - mean) * rstd * load<f32>(g + o) + load<f32>(b + o));
    }
  }
}

/**
 * dx, dγ, dβ of LayerNorm: x̂ = (x − μ)·r, dh = dy·γ,
 * dx = r·(dh − mean(dh) − x̂·mean(dh·x̂)), dγ = Σ_rows dy·x̂, dβ = Σ_rows dy.
 * `stats` = 0 recomputes μ and r exactly as the forward does. `xhat` is d floats of scratch.
 */
export function layerNormGrad(dy: usize, x: usize, g: usize, stats: usize, dx: usize, dg: usize, db: usize, xhat: usize, rows: i32, d: i32, eps: f32): void {
  const full = d & ~3;
  memory.fill(dg, 0, <usize>d << 2);
  memory.fill(db, 0, <usize>d << 2);
  for (let r = 0; r < rows; r++) {
    const off = <usize>(r * d) << 2;
    const p = x + off;
    let mean: f32;
    let rstd: f32;
    if (stats) {
      const sp = stats + (<usize>r << 4);
      mean = load<f32>(sp) + load<f32>(sp, 4);
      rstd = load<f32>(sp, 8) + load<f32>(sp, 12);
    } else {
      mean = <f32>rowMean(p, d);
      rstd = rowRstd(p, d, mean, eps);
    }
    const m = f32x4.splat(mean);
    const s = f32x4.splat(rstd);
    let aDh = f32x4.splat(0);
    let aDhX = f32x4.splat(0);
    for (let j = 0; j < full; j += 4) {
      const o = <usize>j << 2;
      const h = f32x4.mul(f32x4.sub(v128.load(p + o), m), s);
      v128.store(xhat + o, h);
      const dyj = v128.load(dy + off + o);
      v128.store(dg + o, f32x4.add(v128.load(dg + o), f32x4.mul(dyj, h)));
      v128.store(db + o, f32x4.add(v128.load(db + o), dyj));
      const dh = f32x4.mul(dyj, v128.load(g + o));
      aDh = f32x4.add(aDh, dh);
      aDhX = f32x4.add(aDhX, f32x4.mul(dh, h));
    }
    let sumDh = hsum(aDh);
    let sumDhX = hsum(aDhX);
    for (let j = full; j < d; j++) {
      const o = <usize>j << 2;
      const h = (load<f32>(p + o) - mean) * rstd;
      store<f32>(xhat + o, h);
      const dyj = load<f32>(dy + off + o);
      store<f32>(dg + o, load<f32>(dg + o) + dyj * h);
      store<f32>(db + o, load<f32>(db + o) + dyj);
      const dh = dyj * load<f32>(g + o);
      sumDh += <f64>dh;
      sumDhX += <f64>(dh * h);
    }
    const mDh = <f32>(sumDh / <f64>d);
    const mDhX = <f32>(sumDhX / <f64>d);
    const vDh = f32x4.splat(mDh);
    const vDhX = f32x4.splat(mDhX);
    for (let j = 0; j < full; j += 4) {
      const o = <usize>j << 2;
      const dh = f32x4.mul(v128.load(dy + off + o), v128.load(g + o));
      v128.store(dx + off + o, f32x4.mul(s, f32x4.sub(f32x4.sub(dh, vDh), f32x4.mul(v128.load(xhat + o), vDhX))));
    }
    for (let j = full; j < d; j++) {
      const o = <usize>j << 2;
      const dh = load<f32>(dy + off + o) * load<f32>(g + o);
      store<f32>(dx + off + o, rstd * (dh - mDh - load<f32>(xhat + o) * mDhX));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Softmax over rows of k: out = softmax(scale·x + bias). `bias` is added row by row, advancing by
// `biasStride` floats per row (k: one bias row per row; 0: the same bias row for every row; a
// bias pointer of 0 adds nothing). In place (out = x) is allowed.

export function softmaxRows(x: usize, bias: usize, biasStride: i32, out: usize, rows: i32, k: i32, scale: f32): void {
  const full = k & ~3;
  const sc = f32x4.splat(scale);
  for (let r = 0; r < rows; r++) {
    const p = x + (<usize>(r * k) << 2);
    const q = out + (<usize>(r * k) << 2);
    const bp = bias + (<usize>(r * biasStride) << 2);
    // z = scale·x + bias, written to out; running max.
    let vm = f32x4.splat(-Infinity);
    for (let j = 0; j < full; j += 4) {
      const o = <usize>j << 2;
      let z = f32x4.mul(v128.load(p + o), sc);
      if (bias) z = f32x4.add(z, v128.load(bp + o));
      v128.store(q + o, z);
      vm = f32x4.max(vm, z);
    }
    let m = hmax(vm);
    for (let j = full; j < k; j++) {
      const o = <usize>j << 2;
      let z = load<f32>(p + o) * scale;
      if (bias) z += load<f32>(bp + o);
      store<f32>(q + o, z);
      m = max1(m, z);
    }
    const mm = f32x4.splat(m);
    let acc = f32x4.splat(0);
    for (let j = 0; j < full; j += 4) {
      const o = <usize>j << 2;
      const e = exp4(f32x4.sub(v128.load(q + o), mm));
      v128.store(q + o, e);
      acc = f32x4.add(acc, e);
    }
    let s = hsum(acc);
    for (let j = full; j < k; j++) {
      const o = <usize>j << 2;
      const e = exp1(load<f32>(q + o) - m);
      store<f32>(q + o, e);
      s += <f64>e;
    }
    const inv = <f32>(1.0 / s);
    const vi = f32x4.splat(inv);
    for (let j = 0; j < full; j += 4) {
      const o = <usize>j << 2;
      v128.store(q + o, f32x4.mul(v128.load(q + o), vi));
    }
    for (let j = full; j < k; j++) {
      const o = <usize>j << 2;
      store<f32>(q + o, load<f32>(q + o) * inv);
    }
  }
}

/** Softmax backward over rows of k: out = scale·p ⊙ (dy − Σ_j dy·p). In place (out = dy) is allowed. */
export function softmaxGradRows(dy: usize, p: usize, out: usize, rows: i32, k: i32, scale: f32): void {
  const full = k & ~3;
  for (let r = 0; r < rows; r++) {
    const off = <usize>(r * k) << 2;
    let acc = f32x4.splat(0);
    for (let j = 0; j < full; j += 4) {
      const o = off + (<usize>j << 2);
      acc = f32x4.add(acc, f32x4.mul(v128.load(dy + o), v128.load(p + o)));
    }
    let dot = hsum(acc);
    for (let j = full; j < k; j++) {
      const o = off + (<usize>j << 2);
      dot += <f64>(load<f32>(dy + o) * load<f32>(p + o));
    }
    const d1 = <f32>dot;
    const vd = f32x4.splat(d1);
    const sc = f32x4.splat(scale);
    for (let j = 0; j < full; j += 4) {
      const o = off + (<usize>j << 2);
      v128.store(out + o, f32x4.mul(sc, f32x4.mul(v128.load(p + o), f32x4.sub(v128.load(dy + o), vd))));
    }
    for (let j = full; j < k; j++) {
      const o = off + (<usize>j << 2);
      store<f32>(out + o, scale * load<f32>(p + o) * (load<f32>(dy + o) - d1));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// log Σ_j exp(x[r, j]) per row (one max pass, one exp-sum pass with the sum in float64) and its
// gradient dy[r]·exp(x[r, j] − lse[r]) (a softmax row scaled by the incoming gradient).

export function logSumExpRows(x: usize, out: usize, rows: i32, n: i32): void {
  const full = n & ~3;
  for (let r = 0; r < rows; r++) {
    const p = x + (<usize>(r * n) << 2);
    let vm = f32x4.splat(-Infinity);
    for (let j = 0; j < full; j += 4) vm = f32x4.max(vm, v128.load(p + (<usize>j << 2)));
    let m = hmax(vm);
    for (let j = full; j < n; j++) m = max1(m, load<f32>(p + (<usize>j << 2)));
    if (m == Infinity || m == -Infinity) {
      store<f32>(out + (<usize>r << 2), m); // a +∞ logit, or every logit −∞ (log 0)
      continue;
    }
    const mm = f32x4.splat(m);
    let acc = f32x4.splat(0);
    for (let j = 0; j < full; j += 4) acc = f32x4.add(acc, exp4(f32x4.sub(v128.load(p + (<usize>j << 2)), mm)));
    let s = hsum(acc);
    for (let j = full; j < n; j++) s += <f64>exp1(load<f32>(p + (<usize>j << 2)) - m);
    store<f32>(out + (<usize>r << 2), <f32>(Math.log(s) + <f64>m));
  }
}

export function logSumExpRowsGrad(dy: usize, x: usize, lse: usize, out: usize, rows: i32, n: i32): void {
  const full = n & ~3;
  for (let r = 0; r < rows; r++) {
    const off = <usize>(r * n) << 2;
    const g = load<f32>(dy + (<usize>r << 2));
    const l = load<f32>(lse + (<usize>r << 2));
    const vg = f32x4.splat(g);
    const vl = f32x4.splat(l);
    for (let j = 0; j < full; j += 4) {
      const o = off + (<usize>j << 2);
      v128.store(out + o, f32x4.mul(vg, exp4(f32x4.sub(v128.load(x + o), vl))));
    }
    for (let j = full; j < n; j++) {
      const o = off + (<usize>j << 2);
      store<f32>(out + o, g * exp1(load<f32>(x + o) - l));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// AdamW (Loshchilov & Hutter 2019, Algorithm 2) for one parameter: g ← scale·grad,
// m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², p ← decay·p − stepLr·m / (√(v/c2) + ε), where the
// caller folds the bias corrections into stepLr = lr/c1 and c2 and the decoupled weight decay
// into decay = 1 − lr·λ.

// @ts-ignore: decorator
@inline function adamw4(pv: v128, mv: v128, vv: v128, gv: v128, stepLr: f32, b1: f32, b2: f32, eps: f32, c2: f32, decay: f32, scale: f32, o: usize, p1: usize, m1: usize, v1: usize, tail: i32): void {
  const g = f32x4.mul(gv, f32x4.splat(scale));
  const m = f32x4.add(f32x4.mul(f32x4.splat(b1), mv), f32x4.mul(f32x4.splat(1 - b1), g));
  const v = f32x4.add(f32x4.mul(f32x4.splat(b2), vv), f32x4.mul(f32x4.mul(f32x4.splat(1 - b2), g), g));
  const den = f32x4.add(f32x4.sqrt(f32x4.div(v, f32x4.splat(c2))), f32x4.splat(eps));
  const p = f32x4.sub(f32x4.mul(pv, f32x4.splat(decay)), f32x4.div(f32x4.mul(m, f32x4.splat(stepLr)), den));
  if (tail) {
    storeTail(p1 + o, p, tail);
    storeTail(m1 + o, m, tail);
    storeTail(v1 + o, v, tail);
  } else {
    v128.store(p1 + o, p);
    v128.store(m1 + o, m);
    v128.store(v1 + o, v);
  }
}

export function adamw(p: usize, m: usize, v: usize, g: usize, p1: usize, m1: usize, v1: usize, n: i32,
  stepLr: f32, b1: f32, b2: f32, eps: f32, c2: f32, decay: f32, scale: f32): void {
  const full = n & ~3;
  for (let i = 0; i < full; i += 4) {
    const o = <usize>i << 2;
    adamw4(v128.load(p + o), v128.load(m + o), v128.load(v + o), v128.load(g + o), stepLr, b1, b2, eps, c2, decay, scale, o, p1, m1, v1, 0);
  }
  const r = n - full;
  if (r) {
    const o = <usize>full << 2;
    // Tails: each input read before any output is written (outputs never alias inputs here).
    const pv = loadTail(p + o, r);
    const mv = loadTail(m + o, r);
    const vv = loadTail(v + o, r);
    const gv = loadTail(g + o, r);
    adamw4(pv, mv, vv, gv, stepLr, b1, b2, eps, c2, decay, scale, o, p1, m1, v1, r);
  }
}

// ---------------------------------------------------------------------------------------------
// Reductions in float64: Σ x², column sums (Σ over rows: the bias gradient Σ_rows dy) and row sums.

// @ts-ignore: decorator
@inline function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
}

export function sumOfSquares(x: usize, n: i32): f64 {
  const full = n & ~3;
  let a = f64x2.splat(0);
  let b = f64x2.splat(0);
  for (let i = 0; i < full; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const lo = f64x2.promote_low_f32x4(v);
    const hi = promoteHigh(v);
    a = f64x2.add(a, f64x2.mul(lo, lo));
    b = f64x2.add(b, f64x2.mul(hi, hi));
  }
  const c = f64x2.add(a, b);
  let s = f64x2.extract_lane(c, 0) + f64x2.extract_lane(c, 1);
  for (let i = full; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    s += v * v;
  }
  return s;
}

/** out[j] = Σ_r x[r, j] for `groups` consecutive [rows, cols] blocks; `acc` is cols float64 of scratch. */
export function columnSums(x: usize, out: usize, acc: usize, groups: i32, rows: i32, cols: i32): void {
  const full = cols & ~3;
  for (let gi = 0; gi < groups; gi++) {
    memory.fill(acc, 0, <usize>cols << 3);
    const base = x + (<usize>(gi * rows * cols) << 2);
    for (let r = 0; r < rows; r++) {
      const p = base + (<usize>(r * cols) << 2);
      for (let j = 0; j < full; j += 4) {
        const v = v128.load(p + (<usize>j << 2));
        const a = acc + (<usize>j << 3);
        v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(v)));
        v128.store(a + 16, f64x2.add(v128.load(a + 16), promoteHigh(v)));
      }
      for (let j = full; j < cols; j++) {
        const a = acc + (<usize>j << 3);
        store<f64>(a, load<f64>(a) + <f64>load<f32>(p + (<usize>j << 2)));
      }
    }
    const q = out + (<usize>(gi * cols) << 2);
    for (let j = 0; j < cols; j++) store<f32>(q + (<usize>j << 2), <f32>load<f64>(acc + (<usize>j << 3)));
  }
}

/** out[r] = Σ_j x[r, j]. */
export function rowSums(x: usize, out: usize, rows: i32, cols: i32): void {
  const full = cols & ~3;
  for (let r = 0; r < rows; r++) {
    const p = x + (<usize>(r * cols) << 2);
    let a = f64x2.splat(0);
    let b = f64x2.splat(0);
    for (let j = 0; j < full; j += 4) {
      const v = v128.load(p + (<usize>j << 2));
      a = f64x2.add(a, f64x2.promote_low_f32x4(v));
      b = f64x2.add(b, promoteHigh(v));
    }
    const c = f64x2.add(a, b);
    let s = f64x2.extract_lane(c, 0) + f64x2.extract_lane(c, 1);
    for (let j = full; j < cols; j++) s += <f64>load<f32>(p + (<usize>j << 2));
    store<f32>(out + (<usize>r << 2), <f32>s);
  }
}

// ---------------------------------------------------------------------------------------------
// Broadcasting binary ops over rows: out[r, j] = a[r·aRow + j·aInc] ∘ b[r·bRow + j·bInc] for
// r < rows, j < n (aInc, bInc ∈ {0, 1}: 0 repeats one value along the row). Same-shape, trailing-
// axis ([R, n] + [n]), keep-dims ([R, n] − [R, 1]) and scalar broadcasts all take this form.
// Float32 results are the correctly rounded ones, as the JS kernels' (double arithmetic rounded
// once to float32 gives the same bits for + − × ÷).

// Op codes (the JS side's BINARY_SIMD_OPS mirrors them).
const OP_ADD = 0;
const OP_SUB = 1;
const OP_MUL = 2;
const OP_DIV = 3;
const OP_MAX = 4;
const OP_MIN = 5;
const OP_SQDIFF = 6;

// @ts-ignore: decorator
@inline function op4(op: i32, a: v128, b: v128): v128 {
  if (op == OP_ADD) return f32x4.add(a, b);
  if (op == OP_SUB) return f32x4.sub(a, b);
  if (op == OP_MUL) return f32x4.mul(a, b);
  if (op == OP_DIV) return f32x4.div(a, b);
  if (op == OP_MAX) return f32x4.max(a, b);
  if (op == OP_MIN) return f32x4.min(a, b);
  const d = f32x4.sub(a, b);
  return f32x4.mul(d, d);
}

// @ts-ignore: decorator
@inline function binaryRows(op: i32, a: usize, b: usize, out: usize, rows: i32, n: i32, aRow: i32, bRow: i32, aInc: i32, bInc: i32): void {
  const full = n & ~3;
  for (let r = 0; r < rows; r++) {
    const ap = a + (<usize>(r * aRow) << 2);
    const bp = b + (<usize>(r * bRow) << 2);
    const op_ = out + (<usize>(r * n) << 2);
    if (aInc && bInc) {
      for (let j = 0; j < full; j += 4) {
        const o = <usize>j << 2;
        v128.store(op_ + o, op4(op, v128.load(ap + o), v128.load(bp + o)));
      }
    } else if (aInc) {
      const vb = v128.load32_splat(bp);
      for (let j = 0; j < full; j += 4) {
        const o = <usize>j << 2;
        v128.store(op_ + o, op4(op, v128.load(ap + o), vb));
      }
    } else {
      const va = v128.load32_splat(ap);
      for (let j = 0; j < full; j += 4) {
        const o = <usize>j << 2;
        v128.store(op_ + o, op4(op, va, bInc ? v128.load(bp + o) : v128.load32_splat(bp)));
      }
    }
    for (let j = full; j < n; j++) {
      const va = v128.load32_splat(ap + (<usize>(j * aInc) << 2));
      const vb = v128.load32_splat(bp + (<usize>(j * bInc) << 2));
      store<f32>(op_ + (<usize>j << 2), f32x4.extract_lane(op4(op, va, vb), 0));
    }
  }
}

/** The broadcasting binary op `op` (OP_ADD … OP_SQDIFF); each op gets its own specialised loops. */
export function binary(op: i32, a: usize, b: usize, out: usize, rows: i32, n: i32, aRow: i32, bRow: i32, aInc: i32, bInc: i32): void {
  if (op == OP_ADD) binaryRows(OP_ADD, a, b, out, rows, n, aRow, bRow, aInc, bInc);
  else if (op == OP_SUB) binaryRows(OP_SUB, a, b, out, rows, n, aRow, bRow, aInc, bInc);
  else if (op == OP_MUL) binaryRows(OP_MUL, a, b, out, rows, n, aRow, bRow, aInc, bInc);
  else if (op == OP_DIV) binaryRows(OP_DIV, a, b, out, rows, n, aRow, bRow, aInc, bInc);
  else if (op == OP_MAX) binaryRows(OP_MAX, a, b, out, rows, n, aRow, bRow, aInc, bInc);
  else if (op == OP_MIN) binaryRows(OP_MIN, a, b, out, rows, n, aRow, bRow, aInc, bInc);
  else binaryRows(OP_SQDIFF, a, b, out, rows, n, aRow, bRow, aInc, bInc);
}

// ---------------------------------------------------------------------------------------------
// One-token attention against a key/value cache, for KV-cache decoding: for each row r and head h,
// write the new key and value (from the fused projection `qkv` [rows, 3d]) at column `col` of the
// row's cache slot, then out[r, h·hd …] = Σ_j softmax_j(scale · q·k_j) v_j over columns pad[r]..col.
// Caches are [slots, heads, maxTime, hd]; `slots` and `pads` are int32 per row; `scores` holds
// maxTime floats of scratch. hd must be a multiple of 4.

/** The four horizontal sums of a, b, c, d as one vector [Σa, Σb, Σc, Σd]. */
// @ts-ignore: decorator
@inline function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const x = f32x4.add(v128.shuffle<f32>(a, b, 0, 1, 4, 5), v128.shuffle<f32>(a, b, 2, 3, 6, 7));
  const y = f32x4.add(v128.shuffle<f32>(c, d, 0, 1, 4, 5), v128.shuffle<f32>(c, d, 2, 3, 6, 7));
  return f32x4.add(v128.shuffle<f32>(x, y, 0, 2, 4, 6), v128.shuffle<f32>(x, y, 1, 3, 5, 7));
}

export function decodeAttention(qkv: usize, kc: usize, vc: usize, slots: usize, pads: usize, out: usize, scores: usize,
  rows: i32, heads: i32, hd: i32, maxTime: i32, col: i32, scale: f32): void {
  const d = heads * hd;
  const hdBytes = <usize>hd << 2;
  const sc = f32x4.splat(scale);
  for (let r = 0; r < rows; r++) {
    const slot = load<i32>(slots + (<usize>r << 2));
    const pad = load<i32>(pads + (<usize>r << 2));
    for (let h = 0; h < heads; h++) {
      const base = <usize>((slot * heads + h) * maxTime) * hdBytes;
      const q = qkv + (<usize>(r * 3 * d + h * hd) << 2);
      const K = kc + base;
      const V = vc + base;
      memory.copy(K + <usize>col * hdBytes, q + (<usize>d << 2), hdBytes);
      memory.copy(V + <usize>col * hdBytes, q + (<usize>(2 * d) << 2), hdBytes);
      // scores = scale · q·k_j, four keys at a time, and their max
      let vm = f32x4.splat(-Infinity);
      let j = pad;
      for (; j + 3 <= col; j += 4) {
        const k0 = K + <usize>j * hdBytes;
        let a0 = f32x4.splat(0);
        let a1 = f32x4.splat(0);
        let a2 = f32x4.splat(0);
        let a3 = f32x4.splat(0);
        for (let e: usize = 0; e < hdBytes; e += 16) {
          const qe = v128.load(q + e);
          a0 = f32x4.add(a0, f32x4.mul(qe, v128.load(k0 + e)));
          a1 = f32x4.add(a1, f32x4.mul(qe, v128.load(k0 + hdBytes + e)));
          a2 = f32x4.add(a2, f32x4.mul(qe, v128.load(k0 + 2 * hdBytes + e)));
          a3 = f32x4.add(a3, f32x4.mul(qe, v128.load(k0 + 3 * hdBytes + e)));
        }
        const s4 = f32x4.mul(hsum4(a0, a1, a2, a3), sc);
        v128.store(scores + (<usize>j << 2), s4);
        vm = f32x4.max(vm, s4);
      }
      let m = hmax(vm);
      for (; j <= col; j++) {
        const kj = K + <usize>j * hdBytes;
        let acc = f32x4.splat(0);
        for (let e: usize = 0; e < hdBytes; e += 16) acc = f32x4.add(acc, f32x4.mul(v128.load(q + e), v128.load(kj + e)));
        const s = f32x4.extract_lane(f32x4.mul(hsum4(acc, acc, acc, acc), sc), 0);
        store<f32>(scores + (<usize>j << 2), s);
        m = max1(m, s);
      }
      // exp and sum, four scores at a time
      const mm = f32x4.splat(m);
      let sum: f64 = 0;
      j = pad;
      for (; j + 3 <= col; j += 4) {
        const sp = scores + (<usize>j << 2);
        const e4 = exp4(f32x4.sub(v128.load(sp), mm));
        v128.store(sp, e4);
        sum += hsum(e4);
      }
      for (; j <= col; j++) {
        const sp = scores + (<usize>j << 2);
        const e = exp1(load<f32>(sp) - m);
        store<f32>(sp, e);
        sum += <f64>e;
      }
      // out = Σ_j p_j v_j / Σ_j p_j, four output columns at a time in one accumulator
      const inv = f32x4.splat(<f32>(1.0 / sum));
      const o = out + (<usize>(r * d + h * hd) << 2);
      for (let e: usize = 0; e < hdBytes; e += 16) {
        let acc = f32x4.splat(0);
        for (let jj = pad; jj <= col; jj++) {
          acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(scores + (<usize>jj << 2)), v128.load(V + <usize>jj * hdBytes + e)));
        }
        v128.store(o + e, f32x4.mul(acc, inv));
      }
    }
  }
}

/** In place: x[r, j] = gelu(x[r, j] + bias[j]) for rows of n (bias then GPT-2's tanh GELU). */
export function biasGelu(x: usize, bias: usize, rows: i32, n: i32): void {
  const full = n & ~3;
  for (let r = 0; r < rows; r++) {
    const p = x + (<usize>(r * n) << 2);
    for (let j = 0; j < full; j += 4) {
      const o = <usize>j << 2;
      const v = f32x4.add(v128.load(p + o), v128.load(bias + o));
      v128.store(p + o, f32x4.mul(v, sigma2z(v)));
    }
    for (let j = full; j < n; j++) {
      const o = <usize>j << 2;
      const v = f32x4.splat(load<f32>(p + o) + load<f32>(bias + o));
      store<f32>(p + o, f32x4.extract_lane(f32x4.mul(v, sigma2z(v)), 0));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// GEMM for machines without a CBLAS library: C = alpha·op(A)·op(B) + beta·C, row-major, the CBLAS
// argument meaning (beta = 0: C is not read). Goto/BLIS structure: B is packed KC×NC at a time
// into panels of GEMM_NR columns, A MC×KC at a time (scaled by alpha) into panels of GEMM_MR rows,
// and a GEMM_MR×GEMM_NR register tile (eight 4-lane accumulators) runs over each pair of panels.
// Multiply then add (no fused multiply-add: it is relaxed SIMD's, not deterministic across CPUs);
// the order of every sum is fixed by the block sizes, so results are the same on every machine.

const GEMM_MR: i32 = 4;
const GEMM_NR: i32 = 8;
/** Depth of a packed block: a 4×256 A panel (4 KiB) and an 8×256 B panel (8 KiB) stay in L1. */
export const GEMM_KC: i32 = 256;
/** Rows of A packed at once: 128×256 floats (128 KiB) stay in L2. */
export const GEMM_MC: i32 = 128;
/** Columns of B packed at once: 256×1024 floats (1 MiB). */
export const GEMM_NC: i32 = 1024;

/** Scratch for a partial tile's products (GEMM_MR × GEMM_NR floats). */
const GEMM_TILE: usize = memory.data(GEMM_MR * GEMM_NR * 4, 16);

/** Packs op(B)[p0 … p0+kc, j0 … j0+nc] into panels of GEMM_NR columns, zero-padded, k-major within a panel. */
function packB(dst: usize, b: usize, ldb: i32, transB: i32, p0: i32, j0: i32, kc: i32, nc: i32): void {
  for (let jp = 0; jp < nc; jp += GEMM_NR) {
    const w = min(GEMM_NR, nc - jp);
    const panel = dst + (<usize>(jp * kc) << 2);
    if (!transB && w == GEMM_NR) {
      for (let p = 0; p < kc; p++) {
        const src = b + (<usize>((p0 + p) * ldb + j0 + jp) << 2);
        const o = panel + (<usize>(p * GEMM_NR) << 2);
        v128.store(o, v128.load(src));
        v128.store(o + 16, v128.load(src + 16));
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const o = panel + (<usize>(p * GEMM_NR) << 2);
        for (let j = 0; j < GEMM_NR; j++) {
          let v: f32 = 0;
          if (j < w) v = transB ? load<f32>(b + (<usize>((j0 + jp + j) * ldb + p0 + p) << 2)) : load<f32>(b + (<usize>((p0 + p) * ldb + j0 + jp + j) << 2));
          store<f32>(o + (<usize>j << 2), v);
        }
      }
    }
  }
}

/** Packs alpha·op(A)[i0 … i0+mc, p0 … p0+kc] into panels of GEMM_MR rows, zero-padded, k-major within a panel. */
function packA(dst: usize, a: usize, lda: i32, transA: i32, i0: i32, p0: i32, mc: i32, kc: i32, alpha: f32): void {
  const va = f32x4.splat(alpha);
  for (let ip = 0; ip < mc; ip += GEMM_MR) {
    const h = min(GEMM_MR, mc - ip);
    const panel = dst + (<usize>(ip * kc) << 2);
    if (transA && h == GEMM_MR) {
      for (let p = 0; p < kc; p++) {
        v128.store(panel + (<usize>(p * GEMM_MR) << 2), f32x4.mul(va, v128.load(a + (<usize>((p0 + p) * lda + i0 + ip) << 2))));
      }
    } else if (!transA && h == GEMM_MR) {
      const r0 = a + (<usize>((i0 + ip) * lda + p0) << 2);
      const r1 = r0 + (<usize>lda << 2);
      const r2 = r1 + (<usize>lda << 2);
      const r3 = r2 + (<usize>lda << 2);
      const full = kc & ~3;
      for (let p = 0; p < full; p += 4) {
        const o = <usize>p << 2;
        // Four rows of four: a 4×4 transpose in registers.
        const x0 = v128.load(r0 + o);
        const x1 = v128.load(r1 + o);
        const x2 = v128.load(r2 + o);
        const x3 = v128.load(r3 + o);
        const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
        const t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
        const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
        const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
        const q = panel + (<usize>(p * GEMM_MR) << 2);
        v128.store(q, f32x4.mul(va, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5)));
        v128.store(q + 16, f32x4.mul(va, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7)));
        v128.store(q + 32, f32x4.mul(va, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5)));
        v128.store(q + 48, f32x4.mul(va, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7)));
      }
      for (let p = full; p < kc; p++) {
        const o = <usize>p << 2;
        const q = panel + (<usize>(p * GEMM_MR) << 2);
        store<f32>(q, alpha * load<f32>(r0 + o));
        store<f32>(q + 4, alpha * load<f32>(r1 + o));
        store<f32>(q + 8, alpha * load<f32>(r2 + o));
        store<f32>(q + 12, alpha * load<f32>(r3 + o));
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const q = panel + (<usize>(p * GEMM_MR) << 2);
        for (let i = 0; i < GEMM_MR; i++) {
          let v: f32 = 0;
          if (i < h) v = alpha * (transA ? load<f32>(a + (<usize>((p0 + p) * lda + i0 + ip + i) << 2)) : load<f32>(a + (<usize>((i0 + ip + i) * lda + p0 + p) << 2)));
          store<f32>(q + (<usize>(i << 2)), v);
        }
      }
    }
  }
}

/** C[h×w tile at c] += (packed A panel) · (packed B panel) over kc; h ≤ GEMM_MR, w ≤ GEMM_NR. */
function gemmTile(pa: usize, pb: usize, kc: i32, c: usize, ldc: i32, h: i32, w: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(a0, b0));
    c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    const a1 = v128.load32_splat(pa, 4);
    c10 = f32x4.add(c10, f32x4.mul(a1, b0));
    c11 = f32x4.add(c11, f32x4.mul(a1, b1));
    const a2 = v128.load32_splat(pa, 8);
    c20 = f32x4.add(c20, f32x4.mul(a2, b0));
    c21 = f32x4.add(c21, f32x4.mul(a2, b1));
    const a3 = v128.load32_splat(pa, 12);
    c30 = f32x4.add(c30, f32x4.mul(a3, b0));
    c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    pa += 16;
    pb += 32;
  }
  const row = <usize>ldc << 2;
  if (h == GEMM_MR && w == GEMM_NR) {
    v128.store(c, f32x4.add(v128.load(c), c00));
    v128.store(c, f32x4.add(v128.load(c, 16), c01), 16);
    c += row;
    v128.store(c, f32x4.add(v128.load(c), c10));
    v128.store(c, f32x4.add(v128.load(c, 16), c11), 16);
    c += row;
    v128.store(c, f32x4.add(v128.load(c), c20));
    v128.store(c, f32x4.add(v128.load(c, 16), c21), 16);
    c += row;
    v128.store(c, f32x4.add(v128.load(c), c30));
    v128.store(c, f32x4.add(v128.load(c, 16), c31), 16);
    return;
  }
  v128.store(GEMM_TILE, c00); v128.store(GEMM_TILE, c01, 16);
  v128.store(GEMM_TILE, c10, 32); v128.store(GEMM_TILE, c11, 48);
  v128.store(GEMM_TILE, c20, 64); v128.store(GEMM_TILE, c21, 80);
  v128.store(GEMM_TILE, c30, 96); v128.store(GEMM_TILE, c31, 112);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const q = c + (<usize>(i * ldc + j) << 2);
      store<f32>(q, load<f32>(q) + load<f32>(GEMM_TILE + (<usize>(i * GEMM_NR + j) << 2)));
    }
  }
}

/**
 * C = alpha·op(A)·op(B) + beta·C (row-major; op = transpose when the flag is set). `packA` holds
 * GEMM_MC·GEMM_KC floats, `packB` GEMM_KC·min(n rounded up to GEMM_NR, GEMM_NC) floats.
 */
export function sgemm(transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32, a: usize, lda: i32,
  b: usize, ldb: i32, beta: f32, c: usize, ldc: i32, packA_: usize, packB_: usize): void {
  if (beta != 1) {
    const vb = f32x4.splat(beta);
    const full = n & ~3;
    for (let i = 0; i < m; i++) {
      const r = c + (<usize>(i * ldc) << 2);
      if (beta == 0) {
        memory.fill(r, 0, <usize>n << 2);
        continue;
      }
      for (let j = 0; j < full; j += 4) v128.store(r + (<usize>j << 2), f32x4.mul(vb, v128.load(r + (<usize>j << 2))));
      for (let j = full; j < n; j++) store<f32>(r + (<usize>j << 2), beta * load<f32>(r + (<usize>j << 2)));
    }
  }
  if (k == 0 || alpha == 0) return;
  for (let jc = 0; jc < n; jc += GEMM_NC) {
    const nc = min(GEMM_NC, n - jc);
    for (let pc = 0; pc < k; pc += GEMM_KC) {
      const kc = min(GEMM_KC, k - pc);
      packB(packB_, b, ldb, transB, pc, jc, kc, nc);
      for (let ic = 0; ic < m; ic += GEMM_MC) {
        const mc = min(GEMM_MC, m - ic);
        packA(packA_, a, lda, transA, ic, pc, mc, kc, alpha);
        for (let jr = 0; jr < nc; jr += GEMM_NR) {
          const pb = packB_ + (<usize>(jr * kc) << 2);
          const w = min(GEMM_NR, nc - jr);
          for (let ir = 0; ir < mc; ir += GEMM_MR) {
            gemmTile(packA_ + (<usize>(ir * kc) << 2), pb, kc, c + (<usize>((ic + ir) * ldc + jc + jr) << 2), ldc, min(GEMM_MR, mc - ir), w);
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Unary element-wise ops: out[i] = f(x[i]). Op codes mirror UNARY_SIMD_OPS in
// src/kernels/elementwise.ts. `n` is the integer exponent of U_POWI.

const U_EXP = 0;
const U_LOG = 1;
const U_SQRT = 2;
const U_RSQRT = 3;
const U_TANH = 4;
const U_SIGMOID = 5;
const U_RELU = 6;
const U_NEG = 7;
const U_SQUARE = 8;
const U_ABS = 9;
const U_POWI = 10;
const U_ERF = 11;

/**
 * erf(x), four lanes: Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7), the formula of tfjs's
 * own cpu kernel: sign(x)·(1 − t·(a1 + t·(a2 + …))·e^{−x²}), t = 1/(1 + p|x|).
 */
// @ts-ignore: decorator
@inline function erf4(x: v128): v128 {
  const v = f32x4.abs(x);
  const t = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), f32x4.mul(f32x4.splat(0.3275911), v)));
  let p = f32x4.splat(1.061405429);
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.453152027));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.421413741));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.284496736));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.254829592));
  const r = f32x4.sub(f32x4.splat(1.0), f32x4.mul(f32x4.mul(p, t), exp4(f32x4.neg(f32x4.mul(v, v)))));
  return v128.or(r, v128.and(x, i32x4.splat(0x80000000)));
}

/**
 * Natural log, four lanes (Cephes logf: x = m·2^e with m in [√½, √2), a degree-9 polynomial for
 * log(1 + (m − 1)); within ~1 float32 ulp). log(0) = −Inf, log(x < 0) = NaN, log(+Inf) = +Inf,
 * NaN stays NaN; subnormal x are scaled into the normal range first.
 */
// @ts-ignore: decorator
@inline function log4(x0: v128): v128 {
  const sub = v128.and(f32x4.lt(x0, f32x4.splat(1.17549435e-38)), f32x4.gt(x0, f32x4.splat(0)));
  const x = v128.bitselect(f32x4.mul(x0, f32x4.splat(8388608.0)), x0, sub);
  let e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_s(x, 23), i32x4.splat(126)));
  e = f32x4.sub(e, v128.and(sub, f32x4.splat(23.0)));
  let m = v128.or(v128.and(x, i32x4.splat(0x807fffff)), i32x4.splat(0x3f000000));
  // m in [0.5, 1): below √½ use 2m − 1 and e − 1, else m − 1.
  const small = f32x4.lt(m, f32x4.splat(0.707106781186547524));
  e = f32x4.sub(e, v128.and(small, f32x4.splat(1.0)));
  m = f32x4.sub(f32x4.add(m, v128.and(small, m)), f32x4.splat(1.0));
  const z = f32x4.mul(m, m);
  let y = f32x4.splat(7.0376836292e-2);
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.1514610310e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(1.1676998740e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.2420140846e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(1.4249322787e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.6668057665e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(2.0000714765e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-2.4999993993e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(3.3333331174e-1));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(e, f32x4.splat(-2.12194440e-4)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  let r = f32x4.add(f32x4.add(m, y), f32x4.mul(e, f32x4.splat(0.693359375)));
  // Special values: +Inf and NaN pass through, 0 gives −Inf, negatives give NaN.
  r = v128.bitselect(x, r, v128.or(f32x4.eq(x, f32x4.splat(Infinity)), f32x4.ne(x, x)));
  r = v128.bitselect(f32x4.splat(-Infinity), r, f32x4.eq(x, f32x4.splat(0)));
  return v128.bitselect(f32x4.splat(NaN), r, f32x4.lt(x, f32x4.splat(0)));
}

/**
 * tanh, four lanes: Cephes tanhf's odd polynomial below |x| = 0.625, else 1 − 2/(e^{2|x|} + 1)
 * written as (1 − t)/(1 + t), t = e^{−2|x|}, with the sign of x. NaN stays NaN.
 */
// @ts-ignore: decorator
@inline function tanh4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const t = exp4(f32x4.mul(ax, f32x4.splat(-2.0)));
  const one = f32x4.splat(1.0);
  const big = v128.or(f32x4.div(f32x4.sub(one, t), f32x4.add(one, t)), v128.and(x, i32x4.splat(0x80000000)));
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  return v128.bitselect(small, big, f32x4.lt(ax, f32x4.splat(0.625)));
}

/**
 * e^x over all of float32's range: {@link exp4} stops at EXP_HI (≈ 88.376, where 2^k would
 * overflow its exponent bits) while e^x stays finite up to ≈ 88.72; there e^x = (e^{x/2})².
 */
// @ts-ignore: decorator
@inline function expWide4(x: v128): v128 {
  const h = exp4(f32x4.mul(x, f32x4.splat(0.5)));
  return v128.bitselect(f32x4.mul(h, h), exp4(x), f32x4.gt(x, f32x4.splat(88.0)));
}

/** x^n for an integer n, by repeated squaring (n < 0: the reciprocal of x^|n|; x^0 = 1, as Math.pow). */
// @ts-ignore: decorator
@inline function powi4(x: v128, n: i32): v128 {
  let e = n < 0 ? -n : n;
  let r = f32x4.splat(1.0);
  let b = x;
  let first = true;
  while (e) {
    if (e & 1) {
      r = first ? b : f32x4.mul(r, b);
      first = false;
    }
    e >>= 1;
    if (e) b = f32x4.mul(b, b);
  }
  return n < 0 ? f32x4.div(f32x4.splat(1.0), r) : r;
}

// @ts-ignore: decorator
@inline function unary4(op: i32, x: v128, n: i32): v128 {
  if (op == U_EXP) return expWide4(x);
  if (op == U_LOG) return log4(x);
  if (op == U_SQRT) return f32x4.sqrt(x);
  if (op == U_RSQRT) return f32x4.div(f32x4.splat(1.0), f32x4.sqrt(x));
  if (op == U_TANH) return tanh4(x);
  if (op == U_SIGMOID) return f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), exp4(f32x4.neg(x))));
  if (op == U_RELU) return f32x4.max(x, f32x4.splat(0));
  if (op == U_NEG) return f32x4.neg(x);
  if (op == U_SQUARE) return f32x4.mul(x, x);
  if (op == U_ABS) return f32x4.abs(x);
  if (op == U_ERF) return erf4(x);
  return powi4(x, n);
}

// @ts-ignore: decorator
@inline function unaryLoop(op: i32, x: usize, out: usize, count: i32, n: i32): void {
  const full = count & ~3;
  for (let i = 0; i < full; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, unary4(op, v128.load(x + o), n));
  }
  const r = count - full;
  if (r) {
    const o = <usize>full << 2;
    storeTail(out + o, unary4(op, loadTail(x + o, r), n), r);
  }
}

/** out = f(x) over `count` floats for the unary op `op` (U_EXP … U_POWI); in place allowed. */
export function unary(op: i32, x: usize, out: usize, count: i32, n: i32): void {
  if (op == U_EXP) unaryLoop(U_EXP, x, out, count, n);
  else if (op == U_LOG) unaryLoop(U_LOG, x, out, count, n);
  else if (op == U_SQRT) unaryLoop(U_SQRT, x, out, count, n);
  else if (op == U_RSQRT) unaryLoop(U_RSQRT, x, out, count, n);
  else if (op == U_TANH) unaryLoop(U_TANH, x, out, count, n);
  else if (op == U_SIGMOID) unaryLoop(U_SIGMOID, x, out, count, n);
  else if (op == U_RELU) unaryLoop(U_RELU, x, out, count, n);
  else if (op == U_NEG) unaryLoop(U_NEG, x, out, count, n);
  else if (op == U_SQUARE) unaryLoop(U_SQUARE, x, out, count, n);
  else if (op == U_ABS) unaryLoop(U_ABS, x, out, count, n);
  else if (op == U_ERF) unaryLoop(U_ERF, x, out, count, n);
  else if (n == 2) unaryLoop(U_SQUARE, x, out, count, n);
  else if (n == 3) powi3Loop(x, out, count);
  else unaryLoop(U_POWI, x, out, count, n);
}

// @ts-ignore: decorator
@inline function cube4(x: v128, n: i32): v128 {
  return f32x4.mul(f32x4.mul(x, x), x);
}

function powi3Loop(x: usize, out: usize, count: i32): void {
  const full = count & ~3;
  for (let i = 0; i < full; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, cube4(v128.load(x + o), 3));
  }
  const r = count - full;
  if (r) {
    const o = <usize>full << 2;
    storeTail(out + o, cube4(loadTail(x + o, r), 3), r);
  }
}

// ---------------------------------------------------------------------------------------------
// tfjs's step: out = 1 where x > 0, alpha elsewhere, NaN where x is NaN (ReLU's gradient is
// dy · step(x)). Branch-free: a scalar loop mispredicts on every other element of a random sign.

export function step(x: usize, out: usize, count: i32, alpha: f32): void {
  const one = f32x4.splat(1);
  const va = f32x4.splat(alpha);
  const zero = f32x4.splat(0);
  const full = count & ~3;
  for (let i = 0; i < full; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    const s = v128.bitselect(one, va, f32x4.gt(v, zero));
    v128.store(out + o, v128.bitselect(v, s, f32x4.ne(v, v)));
  }
  for (let i = full; i < count; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    store<f32>(out + (<usize>i << 2), v > 0 ? 1 : v != v ? v : alpha);
  }
}

// ---------------------------------------------------------------------------------------------
// Row copies for Transpose once adjacent axes are merged (the attention permutations
// [B,T,H,D] → [B,H,T,D] and back), SplitV and Concat: out gets rows of n contiguous floats, one
// every `ld` floats, in order, from x at a·s0 + b·s1 + c·s2 + d·s3 (strides in floats) for
// a < n0, b < n1, c < n2, d < n3.

export function copyRows(x: usize, out: usize, n0: i32, n1: i32, n2: i32, n3: i32, s0: i32, s1: i32, s2: i32, s3: i32, n: i32, ld: i32): void {
  const bytes = <usize>n << 2;
  const outStep = <usize>ld << 2;
  const vec = <usize>(n & ~3) << 2;
  let o = out;
  for (let a = 0; a < n0; a++) {
    for (let b = 0; b < n1; b++) {
      for (let c = 0; c < n2; c++) {
        let src = x + (<usize>(a * s0 + b * s1 + c * s2) << 2);
        const step3 = <usize>s3 << 2;
        for (let d = 0; d < n3; d++) {
          let e: usize = 0;
          for (; e < vec; e += 16) v128.store(o + e, v128.load(src + e));
          for (; e < bytes; e += 4) store<f32>(o + e, load<f32>(src + e));
          o += outStep;
          src += step3;
        }
      }
    }
  }
}
