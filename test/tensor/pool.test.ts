// T.scope(): buffer recycling must never change a result. Training steps inside a scope are
// bit-identical to steps without one, also when every recycled buffer is poisoned with NaN (which
// catches any op that reads stale memory or relies on zeros it asked for as uninitialized), returned
// tensors and leaf gradients survive later scopes, and nested scopes release only their own buffers.
import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as T from '../../src/tensor/index.ts';
import { Tensor } from '../../src/tensor/index.ts';
import { parseBertConfig } from '../../src/models/bert/config.ts';
import { BertForSequenceClassification } from '../../src/models/bert/heads.ts';
import { attachMethod } from '../../src/methods/index.ts';
import { AdamW } from '../../src/optim/adamw.ts';
import { clipGradNorm } from '../../src/optim/clip.ts';
import { noDecay } from '../../src/nn/index.ts';
import { modelRngs, reseed } from '../../src/train/rngs.ts';
import { Rng } from '../../src/util/rng.ts';

const RANDOM = join(import.meta.dirname, '..', 'fixtures', 'bert', 'random');
const RAW = JSON.parse(readFileSync(join(RANDOM, 'config.json'), 'utf8'));

afterEach(() => {
  T.setPoolPoison(false);
  T.clearPool();
});

interface Run {
  losses: number[];
  params: Float32Array[];
  logits: number[];
}

/** A few AdamW steps of a tiny BERT classifier with dropout, padding and a different sequence length per step. */
function trainRun(method: string, useScope: boolean, steps = 3): Run {
  const model = new BertForSequenceClassification(parseBertConfig({ ...RAW, num_labels: 3 }, 'test'), new Rng(7));
  const attached = attachMethod(model, method, {}, { seed: 3 });
  const trainable = attached.trainable();
  const opt = new AdamW([
    { params: trainable.filter(([n]) => !noDecay(n)).map(([, p]) => p) },
    { params: trainable.filter(([n]) => noDecay(n)).map(([, p]) => p), weightDecay: 0 },
  ].filter((g) => g.params.length > 0), { lr: 1e-3 });
  const rngs = modelRngs(model);
  const data = new Rng(11);
  const batchOf = (B: number, L: number) => {
    const inputIds = new Int32Array(B * L);
    const attentionMask: number[] = [];
    for (let b = 0; b < B; b++) {
      const len = L - (b % 3); // some padding, with pad id 0
      for (let t = 0; t < L; t++) {
        inputIds[b * L + t] = t < len ? 1 + data.int(99) : 0;
        attentionMask.push(t < len ? 1 : 0);
      }
    }
    const labels = Array.from({ length: B }, () => data.int(3));
    return { input: { inputIds, attentionMask, batch: B, seqLen: L }, labels };
  };
  const run = <R>(fn: () => R): R => (useScope ? T.scope(fn) : fn());
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const { input, labels } = batchOf(4, 9 + 2 * s);
    reseed(rngs, 5, s);
    model.train();
    opt.zeroGrad();
    losses.push(run(() => {
      const loss = model.forward(input, labels).loss!;
      const v = loss.item();
      loss.backward();
      clipGradNorm(opt.params(), 1.0);
      opt.stepOnce();
      return v;
    }));
  }
  model.eval();
  const { input } = batchOf(3, 10);
  const logits = run(() => T.noGrad(() => model.forward(input).logits));
  return { losses, params: model.parameters().map((p) => Float32Array.from(p.data)), logits: Array.from(logits.data) };
}

function assertSameRun(a: Run, b: Run): void {
  assert.deepEqual(a.losses, b.losses);
  assert.deepEqual(a.logits, b.logits);
  assert.equal(a.params.length, b.params.length);
  a.params.forEach((p, i) => assert.deepEqual(p, b.params[i], `parameter ${i}`));
}

const backends: T.BackendName[] = T.nativeAvailable() ? ['js', 'native'] : ['js'];

