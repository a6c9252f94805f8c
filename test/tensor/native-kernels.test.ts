// Native kernels against the pure-TypeScript reference (jsKernels), on random float32 inputs.
// Shapes are deliberately odd (not multiples of 8/16), batched, offset, strided and transposed;
// sizes above ~32K elements also exercise the OpenMP-parallel paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels } from '../../src/tensor/backends/js/index.ts';
import { BinOp, UnOp, type Kernels } from '../../src/tensor/backends/kernels.ts';
import { chooseCoretype, loadNative, nativeInfo, nativeLoadError } from '../../src/tensor/backends/native.ts';

const native = loadNative();
const skip = native ? false : `native addon not built: ${nativeLoadError()}`;
const nk = native as Kernels;
const js = jsKernels;

// Small deterministic PRNG (mulberry32) so failures reproduce.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(12345);
function randn(n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rand();
  return a;
}
function nanFilled(n: number): Float32Array {
  return new Float32Array(n).fill(NaN);
}

/** |a - e| <= tol * (|e| + max|e|) elementwise (relative, with a floor at the array's scale). */
function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) if (Number.isFinite(expected[i]!)) scale = Math.max(scale, Math.abs(expected[i]!));
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (Number.isNaN(e)) { assert.ok(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`); continue; }
    if (!Number.isFinite(e)) { assert.equal(a, e, `${what}[${i}]`); continue; }
    const err = Math.abs(a - e);
    if (!(err <= tol * (Math.abs(e) + scale))) assert.fail(`${what}[${i}]: native ${a} vs js ${e} (|diff| ${err.toExponential(2)})`);
  }
}
function same(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i]) && actual[i] !== expected[i]) assert.fail(`${what}[${i}]: native ${actual[i]} vs js ${expected[i]}`);
  }
}
/** Runs fn on both backends with fresh copies of the given buffers; returns [native, js] copies. */
function both<T extends Float32Array[]>(bufs: T, fn: (k: Kernels, b: T) => void): [T, T] {
  const a = bufs.map((b) => b.slice()) as T, b = bufs.map((x) => x.slice()) as T;
  fn(nk, a);
  fn(js, b);
  return [a, b];
}

test('gemm: transposes, batches, offsets, padding, broadcast strides, beta', { skip }, () => {
  const shapes: [number, number, number][] = [[1, 1, 1], [7, 13, 5], [33, 17, 70], [64, 129, 31], [300, 200, 150]];
  for (const [M, N, K] of shapes) {
    for (const tA of [false, true]) for (const tB of [false, true]) for (const batch of [1, 3]) {
      const pad = 3, aOff = 2, bOff = 5, cOff = 1;
      const lda = (tA ? M : K) + pad, ldb = (tB ? K : N) + pad, ldc = N + pad;
      const aSize = (tA ? K : M) * lda, bSize = (tB ? N : K) * ldb, cSize = M * ldc;
      const strideA = aSize + 4, strideB = batch > 1 && N % 2 ? 0 : bSize + 1, strideC = cSize + 2;
      const A = randn(aOff + batch * strideA), B = randn(bOff + batch * Math.max(strideB, bSize));
      for (const beta of [0, 0.7]) {
        const C = beta === 0 ? nanFilled(cOff + batch * strideC) : randn(cOff + batch * strideC);
        const [[cn], [cj]] = both([C], (k, [c]) => k.gemm(tA, tB, M, N, K, 0.5, A, aOff, lda, strideA, B, bOff, ldb, strideB, beta, c, cOff, ldc, strideC, batch));
        // padding columns and the gaps between batch items must be untouched (NaN stays NaN)
        close(cn, cj, 2e-5, `gemm ${M}x${N}x${K} tA=${tA} tB=${tB} batch=${batch} beta=${beta}`);
      }
    }
  }
});

test('gemm: many small products run batch-parallel; K=0 and alpha=0 give beta*C', { skip }, () => {
  const M = 24, N = 19, K = 9, batch = 64;
  const A = randn(batch * M * K), B = randn(batch * K * N);
  const [[cn], [cj]] = both([nanFilled(batch * M * N)], (k, [c]) => k.gemm(false, true, M, N, K, 1.25, A, 0, K, M * K, B, 0, K, K * N, 0, c, 0, N, M * N, batch));
  close(cn, cj, 2e-5, 'batched small gemm');
  const C0 = nanFilled(12);
  nk.gemm(false, false, 3, 4, 0, 1, new Float32Array(0), 0, 1, 0, new Float32Array(0), 0, 4, 0, 0, C0, 0, 4, 0, 1);
  same(C0, new Float32Array(12), 'K=0, beta=0');
  const C1 = randn(12), expect = C1.map((x) => Math.fround(x * 0.5));
  nk.gemm(false, false, 3, 4, 2, 0, randn(6), 0, 2, 0, randn(8), 0, 4, 0, 0.5, C1, 0, 4, 0, 1);
  close(C1, expect, 1e-7, 'alpha=0');
});

test('binary: every op with broadcasting, strided views, offsets and big shapes', { skip }, () => {
  const cases: { shape: number[]; as: number[]; bs: number[]; aOff: number; bOff: number; aLen: number; bLen: number }[] = [
    { shape: [], as: [], bs: [], aOff: 1, bOff: 0, aLen: 2, bLen: 1 },
    { shape: [37], as: [1], bs: [0], aOff: 0, bOff: 3, aLen: 37, bLen: 4 },
    { shape: [3, 5, 7], as: [35, 7, 1], bs: [0, 1, 0], aOff: 2, bOff: 1, aLen: 107, bLen: 6 },
    { shape: [5, 1, 7], as: [1, 0, 5], bs: [7, 0, 1], aOff: 0, bOff: 0, aLen: 35, bLen: 35 }, // transposed a
    { shape: [1, 9, 1, 11], as: [0, 11, 0, 1], bs: [0, 0, 0, 2], aOff: 4, bOff: 0, aLen: 103, bLen: 21 },
    { shape: [301, 257], as: [257, 1], bs: [0, 1], aOff: 0, bOff: 0, aLen: 301 * 257, bLen: 257 }, // bias add
    { shape: [257, 301], as: [1, 257], bs: [1, 0], aOff: 0, bOff: 0, aLen: 301 * 257, bLen: 257 },
    { shape: [70001], as: [1], bs: [1], aOff: 0, bOff: 0, aLen: 70001, bLen: 70001 },
    { shape: [40000], as: [2], bs: [0], aOff: 1, bOff: 0, aLen: 80001, bLen: 1 },
  ];
  for (const c of cases) {
    const total = c.shape.reduce((x, y) => x * y, 1);
    const a = randn(c.aLen), b = randn(c.bLen, 0.5, 2);
    for (const op of [BinOp.Add, BinOp.Sub, BinOp.Mul, BinOp.Div]) {
      const [[on], [oj]] = both([nanFilled(total)], (k, [o]) => k.binary(op, a, c.aOff, c.as, b, c.bOff, c.bs, o, c.shape));
      same(on, oj, `binary op ${op} shape [${c.shape}]`); // one float op per element: bit-exact
    }
  }
  // typed-array shapes and strides are accepted as well as plain arrays
  const a = randn(12), b = randn(4), o = new Float32Array(12), oj = new Float32Array(12);
  nk.binary(BinOp.Mul, a, 0, Int32Array.of(4, 1), b, 0, Int32Array.of(0, 1), o, Int32Array.of(3, 4));
  js.binary(BinOp.Mul, a, 0, [4, 1], b, 0, [0, 1], oj, [3, 4]);
  same(o, oj, 'binary with Int32Array shapes');
});

test('unary and unaryBackward: every op, small and parallel sizes, accumulate', { skip }, () => {
  const ops = Object.entries(UnOp) as [string, UnOp][];
  for (const n of [1001, 100003]) {
    for (const [name, op] of ops) {
      const positive = op === UnOp.Log || op === UnOp.Sqrt;
      const x = positive ? randn(n, 0.01, 5) : randn(n, -6, 6);
      if (!positive && n > 2000) x.set([0, -0, 1e-30, -8.5, 8.5, 20, -20], 0);
      const [[yn], [yj]] = both([new Float32Array(n)], (k, [y]) => k.unary(op, x, y, n));
      close(yn, yj, 1e-6, `unary ${name}`);
      const dy = randn(n);
      for (const acc of [false, true]) {
        const [[dn], [dj]] = both([randn(n)], (k, [dx]) => k.unaryBackward(op, x, yj, dy, dx, n, acc));
        close(dn, dj, 1e-6, `unaryBackward ${name} acc=${acc}`);
      }
    }
  }
  const x = Float32Array.of(NaN, Infinity, -Infinity, -1, 0), y = new Float32Array(5);
  nk.unary(UnOp.Relu, x, y, 5);
  assert.ok(Number.isNaN(y[0]!) && y[1] === Infinity && y[2] === 0 && y[3] === 0, 'relu keeps NaN');
  nk.unary(UnOp.Gelu, x, y, 5);
  assert.ok(Number.isNaN(y[0]!) && y[1] === Infinity, 'gelu keeps NaN, gelu(inf) = inf');
});

test('affine (aliased), axpy, fill with offset', { skip }, () => {
  for (const n of [17, 65537]) {
    const x = randn(n);
    const [[an], [aj]] = both([x], (k, [v]) => k.affine(v, 0.37, -1.5, v, n));
    close(an, aj, 1e-7, 'affine in place');
    const [[yn], [yj]] = both([randn(n)], (k, [y]) => k.axpy(-0.3, x, y, n));
    close(yn, yj, 1e-7, 'axpy');
    const [[fn], [fj]] = both([randn(n + 10)], (k, [o]) => k.fill(o, 3, n, 2.5));
    same(fn, fj, 'fill');
  }
});

test('sumAxis: rows, columns, split reductions, accumulate', { skip }, () => {
  const cases: [number, number, number][] = [[1, 300, 1], [5, 7, 1], [3, 100, 33], [1, 20000, 3], [2, 50000, 1], [1, 100000, 1], [1, 2048, 768], [4, 9, 1025], [0, 3, 3], [2, 0, 5]];
  for (const [o, r, i] of cases) {
    const x = randn(o * r * i);
    for (const acc of [false, true]) {
      const [[sn], [sj]] = both([randn(o * i)], (k, [out]) => k.sumAxis(x, o, r, i, out, acc));
      close(sn, sj, 2e-5, `sumAxis ${o}x${r}x${i} acc=${acc}`);
    }
  }
});

test('copyStrided: permute, slice, broadcast, accumulate, big', { skip }, () => {
  const cases: { src: number; sOff: number; strides: number[]; shape: number[] }[] = [
    { src: 120, sOff: 0, strides: [60, 5, 20, 1], shape: [2, 4, 3, 5] }, // [2,3,4,5] -> swap 1,2
    { src: 200, sOff: 7, strides: [20, 2], shape: [9, 5] }, // strided slice
    { src: 11, sOff: 3, strides: [0, 1, 0], shape: [4, 6, 3] }, // broadcast expand
    { src: 16 * 128 * 768, sOff: 0, strides: [128 * 768, 64, 768, 1], shape: [16, 12, 128, 64] }, // heads
    { src: 80001, sOff: 1, strides: [2], shape: [40000] },
    { src: 5, sOff: 2, strides: [], shape: [] },
  ];
  for (const c of cases) {
    const total = c.shape.reduce((x, y) => x * y, 1);
    const src = randn(c.src);
    for (const acc of [false, true]) {
      const [[dn], [dj]] = both([randn(total + 5)], (k, [d]) => k.copyStrided(src, c.sOff, c.strides, c.shape, d, 2, acc));
      close(dn, dj, 1e-7, `copyStrided [${c.shape}] acc=${acc}`);
    }
  }
});

test('scatterStridedAdd: injective, broadcast-reduce, overlapping, big', { skip }, () => {
  const cases: { dst: number; dOff: number; strides: number[]; shape: number[] }[] = [
    { dst: 120, dOff: 0, strides: [60, 5, 20, 1], shape: [2, 4, 3, 5] },
    { dst: 30, dOff: 4, strides: [0, 1, 0], shape: [5, 6, 7] }, // reduce broadcast dims
    { dst: 25, dOff: 0, strides: [1, 1], shape: [10, 10] }, // overlapping targets
    { dst: 64 * 8, dOff: 0, strides: [8, 0, 1], shape: [64, 100, 8] }, // parallel over dim 0
    { dst: 16 * 128 * 768, dOff: 0, strides: [128 * 768, 64, 768, 1], shape: [16, 12, 128, 64] },
    { dst: 3, dOff: 1, strides: [0], shape: [70000] },
  ];
  for (const c of cases) {
    const total = c.shape.reduce((x, y) => x * y, 1);
    const src = randn(total + 3);
    const [[dn], [dj]] = both([randn(c.dst + 2)], (k, [d]) => k.scatterStridedAdd(src, 3, c.shape, d, c.dOff, c.strides));
    close(dn, dj, 2e-6, `scatterStridedAdd [${c.shape}] strides [${c.strides}]`);
  }
});

test('layerNorm forward and backward (nullable gradients, accumulation)', { skip }, () => {
  for (const [rows, cols] of [[37, 77], [256, 768], [3, 1]]) {
    const x = randn(rows * cols, -3, 4), g = randn(cols), b = randn(cols);
    const [[yn, mn, rn], [yj, mj, rj]] = both([nanFilled(rows * cols), nanFilled(rows), nanFilled(rows)],
      (k, [y, m, r]) => k.layerNormForward(x, g, b, rows, cols, 1e-12, y, m, r));
    close(yn, yj, 1e-5, 'layerNorm y');
    close(mn, mj, 1e-6, 'layerNorm mean');
    close(rn, rj, cols === 1 ? 1e-3 : 1e-5, 'layerNorm rstd');
    const dy = randn(rows * cols);
    const [[dxn, dgn, dbn], [dxj, dgj, dbj]] = both([nanFilled(rows * cols), randn(cols), randn(cols)],
      (k, [dx, dg, db]) => k.layerNormBackward(dy, x, g, mj, rj, rows, cols, dx, dg, db));
    close(dxn, dxj, 1e-4, 'layerNorm dx');
    close(dgn, dgj, 1e-5, 'layerNorm dgamma');
    close(dbn, dbj, 1e-5, 'layerNorm dbeta');
    const [[only], [onlyJ]] = both([randn(cols)], (k, [dg]) => k.layerNormBackward(dy, x, g, mj, rj, rows, cols, null, dg, null));
    close(only, onlyJ, 1e-5, 'layerNorm dgamma only');
    const [[dxo], [dxoJ]] = both([randn(rows * cols)], (k, [dx]) => k.layerNormBackward(dy, x, g, mj, rj, rows, cols, dx, null, null));
    close(dxo, dxoJ, 1e-4, 'layerNorm dx only');
  }
});

test('softmax forward/backward, including masked (-inf) rows', { skip }, () => {
  for (const [rows, cols] of [[50, 33], [600, 128], [4, 1]]) {
    const x = randn(rows * cols, -30, 30);
    x.fill(-Infinity, 0, cols); // a fully masked row -> zeros (js convention)
    x[cols + 1] = -Infinity;
    const [[yn], [yj]] = both([nanFilled(rows * cols)], (k, [y]) => k.softmaxForward(x, rows, cols, y));
    close(yn, yj, 1e-5, `softmax ${rows}x${cols}`);
    const dy = randn(rows * cols);
    const [[dn], [dj]] = both([nanFilled(rows * cols)], (k, [dx]) => k.softmaxBackward(yj, dy, rows, cols, dx));
    close(dn, dj, 1e-5, 'softmax backward');
  }
});

test('attention forward/backward: cross lengths, mask, dropout, optional grads', { skip }, () => {
  const cfgs = [
    { B: 2, Tq: 5, Tk: 7, NH: 3, HS: 4 },
    { B: 3, Tq: 16, Tk: 16, NH: 2, HS: 8 },
    { B: 2, Tq: 33, Tk: 33, NH: 4, HS: 12 },
    { B: 1, Tq: 9, Tk: 3, NH: 1, HS: 5 },
  ];
  for (const { B, Tq, Tk, NH, HS } of cfgs) {
    const H = NH * HS, scale = 1 / Math.sqrt(HS);
    const q = randn(B * Tq * H), k = randn(B * Tk * H), v = randn(B * Tk * H);
    const mask = new Float32Array(B * Tk);
    for (let b = 0; b < B; b++) mask[b * Tk + Tk - 1] = -10000; // last key padded
    // the dropout mask the kernels draw on the fly, written out for an independent reference
    const drop = new Float32Array(B * NH * Tq * Tk);
    js.bernoulliMask(drop, drop.length, 0.8, 1 / 0.8, 99, 0);
    for (const [m, keep] of [[mask, 0.8], [null, 1], [mask, 1]] as const) {
      const d = keep < 1;
      const [[pn, on], [pj, oj]] = both([nanFilled(B * NH * Tq * Tk), nanFilled(B * Tq * H)],
        (kk, [p, o]) => kk.attentionForward(q, k, v, m, keep, 99, B, Tq, Tk, NH, HS, scale, p, o));
      const what = `attention B=${B} Tq=${Tq} Tk=${Tk} NH=${NH} HS=${HS} mask=${!!m} drop=${d}`;
      // out = (P * dropMask) V by plain loops, from the probabilities and the explicit mask
      const ref = new Float64Array(B * Tq * H);
      for (let b = 0; b < B; b++) for (let h = 0; h < NH; h++) for (let i = 0; i < Tq; i++) for (let c = 0; c < HS; c++) {
        let acc = 0;
        for (let j = 0; j < Tk; j++) {
          const pi = ((b * NH + h) * Tq + i) * Tk + j;
          acc += pj[pi]! * (d ? drop[pi]! : 1) * v[(b * Tk + j) * H + h * HS + c]!;
        }
        ref[(b * Tq + i) * H + h * HS + c] = acc;
      }
      close(oj, ref, 2e-5, `${what} out vs (P * mask) V`);
      close(pn, pj, 1e-5, `${what} probs`);
      close(on, oj, 2e-5, `${what} out`);
      const dOut = randn(B * Tq * H);
      const [[dqn, dkn, dvn], [dqj, dkj, dvj]] = both([nanFilled(B * Tq * H), nanFilled(B * Tk * H), nanFilled(B * Tk * H)],
        (kk, [dq, dk, dv]) => kk.attentionBackward(q, k, v, pj, keep, 99, dOut, B, Tq, Tk, NH, HS, scale, dq, dk, dv));
      close(dqn, dqj, 5e-5, `${what} dq`);
      close(dkn, dkj, 5e-5, `${what} dk`);
      close(dvn, dvj, 2e-5, `${what} dv`);
      // optional gradients: only dv, only dq
      const [[dv2], [dv2j]] = both([nanFilled(B * Tk * H)], (kk, [dv]) => kk.attentionBackward(q, k, v, pj, keep, 99, dOut, B, Tq, Tk, NH, HS, scale, null, null, dv));
      close(dv2, dv2j, 2e-5, `${what} dv only`);
      const [[dq2], [dq2j]] = both([nanFilled(B * Tq * H)], (kk, [dq]) => kk.attentionBackward(q, k, v, pj, keep, 99, dOut, B, Tq, Tk, NH, HS, scale, dq, null, null));
      close(dq2, dq2j, 5e-5, `${what} dq only`);
    }
  }
});

test('embedding forward/backward with repeated ids', { skip }, () => {
  for (const [V, H, N] of [[11, 5, 17], [1000, 768, 512]]) {
    const w = randn(V * H);
    const ids = new Int32Array(N).map(() => Math.floor(rand() * V));
    ids[0] = 0; ids[1] = V - 1; ids[2] = ids[3] = 4;
    const [[on], [oj]] = both([nanFilled(N * H)], (k, [o]) => k.embeddingForward(w, ids, V, H, o));
    same(on, oj, 'embedding forward');
    const dOut = randn(N * H);
    const [[dn], [dj]] = both([randn(V * H)], (k, [dw]) => k.embeddingBackward(dOut, ids, V, H, dw));
    same(dn, dj, 'embedding backward'); // same addition order per row: exact
  }
});

test('cross-entropy forward/backward with ignored labels', { skip }, () => {
  for (const [N, C] of [[13, 7], [512, 300]]) {
    const logits = randn(N * C, -8, 8);
    const labels = new Int32Array(N).map(() => Math.floor(rand() * C));
    labels[1] = -100; labels[N - 1] = -100;
    let ln = NaN, lj = NaN;
    const [[pn], [pj]] = both([nanFilled(N * C)], (k, [p]) => {
      const loss = k.crossEntropyForward(logits, labels, N, C, -100, p);
      if (k === nk) ln = loss; else lj = loss;
    });
    close(pn, pj, 1e-5, 'cross-entropy probs');
    assert.ok(Math.abs(ln - lj) <= 1e-5 * Math.abs(lj), `cross-entropy loss ${ln} vs ${lj}`);
    const [[dn], [dj]] = both([nanFilled(N * C)], (k, [d]) => k.crossEntropyBackward(pj, labels, N, C, -100, 1 / (N - 2), d));
    close(dn, dj, 1e-6, 'cross-entropy dLogits');
  }
});

test('bernoulliMask is bit-identical to the js stream', { skip }, () => {
  const cases: [number, number, number, number, number][] = [ // n, keep, scale, seed, offset
    [1000, 0.9, 1 / 0.9, 0, 0],
    [100003, 0.1, 10, 4294967295, 7],
    [5000, 0.5, 2, 123456789, 2 ** 32 + 5],
    [777, 0, 1, 3, 0],
    [777, 1, 1, 3, 0],
    [4097, 0.3333333333333333, 3, 42, 1e9],
  ];
  for (const [n, keep, scale, seed, offset] of cases) {
    const [[mn], [mj]] = both([nanFilled(n + 2)], (k, [o]) => k.bernoulliMask(o, n, keep, scale, seed, offset));
    same(mn, mj, `bernoulliMask keep=${keep} seed=${seed} offset=${offset}`);
  }
});

test('dropoutApply: x * bernoulliMask on both backends, bit for bit; NaN kept; in place', { skip }, () => {
  for (const [n, keep, seed, offset] of [[1000, 0.9, 0, 0], [100003, 0.1, 4294967295, 7], [4097, 1 / 3, 42, 1e9], [50, 1, 3, 0]] as const) {
    const x = randn(n, -3, 3);
    x[1] = NaN;
    const mask = new Float32Array(n);
    js.bernoulliMask(mask, n, keep, 1 / keep, seed, offset);
    const want = x.map((v, i) => v * mask[i]!);
    const [[on], [oj]] = both([nanFilled(n)], (k, [o]) => k.dropoutApply(x, o, n, keep, seed, offset));
    same(oj, want, `js dropoutApply keep=${keep}`);
    same(on, want, `native dropoutApply keep=${keep}`);
    assert.ok(Number.isNaN(on[1]!), 'NaN * mask stays NaN even where dropped');
    const inPlace = x.slice();
    nk.dropoutApply(inPlace, inPlace, n, keep, seed, offset);
    same(inPlace, want, 'out aliasing x');
  }
});

test('sumSquares and countNonFinite', { skip }, () => {
  for (const n of [10, 1_000_003]) {
    const x = randn(n, -2, 2);
    const sn = nk.sumSquares(x, n), sj = js.sumSquares(x, n);
    assert.ok(Math.abs(sn - sj) <= 1e-9 * sj, `sumSquares ${sn} vs ${sj}`);
    assert.equal(nk.countNonFinite(x, n), 0);
    x[3] = NaN; x[n - 1] = Infinity; x[n - 2] = -Infinity; x[5] = 3.4e38;
    assert.equal(nk.countNonFinite(x, n), js.countNonFinite(x, n));
    assert.equal(nk.countNonFinite(x, n), 3);
    assert.equal(nk.countNonFinite(x, n - 2), 1); // only the first n entries count
  }
});

test('adamwStep: several steps, with and without a gradient mask', { skip }, () => {
  for (const n of [101, 200003]) {
    const mask = new Float32Array(n).map(() => (rand() < 0.3 ? 1 / 0.3 : 0));
    for (const gm of [null, mask]) {
      const [[pn, mn, vn], [pj, mj, vj]] = both([randn(n), new Float32Array(n), new Float32Array(n)], (k, [p, m, v]) => {
        for (let t = 1; t <= 3; t++) {
          const g = new Float32Array(n).map((_, i) => Math.sin(i * 0.37 + t));
          k.adamwStep(p, g, m, v, n, 1e-3, 0.9, 0.999, 1e-8, 0.01, 1 - 0.9 ** t, 1 - 0.999 ** t, gm);
        }
      });
      close(pn, pj, 1e-6, `adamw param mask=${!!gm}`);
      close(mn, mj, 1e-6, 'adamw m');
      close(vn, vj, 1e-6, 'adamw v');
    }
  }
});

test('errors: wrong buffer types, out-of-range ids and labels, short buffers', { skip }, () => {
  const f32 = new Float32Array(16), f64 = new Float64Array(16);
  assert.throws(() => nk.gemm(false, false, 2, 2, 2, 1, f64, 0, 2, 0, f32, 0, 2, 0, 0, f32, 0, 2, 0, 1),
    (e: Error) => e instanceof TypeError && /gemm/.test(e.message) && /\bA\b/.test(e.message) && /Float64Array/.test(e.message));
  assert.throws(() => nk.layerNormForward(f32, f32, f32, 2, 2, 1e-5, f64, f32, f32),
    (e: Error) => e instanceof TypeError && /layerNormForward/.test(e.message) && /\by\b/.test(e.message));
  assert.throws(() => nk.unary(UnOp.Exp, [1, 2] as unknown as Float32Array, f32, 2), (e: Error) => e instanceof TypeError && /unary/.test(e.message));
  assert.throws(() => nk.embeddingForward(f32, new Int32Array([0, 4]), 4, 4, f32),
    (e: Error) => e instanceof RangeError && /embeddingForward/.test(e.message) && /ids\[1\] = 4/.test(e.message));
  assert.throws(() => nk.embeddingForward(f32, new Int32Array([-1]), 4, 4, f32), RangeError);
  assert.throws(() => nk.embeddingBackward(f32, new Int32Array([9]), 4, 4, f32), RangeError);
  assert.throws(() => nk.embeddingForward(f32, Float32Array.of(1) as unknown as Int32Array, 4, 4, f32), TypeError);
  // C needs (M-1)*ldc + N = 3*4+4 = 16 elements from offset 1
  assert.throws(() => nk.gemm(false, false, 4, 4, 2, 1, f32, 0, 2, 0, f32, 0, 4, 0, 0, f32, 1, 4, 0, 1),
    (e: Error) => e instanceof RangeError && /gemm/.test(e.message) && /\bC\b/.test(e.message));
  assert.throws(() => nk.gemm(false, false, 2, 2, 2, 1, f32, 0, 2, 14, f32, 0, 2, 0, 0, new Float32Array(64), 0, 2, 4, 2),
    (e: Error) => e instanceof RangeError && /\bA\b/.test(e.message), 'batch stride walks past A');
  assert.throws(() => nk.gemm(false, false, 2, 2, 3, 1, f32, 0, 2, 0, f32, 0, 2, 0, 0, f32, 0, 2, 0, 1), RangeError, 'lda < K');
  assert.throws(() => nk.axpy(1, f32, new Float32Array(8), 16), (e: Error) => e instanceof RangeError && /axpy/.test(e.message));
  assert.throws(() => nk.copyStrided(f32, 0, [6], [4], f32, 0, false), (e: Error) => e instanceof RangeError && /copyStrided/.test(e.message));
  assert.throws(() => nk.copyStrided(f32, 0, [-1], [4], f32, 0, false), RangeError, 'negative stride below 0');
  assert.throws(() => nk.scatterStridedAdd(f32, 0, [4, 4], f32, 1, [4, 1]), RangeError);
  assert.throws(() => nk.binary(BinOp.Add, f32, 0, [1], f32, 0, [1, 1], f32, [4]), RangeError, 'rank mismatch');
  assert.throws(() => nk.crossEntropyForward(f32, new Int32Array([0, 7]), 2, 4, -100, f32),
    (e: Error) => e instanceof RangeError && /labels\[1\]/.test(e.message));
  assert.throws(() => nk.attentionForward(f32, f32, f32, null, 1, 0, 2, 4, 4, 2, 2, 1, new Float32Array(64), f32), RangeError);
  assert.throws(() => nk.attentionForward(f32, f32, f32, null, 0, 0, 1, 1, 1, 1, 1, 1, f32, f32), /dropKeep/);
  assert.throws(() => nk.dropoutApply(f32, f32, 16, 1.5, 0, 0), /keep/);
  assert.throws(() => nk.dropoutApply(f32, new Float32Array(8), 16, 0.5, 0, 0), RangeError);
  assert.throws(() => nk.fill(f32, 10, 7, 0), RangeError);
  assert.throws(() => nk.fill(f32, 1.5, 2, 0), RangeError, 'non-integer offset');
  assert.throws(() => (nk.sumSquares as (...a: unknown[]) => number)(f32), TypeError, 'missing arguments');
  same(f32, new Float32Array(16), 'nothing was written by the rejected calls');
});

test('nativeInfo reports threads and the OpenBLAS core type', { skip }, () => {
  const info = nativeInfo()!;
  assert.ok(info.threads >= 1);
  assert.match(info.coretype, /\w+/);
  assert.match(info.blasConfig, /OpenBLAS/);
});

test('coretype policy: Haswell override only where AVX-512 is full width', () => {
  const cpu = (vendor: string, family: number, flags: string[]) => ({ vendor, family, flags: new Set(flags) });
  const zen4 = cpu('AuthenticAMD', 0x19, ['avx2', 'avx512f', 'avx512_bf16']);
  const zen5 = cpu('AuthenticAMD', 0x1a, ['avx2', 'avx512f', 'avx512_bf16']);
  const skx = cpu('GenuineIntel', 6, ['avx2', 'avx512f']);
  assert.equal(chooseCoretype({ OPENBLAS_CORETYPE: 'Haswell' }, zen5).value, 'Cooperlake');
  assert.equal(chooseCoretype({}, skx).value, 'SkylakeX');
  assert.equal(chooseCoretype({ OPENBLAS_CORETYPE: 'Haswell' }, zen4).value, 'Haswell');
  assert.equal(chooseCoretype({ OPENBLAS_CORETYPE: 'Haswell', PELT_KEEP_OPENBLAS_CORETYPE: '1' }, zen5).value, null);
  assert.equal(chooseCoretype({ OPENBLAS_CORETYPE: 'Zen' }, zen5).value, null);
  assert.equal(chooseCoretype({ OPENBLAS_CORETYPE: 'Haswell' }, cpu('GenuineIntel', 6, ['avx2'])).value, null);
  assert.equal(chooseCoretype({}, null).value, null);
});
