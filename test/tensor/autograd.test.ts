// The tape's contract: accumulation, frozen inputs, noGrad, detach, memory released after backward,
// and the errors a user sees (shape mismatches, non-finite values, missing backward, bad roots).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as T from '../../src/tensor/index.ts';
import { Tensor } from '../../src/tensor/index.ts';
import { jsKernels } from '../../src/tensor/backends/js/index.ts';
import { PeltError, type PeltErrorCode } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, gradcheck, leaf64, values } from './check.ts';

T.setBackend('js');
const EXACT = { atol: 0, rtol: 0 };

function throwsPelt(fn: () => unknown, code: PeltErrorCode, ...parts: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PeltError, `expected a PeltError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const p of parts) assert.ok(e.message.includes(p), `message "${e.message}" should mention "${p}"`);
    return true;
  });
}

/** A small graph touching the acc, put and pass paths of the tape. */
function lossOf(x: Tensor, w: Tensor, g: Tensor, b: Tensor): Tensor {
  const h = T.layerNorm(T.gelu(T.linear(x, w)), g, b, 1e-12); // [4, 6]
  const a = T.attention(T.reshape(h, [2, 2, 6]), T.reshape(h, [2, 2, 6]), T.reshape(h, [2, 2, 6]), { numHeads: 2 });
  return T.crossEntropy(T.reshape(T.mul(a, a), [4, 6]), Int32Array.from([0, 5, -100, 2]));
}

describe('autograd', () => {
  test('gradcheck itself fails on a wrong gradient rule', () => {
    // y = x^2 with a backward that forgets the factor 2
    const badSquare = (x: Tensor) => {
      const out = T.tensor(Array.from(x.data, (v) => v * v), x.shape, x.dtype);
      return T.record('bad_square', out, [x], (dy, ctx) => ctx.put(0, (dx) => { for (let i = 0; i < dx.length; i++) dx[i] = dy[i]! * x.data[i]!; }));
    };
    assert.throws(() => gradcheck(badSquare, [leaf64(new Rng(1), [3])], { atol: 1e-7, rtol: 1e-6 }), /finite differences/);
  });

  test('two backward calls add into .grad (exactly twice one call)', () => {
    const rng = new Rng(2);
    const xs = [leaf64(rng, [4, 5]), leaf64(rng, [6, 5]), leaf64(rng, [6]), leaf64(rng, [6])];
    const [x, w, g, b] = xs as [Tensor, Tensor, Tensor, Tensor];
    lossOf(x, w, g, b).backward();
    const once = xs.map((t) => Float64Array.from(t.grad!.data));
    lossOf(x, w, g, b).backward();
    xs.forEach((t, i) => assertClose(t.grad!.data, once[i]!.map((v) => 2 * v), { atol: 1e-12, rtol: 1e-12 }, `input ${i}`));
    x.zeroGrad();
    assert.ok(x.grad!.data.every((v) => v === 0));
  });

  test('releaseGrad: the next backward refills the same buffer with exactly a fresh gradient', () => {
    const rng = new Rng(4);
    const xs = [leaf64(rng, [4, 5]), leaf64(rng, [6, 5]), leaf64(rng, [6]), leaf64(rng, [6])];
    const [x, w, g, b] = xs as [Tensor, Tensor, Tensor, Tensor];
    lossOf(x, w, g, b).backward();
    const first = xs.map((t) => Float64Array.from(t.grad!.data));
    const buffers = xs.map((t) => t.grad!.data);
    for (const t of xs) t.grad!.data.fill(Number.NaN); // stale contents must not leak into the next gradient
    xs.forEach((t) => T.releaseGrad(t));
    assert.ok(xs.every((t) => t.grad === null), 'released: grad is null, as after zeroGrad');
    lossOf(x, w, g, b).backward();
    xs.forEach((t, i) => {
      assert.equal(t.grad!.data, buffers[i], `input ${i}: its released buffer is reused`);
      assertClose(t.grad!.data, first[i]!, EXACT, `input ${i}: overwritten, not accumulated`);
    });
    lossOf(x, w, g, b).backward(); // without a release, gradients still accumulate
    xs.forEach((t, i) => assertClose(t.grad!.data, first[i]!.map((v) => 2 * v), { atol: 1e-12, rtol: 1e-12 }, `input ${i} accumulated`));
    // an embedding's gradient (a scatter-add into a zeroed buffer) and a passed-through one (add)
    const e = T.tensor([1, 2, 3, 4, 5, 6], [3, 2], 'float64', true), y = T.tensor([1, 1], [2], 'float64', true);
    const run = () => T.sum(T.mul(T.add(T.embedding(e, Int32Array.from([2, 2]), [2]), y), T.tensor([3, 5, 7, 11], [2, 2], 'float64'))).backward();
    run();
    const eWant = Array.from(e.grad!.data), yWant = Array.from(y.grad!.data);
    e.grad!.data.fill(9); y.grad!.data.fill(9);
    T.releaseGrad(e); T.releaseGrad(y);
    run();
    assert.deepEqual(Array.from(e.grad!.data), eWant);
    assert.deepEqual(Array.from(y.grad!.data), yWant);
  });

  test('a leaf gradient never aliases another buffer', () => {
    const x = T.tensor([1, 2, 3], [3], 'float64', true);
    const y = T.tensor([4, 5, 6], [3], 'float64', true);
    T.sum(T.add(x, y)).backward();
    assert.notEqual(x.grad!.data, y.grad!.data);
    x.grad!.data[0] = 100;
    assert.equal(y.grad!.data[0], 1);
  });

  test('frozen inputs (requiresGrad false) get no .grad', () => {
    const rng = new Rng(3);
    const x = leaf64(rng, [4, 5], undefined, false);
    const w = leaf64(rng, [6, 5], undefined, false);
    const g = leaf64(rng, [6]);
    const b = leaf64(rng, [6], undefined, false);
    lossOf(x, w, g, b).backward();
    assert.equal(x.grad, null);
    assert.equal(w.grad, null);
    assert.equal(b.grad, null);
    assert.ok(g.grad);
  });

  test('a frozen weight costs no weight-gradient product', () => {
    const rng = new Rng(4);
    const count = (wTrains: boolean) => {
      const x = T.tensor(values(rng, 12), [3, 4], 'float32', true);
      const w = T.tensor(values(rng, 20), [5, 4], 'float32', wTrains);
      const loss = T.sum(T.linear(x, w));
      const gemm = jsKernels.gemm;
      let calls = 0;
      (jsKernels as { gemm: typeof gemm }).gemm = (...args: Parameters<typeof gemm>) => { calls++; gemm(...args); };
      try { loss.backward(); } finally { (jsKernels as { gemm: typeof gemm }).gemm = gemm; }
      return calls;
    };
    assert.equal(count(true), 2); // dx and dW
    assert.equal(count(false), 1); // dx only
  });

  test('an all-frozen graph records no tape', () => {
    const x = T.tensor([1, 2, 3, 4], [2, 2]);
    const y = T.gelu(T.matmul(x, x));
    assert.equal(y.node, null);
    assert.equal(y.requiresGrad, false);
  });

  test('noGrad records nothing and restores recording afterwards', () => {
    const x = T.tensor([1, 2, 3], [3], 'float64', true);
    const y = T.noGrad(() => T.sum(T.exp(T.mul(x, x))));
    assert.equal(y.node, null);
    assert.equal(y.requiresGrad, false);
    assert.equal(T.isGradEnabled(), true);
    throwsPelt(() => y.backward(), 'autograd', 'backward');
    assert.throws(() => T.noGrad(() => { throw new Error('inner'); }), /inner/);
    assert.equal(T.isGradEnabled(), true, 'restored after a throw');
    assert.ok(T.sum(x).node);
  });

  test('detach cuts the tape', () => {
    const x = T.tensor([0.5, -1, 2], [3], 'float64', true);
    const y = T.mul(x, x);
    const z = y.detach();
    assert.equal(z.node, null);
    assert.equal(z.requiresGrad, false);
    T.sum(T.mul(z, x)).backward(); // d/dx sum(z * x) = z, not 3 x^2
    assertClose(x.grad!.data, [0.25, 1, 4], EXACT, 'x.grad');
    const w = T.tensor([1, 2], [2], 'float64', true);
    assert.equal(T.sum(T.exp(w.detach())).requiresGrad, false);
  });

  test('backward releases the tape: intermediates lose .node', () => {
    const rng = new Rng(5);
    const x = leaf64(rng, [4, 5]);
    const h1 = T.linear(x, leaf64(rng, [6, 5]));
    const h2 = T.gelu(h1);
    const h3 = T.softmax(h2);
    const loss = T.mean(h3);
    for (const t of [h1, h2, h3, loss]) assert.ok(t.node);
    loss.backward();
    for (const t of [h1, h2, h3, loss]) assert.equal(t.node, null);
  });

  test('300 training steps of a small MLP do not grow memory', async () => {
    v8.setFlagsFromString('--expose-gc'); // works without node's --expose-gc flag on the command line
    const gc = vm.runInNewContext('gc') as () => void;
    const rng = new Rng(6);
    const p = (shape: number[], s: number) => T.tensor(values(rng, shape.reduce((a, b) => a * b)).map((v) => v * s), shape, 'float32', true);
    const x = T.tensor(values(rng, 16 * 32), [16, 32]);
    const labels = Int32Array.from({ length: 16 }, (_, i) => i % 4);
    const params = [p([64, 32], 0.2), p([64], 0), p([64], 0), p([64], 0), p([4, 64], 0.2), p([4], 0)];
    const [w1, b1, g, be, w2, b2] = params as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
    g.data.fill(1);
    const watched: WeakRef<Tensor>[] = [];
    const step = (watch: boolean) => {
      const z = T.linear(x, w1, b1); // [16, 64]
      const h = T.layerNorm(T.gelu(z), g, be, 1e-12);
      const loss = T.crossEntropy(T.linear(T.dropout(h, 0.1, rng), w2, b2), labels);
      if (watch) watched.push(new WeakRef(z), new WeakRef(h));
      loss.backward();
      for (const q of params) { jsKernels.axpy(-0.05, q.grad!.data, q.data, q.size); q.grad = null; }
      assert.equal(h.node, null);
      return loss.item();
    };
    const used = () => { gc(); gc(); return process.memoryUsage(); };
    const first = step(true);
    for (let i = 0; i < 20; i++) step(true);
    await new Promise((r) => setImmediate(r));
    const base = used();
    let last = first;
    for (let i = 0; i < 280; i++) last = step(false);
    await new Promise((r) => setImmediate(r)); // WeakRefs made in a job are held until it ends
    const now = used();
    assert.ok(last < first, `loss should fall: ${first} -> ${last}`);
    assert.equal(watched.filter((w) => w.deref() !== undefined).length, 0, 'intermediates of finished steps are collected');
    // Tensor data lives in ArrayBuffers: a step makes ~60 KB of intermediates, so keeping even one
    // [16, 64] tensor per step would add 1.1 MB over 280 steps. The JS heap is noisier (JIT, runner).
    const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
    assert.ok(now.arrayBuffers - base.arrayBuffers < 512 * 1024, `ArrayBuffers grew by ${kb(now.arrayBuffers - base.arrayBuffers)} over 280 steps`);
    assert.ok(now.heapUsed - base.heapUsed < 8 * 1024 * 1024, `heap grew by ${kb(now.heapUsed - base.heapUsed)} over 280 steps`);
  });
});

describe('errors', () => {
  const f32 = (shape: number[]) => T.zeros(shape);

  test('shape mismatches name the op and both shapes', () => {
    throwsPelt(() => T.linear(f32([2, 3]), f32([4, 5])), 'shape', 'linear', '[2, 3]', '[4, 5]');
    throwsPelt(() => T.linear(f32([2, 5]), f32([4, 5]), f32([3])), 'shape', 'linear', '[2, 5]', '[4, 5]', '[3]');
    throwsPelt(() => T.matmul(f32([2, 3]), f32([4, 5])), 'shape', 'matmul', '[2, 3]', '[4, 5]');
    throwsPelt(() => T.matmul(f32([2, 3, 4]), f32([3, 4, 5])), 'shape', 'matmul', '[2, 3, 4]', '[3, 4, 5]');
    throwsPelt(() => T.matmul(f32([3, 4]), f32([3, 4]), { transB: false }), 'shape', 'matmul', '[3, 4]');
    throwsPelt(() => T.add(f32([2, 3]), f32([4])), 'shape', 'add', '[2, 3]', '[4]');
    throwsPelt(() => T.mul(f32([2, 1, 3]), f32([2, 2, 2])), 'shape', 'mul', '[2, 1, 3]', '[2, 2, 2]');
    throwsPelt(() => T.layerNorm(f32([2, 4]), f32([3]), f32([4]), 1e-5), 'shape', 'layer_norm', '[3]', '[4]');
    throwsPelt(() => T.attention(f32([1, 2, 4]), f32([1, 3, 4]), f32([1, 2, 4]), { numHeads: 2 }), 'shape', 'attention', '[1, 2, 4]', '[1, 3, 4]');
    throwsPelt(() => T.attention(f32([1, 2, 4]), f32([1, 3, 4]), f32([1, 3, 4]), { numHeads: 2, mask: f32([1, 2]) }), 'shape', 'attention', 'mask');
    throwsPelt(() => T.reshape(f32([2, 3]), [4, 2]), 'shape', 'reshape', '[2, 3]', '[4, 2]');
    throwsPelt(() => T.concat([f32([2, 3]), f32([2, 4])], 0), 'shape', 'concat', '[2, 3]', '[2, 4]');
    throwsPelt(() => T.slice(f32([2, 3]), 1, 2, 5), 'shape', 'slice', '[2, 3]');
    throwsPelt(() => T.split(f32([2, 3]), [1, 1], 1), 'shape', 'split', '[2, 3]');
    throwsPelt(() => T.crossEntropy(f32([3, 4]), Int32Array.from([0, 1])), 'shape', 'cross_entropy', '[3, 4]');
    throwsPelt(() => T.mseLoss(f32([3, 4]), f32([4, 4])), 'shape', 'mse_loss', '[3, 4]', '[4, 4]');
    throwsPelt(() => T.embedding(f32([5, 2]), Int32Array.from([0, 7]), [2]), 'shape', 'embedding', '7');
    throwsPelt(() => T.add(f32([2]), T.zeros([2], 'float64')), 'dtype', 'add');
  });

  test("setCheckFinite(true) names the op that produced NaN/Inf in forward ('non-finite')", () => {
    T.setCheckFinite(true);
    try {
      throwsPelt(() => T.log(T.tensor([1, -1], [2])), 'non-finite', 'log');
      throwsPelt(() => T.div(T.tensor([1], [1]), T.tensor([0], [1])), 'non-finite', 'div');
      T.log(T.tensor([1, 2], [2])); // finite: no error
    } finally {
      T.setCheckFinite(false);
    }
    assert.ok(Number.isNaN(T.log(T.tensor([-1], [1])).item()), 'off by default: NaN passes through');
  });

  test("setCheckFinite(true) catches a non-finite gradient in backward ('non-finite')", () => {
    T.setCheckFinite(true);
    try {
      // sqrt at 0 is finite forward, its backward 0.5 / sqrt(0) is Inf and flows into the affine node
      const x = T.tensor([0, 1], [2], 'float32', true);
      const loss = T.sum(T.sqrt(T.affine(x, 1)));
      throwsPelt(() => loss.backward(), 'non-finite', 'sqrt: backward');
    } finally {
      T.setCheckFinite(false);
    }
  });

  test("setCheckFinite(true) names the op whose backward produced a non-finite gradient", () => {
    T.setCheckFinite(true);
    try {
      const x = T.tensor([0, 1], [2], 'float32', true);
      throwsPelt(() => T.sum(T.sqrt(x)).backward(), 'non-finite', 'sqrt');
      const y = T.tensor([0, 1], [2], 'float32', true);
      throwsPelt(() => T.sum(T.sqrt(T.affine(y, 1))).backward(), 'non-finite', 'sqrt');
    } finally {
      T.setCheckFinite(false);
    }
  });

  test("an op without a backward under a tape raises 'no-backward'", () => {
    const x = T.tensor([1, 2], [2], 'float32', true);
    const fresh = () => T.tensor([0, 0], [2]);
    throwsPelt(() => T.record('test_op', fresh(), [x], null), 'no-backward', 'test_op');
    assert.equal(T.noGrad(() => T.record('test_op', fresh(), [x], null)).node, null, 'fine under noGrad');
    assert.equal(T.record('test_op', fresh(), [x.detach()], null).node, null, 'fine on detached inputs');
    const mask = T.tensor([0, 0], [1, 2], 'float32', true);
    const y = T.attention(T.zeros([1, 1, 2], 'float32', true), T.zeros([1, 2, 2]), T.zeros([1, 2, 2]), { numHeads: 1, mask });
    throwsPelt(() => T.sum(y).backward(), 'no-backward', 'attention', 'mask');
  });

  test("backward from a non-scalar or an untracked root raises 'autograd'", () => {
    const x = T.tensor([1, 2, 3], [3], 'float32', true);
    throwsPelt(() => T.exp(x).backward(), 'autograd', 'backward', '[3]');
    throwsPelt(() => T.sum(T.tensor([1, 2], [2])).backward(), 'autograd', 'backward');
  });

  test('backward from a scalar leaf gives it gradient 1', () => {
    const s = T.tensor([3], [], 'float32', true);
    s.backward();
    assert.deepEqual(s.grad!.toArray(), [1]);
  });

  test('dropout rejects p outside [0, 1)', () => {
    throwsPelt(() => T.dropout(T.zeros([2]), 1, new Rng(1)), 'usage', 'dropout');
    throwsPelt(() => T.dropout(T.zeros([2]), -0.1, new Rng(1)), 'usage', 'dropout');
  });
});

test('a second backward() through a freed graph is an error, not a silent no-op', () => {
  const x = T.tensor([1, 2], [2], 'float32', true);
  const loss = T.sum(T.square(x));
  loss.backward();
  assert.throws(() => loss.backward(), (e: unknown) => e instanceof Error && /already used by an earlier backward/.test(e.message));
});