for (const backend of backends) {
  describe(`scope on the ${backend} backend`, () => {
    test('BERT training steps with AdamW are bit-identical inside a scope, also with NaN-poisoned recycled buffers', () => {
      T.setBackend(backend);
      for (const method of ['full', 'lora', 'unipelt']) {
        const plain = trainRun(method, false);
        assert.ok(plain.losses.every(Number.isFinite));
        const scoped = trainRun(method, true);
        assertSameRun(plain, scoped);
        // poison: every buffer returned to the pool is filled with NaN, so a kernel that does not
        // overwrite an uninitialized output (or reads a recycled buffer) shows up as a NaN / a difference
        T.setPoolPoison(true);
        trainRun(method, true); // fills the pool with poisoned buffers of every size a step uses
        const before = T.poolStats();
        const poisoned = trainRun(method, true);
        assert.ok(T.poolStats().hits > before.hits, 'the poisoned pool was drawn from');
        assertSameRun(plain, poisoned);
        T.setPoolPoison(false);
        T.clearPool();
      }
    });

    test('ops that need zeroed outputs or gradients get them from a poisoned pool', () => {
      T.setBackend(backend);
      const rng = new Rng(2);
      const rand = (shape: number[]) => T.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform() * 2 - 1), shape, 'float32', true);
      const x = rand([2, 3, 4]), b = rand([4]), w = rand([5, 4]), e = rand([6, 4]), g = rand([4]);
      // non-leaf weights (affine copies) so their gradients are pooled tape buffers, not fresh leaf ones
      const graph = () => {
        const ids = Int32Array.from([0, 3, 3, 5, 1, 0]);
        const emb = T.reshape(T.embedding(T.affine(e, 1, 0), ids, [6]), [2, 3, 4]); // scatter-add into dWeight
        const n = T.layerNorm(T.mul(x, emb), T.affine(g, 1, 0), T.affine(b, 1, 0), 1e-5); // dgamma/dbeta accumulate
        const h = T.add(n, T.affine(b, 2, 0)); // broadcast: b's gradient is a scatter-add reduction
        const c = T.concat([T.slice(h, 1, 0, 2), T.slice(h, 1, 1, 3)], 1); // [2, 4, 4]
        const s = T.sum(T.permute(c, [2, 0, 1]), [0]); // [2, 4]
        const l = T.linear(T.tanh(h), w); // [2, 3, 5]
        return T.add(T.mean(T.square(s)), T.mean(T.softmax(l)));
      };
      const grads = () => [x, b, w, e, g].map((p) => Array.from(p.grad!.data));
      const plainLoss = graph();
      plainLoss.backward();
      const want = { loss: plainLoss.item(), grads: grads() };
      T.setPoolPoison(true);
      for (let round = 0; round < 3; round++) {
        for (const p of [x, b, w, e, g]) p.grad = null;
        const loss = T.scope(() => {
          const l = graph();
          const v = l.item();
          l.backward();
          return v;
        });
        assert.equal(loss, want.loss);
        assert.deepEqual(grads(), want.grads);
      }
    });
  });
}

