// Parity with PyTorch: forward values and every input gradient of each op case in
// test/fixtures/ops.json (made by scripts/fixtures/ops_fixtures.py), on both backends, float32.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as T from '../../src/tensor/index.ts';
import { Tensor, type BackendName } from '../../src/tensor/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, type Tol } from './check.ts';

interface Arr { shape: number[]; data: number[] }
interface Fixture {
  name: string;
  op: string;
  attrs: Record<string, unknown>;
  inputs: (Arr & { name: string; grad: boolean })[];
  ints?: Record<string, Arr>;
  outputs: Arr[];
  upstream: Arr[];
  grads: Record<string, number[]>;
}

const file = fileURLToPath(new URL('../fixtures/ops.json', import.meta.url));
const fixtures = JSON.parse(readFileSync(file, 'utf8')) as { torch: string; cases: Fixture[] };

// Every case: float32 results against a float64 reference. Shapes are small (sums of <= 24 terms),
// so one bound serves all; the largest difference seen on js is about 1.3e-6.
const F32: Tol = { atol: 1e-5, rtol: 1e-4 };

type OpFn = (xs: Tensor[], attrs: Record<string, any>, ints: Record<string, Arr>) => Tensor | Tensor[];
const int32 = (a: Arr) => Int32Array.from(a.data);
const unaries: Record<string, (x: Tensor) => Tensor> = {
  gelu: T.gelu, tanh: T.tanh, sigmoid: T.sigmoid, relu: T.relu, exp: T.exp, log: T.log, sqrt: T.sqrt, square: T.square, neg: T.neg,
};

const OPS: Record<string, OpFn> = {
  add: ([a, b]) => T.add(a!, b!),
  sub: ([a, b]) => T.sub(a!, b!),
  mul: ([a, b]) => T.mul(a!, b!),
  div: ([a, b]) => T.div(a!, b!),
  affine: ([x], at) => T.affine(x!, at.alpha, at.beta),
  scale: ([x], at) => T.scale(x!, at.alpha),
  ...Object.fromEntries(Object.entries(unaries).map(([k, f]) => [k, ([x]: Tensor[]) => f(x!)])),
  reshape: ([x], at) => T.reshape(x!, at.shape),
  permute: ([x], at) => T.permute(x!, at.perm),
  transpose: ([x], at) => T.transpose(x!, at.a, at.b),
  slice: ([x], at) => T.slice(x!, at.axis, at.start, at.end),
  concat: (xs, at) => T.concat(xs, at.axis),
  split: ([x], at) => T.split(x!, at.sizes, at.axis),
  sum: ([x], at) => T.sum(x!, at.axes ?? undefined, at.keepdim),
  mean: ([x], at) => T.mean(x!, at.axes ?? undefined, at.keepdim),
  linear: ([x, w, b]) => T.linear(x!, w!, b ?? null),
  matmul: ([a, b], at) => T.matmul(a!, b!, { transA: at.transA, transB: at.transB }),
  layer_norm: ([x, g, b], at) => T.layerNorm(x!, g!, b!, at.eps),
  softmax: ([x, m]) => T.softmax(x!, m ?? null),
  dropout: ([x], at) => T.dropout(x!, at.p, new Rng(at.seed)),
  attention: ([q, k, v, m], at) => T.attention(q!, k!, v!, {
    numHeads: at.numHeads,
    mask: m ?? null,
    dropout: at.dropout ? { p: at.dropout.p, rng: new Rng(at.dropout.seed) } : null,
  }),
  embedding: ([w], _at, ints) => T.embedding(w!, int32(ints.ids!), ints.ids!.shape),
  cross_entropy: ([x], at, ints) => T.crossEntropy(x!, int32(ints.labels!), at.ignoreIndex),
  mse_loss: ([p, t]) => T.mseLoss(p!, t!),
};

function runCase(c: Fixture, tol: Tol): void {
  const fn = OPS[c.op];
  assert.ok(fn, `no pelt op mapped for fixture op "${c.op}"`);
  const xs = c.inputs.map((i) => T.tensor(i.data, i.shape, 'float32', i.grad));
  const outs = [fn(xs, c.attrs, c.ints ?? {})].flat();
  assert.equal(outs.length, c.outputs.length, 'number of outputs');
  let loss: Tensor | null = null;
  outs.forEach((o, k) => {
    const ref = c.outputs[k]!;
    assert.deepEqual(o.shape, ref.shape, `output ${k} shape`);
    assertClose(o.data, ref.data, tol, `output ${k}`);
    const r = c.upstream[k]!;
    const term = T.sum(T.mul(o, T.tensor(r.data, r.shape)));
    loss = loss ? T.add(loss, term) : term;
  });
  loss!.backward();
  c.inputs.forEach((inp, i) => {
    const g = xs[i]!.grad;
    if (!inp.grad) {
      assert.equal(g, null, `${inp.name} is frozen but got a gradient`);
      return;
    }
    assert.ok(g, `${inp.name} got no gradient`);
    assertClose(g.data, c.grads[inp.name]!, tol, `d${inp.name}`);
  });
}

const covered = new Set(fixtures.cases.map((c) => c.op));
test('fixtures cover every op in the table', () => {
  for (const op of Object.keys(OPS)) assert.ok(covered.has(op), `no fixture for ${op}`);
});

for (const backend of ['js', 'native'] as BackendName[]) {
  const skip = backend === 'native' && !T.nativeAvailable() ? 'native backend not built' : false;
  describe(`parity with PyTorch ${fixtures.torch} (${backend}, float32)`, () => {
    for (const c of fixtures.cases) {
      test(c.name, { skip }, () => {
        T.setBackend(backend);
        runCase(c, F32);
      });
    }
  });
}
