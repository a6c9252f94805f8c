// Mask statistics: Child-Tuning_F keeps p_F of the elements within sampling error and leaves the gradient's
// expectation unchanged; masks are seeded, reproducible and identical on both backends. Child-Tuning_D keeps
// p_D of the candidates (ties may add a few); the ablations keep the same number.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from '../../../src/tensor/index.ts';
import { Tensor } from '../../../src/tensor/index.ts';
import { Rng } from '../../../src/util/rng.ts';
import { AdamW } from '../../../src/optim/adamw.ts';
import {
  ChildTuningF, childTuning, fisherMask, randomMask, parseChildTuningConfig, maskToFloat, type NamedValues,
} from '../../../src/methods/child-tuning/index.ts';

function named(shapes: Record<string, number[]>, seed = 0): [string, Tensor][] {
  const rng = new Rng(seed);
  return Object.entries(shapes).map(([name, shape]) => {
    const t = T.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape, 'float32', true);
    t.name = name;
    return [name, t];
  });
}

const SHAPES = {
  'bert.embeddings.word_embeddings.weight': [1000, 64],
  'bert.embeddings.LayerNorm.weight': [64],
  'bert.encoder.layer.0.attention.self.query.weight': [64, 64],
  'bert.encoder.layer.0.attention.self.query.bias': [64],
  'bert.encoder.layer.0.intermediate.dense.weight': [256, 64],
  'bert.pooler.dense.weight': [64, 64],
  'classifier.weight': [2, 64],
};

const backends = T.nativeAvailable() ? (['js', 'native'] as const) : (['js'] as const);