describe('scope semantics', () => {
  test('returned tensors, their views and tensors inside returned objects survive later scopes', () => {
    T.setBackend('js');
    T.setPoolPoison(true);
    const x = T.tensor([1, -2, 3, 0.5, -1, 2], [2, 3]);
    const want = { g: Array.from(T.gelu(x).data), s: Array.from(T.softmax(x).data), m: Array.from(T.mul(x, x).data) };
    const got = T.scope(() => {
      const g = T.gelu(x);
      const s = T.softmax(T.affine(x, 1, 0));
      return { view: T.reshape(g, [6]), nested: [new Map([['s', s]])], m: T.mul(x, x), n: 3 };
    });
    for (let i = 0; i < 4; i++) T.scope(() => { T.gelu(T.softmax(T.mul(x, x))); T.reshape(T.affine(x, 2, 1), [6]); });
    assert.deepEqual(Array.from(got.view.data), want.g);
    assert.deepEqual(Array.from(got.nested[0]!.get('s')!.data), want.s);
    assert.deepEqual(Array.from(got.m.data), want.m);
    assert.equal(got.n, 3);
  });

  test('leaf gradients persist after the scope, and accumulate across scopes', () => {
    T.setBackend('js');
    T.setPoolPoison(true);
    const w = T.param([0.3, -0.2, 0.5, 0.1], [2, 2]);
    const x = T.tensor([1, 2, 3, 4], [2, 2]);
    const lossOf = () => T.mean(T.square(T.gelu(T.linear(x, w))));
    lossOf().backward();
    const once = Array.from(w.grad!.data);
    lossOf().backward();
    const twice = Array.from(w.grad!.data);
    w.grad = null;
    T.scope(() => lossOf().backward());
    for (let i = 0; i < 3; i++) T.scope(() => { T.gelu(T.linear(x, T.tensor([1, 1, 1, 1], [2, 2]))); });
    assert.deepEqual(Array.from(w.grad!.data), once);
    T.scope(() => lossOf().backward());
    assert.deepEqual(Array.from(w.grad!.data), twice);
  });

  test('nested scopes: the inner releases only what it allocated and did not return', () => {
    T.setBackend('js');
    T.setPoolPoison(true);
    const x = T.tensor([1, 2, 3, 4], [4]);
    let innerTemp: Tensor | null = null, outerTemp: Tensor | null = null;
    const kept = T.scope(() => {
      outerTemp = T.affine(x, 2, 0);
      const r = T.scope(() => {
        innerTemp = T.affine(x, 3, 0);
        return T.affine(x, 4, 0);
      });
      assert.deepEqual(Array.from(outerTemp.data), [2, 4, 6, 8]); // the outer scope's buffer is untouched
      assert.ok(innerTemp!.data.every(Number.isNaN), 'the inner temporary went back to the (poisoned) pool');
      assert.deepEqual(Array.from(r.data), [4, 8, 12, 16]);
      return T.affine(r, 1, 1);
    });
    assert.deepEqual(Array.from(kept.data), [5, 9, 13, 17]);
    assert.ok(outerTemp!.data.every(Number.isNaN), 'the outer temporary was released when the outer scope ended');
  });

  test('keep() exempts a tensor; a returned live graph keeps every buffer; a throw recycles nothing', () => {
    T.setBackend('js');
    T.setPoolPoison(true);
    const x = T.tensor([1, 2, 3], [3]);
    let k: Tensor | null = null;
    T.scope(() => { k = T.keep(T.affine(x, 2, 0)); });
    T.scope(() => { T.affine(x, 5, 0); });
    assert.deepEqual(Array.from(k!.data), [2, 4, 6]);

    const w = T.param([0.5, -1, 2], [3]);
    const want = (() => { const l = T.sum(T.square(T.mul(T.gelu(w), x))); l.backward(); return Array.from(w.grad!.data); })();
    w.grad = null;
    const live = T.scope(() => T.sum(T.square(T.mul(T.gelu(w), x)))); // backward not run yet
    T.scope(() => { T.gelu(T.mul(T.gelu(w), x)); });
    live.backward();
    assert.deepEqual(Array.from(w.grad!.data), want);

    let inside: Tensor | null = null;
    assert.throws(() => T.scope(() => { inside = T.affine(x, 7, 0); throw new Error('boom'); }), /boom/);
    assert.equal(T.inScope(), false);
    T.scope(() => { T.affine(x, 9, 0); });
    assert.deepEqual(Array.from(inside!.data), [7, 14, 21]);
  });

  test('outside a scope nothing is pooled; a promise-returning fn is refused', () => {
    T.setBackend('js');
    const before = T.poolStats();
    T.gelu(T.tensor([1, 2], [2]));
    assert.deepEqual(T.poolStats(), before);
    assert.throws(() => T.scope(async () => 1), /synchronous/);
  });
});