describe('Child-Tuning_F', () => {
  for (const backend of backends) {
    test(`kept fraction is p_F within the binomial bound, every tensor, ${backend}`, () => {
      T.setBackend(backend);
      const params = named(SHAPES);
      for (const pF of [0.1, 0.3, 0.5]) {
        const f = new ChildTuningF(params, pF, 7);
        for (const step of [1, 2, 50]) {
          let kept = 0, total = 0;
          for (const [name, p] of params) {
            const m = f.maskFor(p, step);
            let k = 0;
            for (const v of m) {
              if (v !== 0) {
                assert.equal(v, Math.fround(1 / pF));
                k++;
              }
            }
            // each tensor alone: 5 standard deviations of Binomial(n, p), plus 1 for tiny tensors
            const sd = Math.sqrt(p.size * pF * (1 - pF));
            assert.ok(Math.abs(k - pF * p.size) <= 5 * sd + 1, `${name} step ${step}: kept ${k} of ${p.size}, expected ${pF * p.size} +- ${5 * sd}`);
            kept += k;
            total += p.size;
          }
          const sd = Math.sqrt(total * pF * (1 - pF));
          assert.ok(Math.abs(kept - pF * total) <= 5 * sd, `all: kept ${kept} of ${total} at p_F ${pF}`);
        }
      }
      T.setBackend('js');
    });
  }

  test('E[grad * M / p_F] = grad: per-element mean over steps is unbiased with the binomial spread', () => {
    const [[, p]] = named({ 'bert.encoder.layer.0.output.dense.weight': [40, 50] });
    const pF = 0.3, S = 400, n = p!.size;
    const f = new ChildTuningF([['w', p!]], pF, 123);
    const sum = new Float64Array(n);
    for (let s = 1; s <= S; s++) {
      const m = f.maskFor(p!, s);
      for (let i = 0; i < n; i++) sum[i]! += p!.data[i]! * m[i]!; // the masked, rescaled gradient (grad = p here)
    }
    const sd = Math.sqrt((1 - pF) / (pF * S)); // sd of mean(M / p) over S steps
    let zSum = 0, zSq = 0;
    for (let i = 0; i < n; i++) {
      const z = (sum[i]! / S / p!.data[i]! - 1) / sd;
      zSum += z;
      zSq += z * z;
    }
    const mean = zSum / n, variance = zSq / n - mean * mean;
    assert.ok(Math.abs(mean) < 5 / Math.sqrt(n), `mean z ${mean}`); // unbiased
    assert.ok(Math.abs(variance - 1) < 5 * Math.sqrt(2 / n), `var z ${variance}`); // binomial spread, independent steps
  });

  test('seeded and reproducible; steps, seeds and tensors draw different masks; js equals native', () => {
    const params = named({ 'a.weight': [100, 100], 'b.weight': [100, 100] });
    const [a, b] = [params[0]![1], params[1]![1]];
    const f1 = new ChildTuningF(params, 0.3, 5), f2 = new ChildTuningF(params, 0.3, 5), g = new ChildTuningF(params, 0.3, 6);
    const m = (f: ChildTuningF, p: Tensor, s: number) => f.maskFor(p, s, new Float32Array(p.size));
    assert.deepEqual(m(f1, a, 3), m(f2, a, 3));
    const agree = (x: Float32Array, y: Float32Array) => x.reduce((c, v, i) => c + (v === y[i] ? 1 : 0), 0) / x.length;
    // independent Bernoulli(0.3) masks agree on 0.3^2 + 0.7^2 = 0.58 of the elements
    for (const [x, y, what] of [[m(f1, a, 3), m(f1, a, 4), 'steps'], [m(f1, a, 3), m(g, a, 3), 'seeds'], [m(f1, a, 3), m(f1, b, 3), 'tensors']] as const) {
      assert.ok(Math.abs(agree(x, y) - 0.58) < 0.03, `${what}: agreement ${agree(x, y)}`);
    }
    if (T.nativeAvailable()) {
      T.setBackend('native');
      const nat = m(f1, b, 9);
      T.setBackend('js');
      assert.deepEqual(nat, m(f1, b, 9));
    }
  });

  test('installed on AdamW it equals a step with the same mask passed by hand; p_F = 1 is vanilla', () => {
    const run = (useF: boolean, pF: number) => {
      const params = named({ 'x.weight': [30, 20], 'x.bias': [20] }, 1);
      const opt = new AdamW(params.map(([, p]) => p), { lr: 0.01 });
      const f = new ChildTuningF(params, pF, 9);
      if (useF) f.install(opt);
      const ref = new ChildTuningF(params, pF, 9);
      for (let s = 1; s <= 3; s++) {
        for (const [, p] of params) p.grad = T.tensor(Array.from(p.data, (v, i) => Math.sin(v * 3 + i + s)), p.shape);
        if (!useF && pF < 1) opt.gradMask = (p, step) => ref.maskFor(p, step, new Float32Array(p.size));
        opt.stepOnce();
      }
      return params.map(([, p]) => Array.from(p.data));
    };
    assert.deepEqual(run(true, 0.3), run(false, 0.3));
    assert.notDeepEqual(run(true, 0.3), run(false, 1));
    assert.deepEqual(run(true, 1), run(false, 1));
  });
});

function fakeFisher(shapes: Record<string, number[]>, value: (name: string, i: number) => number): NamedValues {
  return new Map(Object.entries(shapes).map(([name, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return [name, { shape, data: Float32Array.from({ length: n }, (_, i) => value(name, i)) }];
  }));
}

describe('Child-Tuning_D masks', () => {
  test('keeps p_D of the candidates (distinct scores), none of the non-candidates are masked', () => {
    const rng = new Rng(4);
    const F = fakeFisher(SHAPES, () => rng.uniform() ** 4);
    const candidates = [...F].filter(([n]) => n.includes('encoder.layer')).reduce((s, [, v]) => s + v.data.length, 0);
    for (const p of [0.1, 0.2, 0.3, 1]) {
      const r = fisherMask(F, { p });
      assert.equal(r.candidates, candidates);
      assert.ok(Math.abs(r.kept - p * candidates) <= 1, `p ${p}: kept ${r.kept} of ${candidates}`);
      assert.deepEqual([...r.mask.keys()].sort(), [...F.keys()].filter((n) => n.includes('encoder.layer')).sort());
      // child = F >= threshold, exactly
      for (const [name, m] of r.mask) {
        const f = maskToFloat(m), data = F.get(name)!.data;
        for (let i = 0; i < data.length; i++) assert.equal(f[i] === 1, data[i]! >= Math.fround(r.threshold!));
      }
      const low = fisherMask(F, { p, lowest: true });
      assert.ok(Math.abs(low.kept - p * candidates) <= 1, `lowest p ${p}: kept ${low.kept}`);
    }
  });

  test('ties at the threshold are all kept (the official >=), so a few more than p_D may be kept', () => {
    const F = fakeFisher({ 'encoder.layer.0.w': [1000] }, (_, i) => (i < 600 ? 0.5 : 1 + i)); // 60% tied low values
    const r = fisherMask(F, { p: 0.5 });
    assert.equal(r.threshold, 0.5);
    assert.equal(r.kept, 1000); // every element >= 0.5
    const r2 = fisherMask(F, { p: 0.3 });
    assert.equal(r2.kept, 300);
  });

  test('random ablation: exactly round(p * candidates), reproducible, spread over tensors', () => {
    const params = named(SHAPES);
    const a = randomMask(params, { p: 0.3, seed: 1 }), b = randomMask(params, { p: 0.3, seed: 1 }), c = randomMask(params, { p: 0.3, seed: 2 });
    assert.equal(a.kept, Math.round(0.3 * a.candidates));
    assert.equal([...a.mask.values()].reduce((s, m) => s + m.count, 0), a.kept);
    assert.deepEqual(a.mask, b.mask);
    assert.notDeepEqual(a.mask, c.mask);
    for (const [name, m] of a.mask) {
      const n = m.shape.reduce((x, y) => x * y, 1), sd = Math.sqrt(n * 0.3 * 0.7);
      assert.ok(Math.abs(m.count - 0.3 * n) <= 5 * sd, `${name}: ${m.count} of ${n}`);
    }
    assert.equal(randomMask(params, { p: 0.3, seed: 1, count: 17 }).kept, 17);
  });

  test('childTuning() builds D from Fisher scores, random without, and fails clearly without candidates', () => {
    const params = named(SHAPES);
    const F = fakeFisher(SHAPES, (_, i) => i);
    const d = childTuning(params, { mode: 'D' }, { fisher: F });
    assert.equal(d.child!.kept, fisherMask(F, { p: 0.3 }).kept);
    assert.equal(d.transform.tensors().length, 3);
    const r = childTuning(params, { mode: 'D', ablation: 'random', p_D: 0.2 });
    assert.equal(r.child!.kept, Math.round(0.2 * r.child!.candidates));
    assert.throws(() => childTuning(params, { mode: 'D' }), /Fisher scores are needed/);
    const partial = new Map([...F].filter(([n]) => !n.endsWith('query.bias')));
    assert.throws(() => childTuning(params, { mode: 'D' }, { fisher: partial }), /no Fisher score for the trainable candidate tensor "bert.encoder.layer.0.attention.self.query.bias"/);
    assert.throws(() => childTuning(params.filter(([n]) => !n.includes('encoder')), { mode: 'D', ablation: 'random' }), /no trainable tensor name contains "encoder.layer"/);
  });
});

describe('config', () => {
  test('official defaults, strict keys, mode-specific options', () => {
    const c = parseChildTuningConfig({ mode: 'D' });
    assert.deepEqual(c, { mode: 'D', p_F: 0.3, p_D: 0.3, seed: 42, freezeNonChild: false, ablation: null, candidates: 'encoder.layer', fisherBatchSize: 16, fisherMaxGradNorm: 1 });
    assert.throws(() => parseChildTuningConfig({ mode: 'D', p_d: 0.2 }), /p_d/);
    assert.throws(() => parseChildTuningConfig({ mode: 'D', p_D: 0 }), /p_D/);
    assert.throws(() => parseChildTuningConfig({ mode: 'F', freezeNonChild: true }), /freezeNonChild: applies to mode "D" only/);
    assert.throws(() => parseChildTuningConfig({ mode: 'F', ablation: 'random' }), /ablation/);
    assert.throws(() => parseChildTuningConfig({ mode: 'X' }, 'exp.json'), /exp.json: mode/);
  });
});
