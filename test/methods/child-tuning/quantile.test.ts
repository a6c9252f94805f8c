// numpy.percentile parity (test/fixtures/child-tuning/percentile.json, made by
// scripts/fixtures/child_tuning_fixtures.py): pelt's radix-select percentile must return numpy's float64
// value exactly, and the official comparison (float32 tensor >= float64 polar) must keep the same count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { percentile, kthValues } from '../../../src/methods/child-tuning/quantile.ts';
import { hash32 } from '../../../src/methods/child-tuning/mask.ts';
import { Rng } from '../../../src/util/rng.ts';

interface Case { kind: string; n: number; seed: number; results: { q: number; value: number; ge: number; le: number }[] }
const fx = JSON.parse(readFileSync(fileURLToPath(new URL('../../fixtures/child-tuning/percentile.json', import.meta.url)), 'utf8')) as { cases: Case[] };

/** The fixture's arrays, regenerated bit for bit (gen_values in the fixture script). */
function values(kind: string, n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = (hash32(i, seed) >>> 8) * 2 ** -24;
    out[i] = kind === 'uniform' ? u : kind === 'ties' ? Math.floor(u * 50) / 50 : kind === 'skewed' ? u * u * u * u * 1e-3 : u - 0.5;
  }
  return out;
}

test('percentile equals numpy.percentile (float64, bit for bit) and the >= / <= counts match torch', () => {
  let checked = 0;
  for (const c of fx.cases) {
    const x = values(c.kind, c.n, c.seed);
    // split into uneven pieces: the quantile is over the concatenation, as the official np.append loop
    const cut1 = Math.floor(c.n / 3), cut2 = Math.floor((2 * c.n) / 3);
    const parts = [x.subarray(0, cut1), x.subarray(cut1, cut2), x.subarray(cut2)];
    for (const r of c.results) {
      const got = percentile(parts, r.q);
      assert.equal(got, r.value, `${c.kind} n=${c.n} q=${r.q}: ${got} vs numpy ${r.value}`);
      const thr = Math.fround(got);
      let ge = 0, le = 0;
      for (const v of x) {
        if (v >= thr) ge++;
        if (v <= thr) le++;
      }
      assert.equal(ge, r.ge, `${c.kind} n=${c.n} q=${r.q}: ${ge} elements >= polar, torch ${r.ge}`);
      assert.equal(le, r.le, `${c.kind} n=${c.n} q=${r.q}: ${le} elements <= polar, torch ${r.le}`);
      checked++;
    }
  }
  assert.ok(checked >= 100);
});

test('kthValues equals sorting, with negatives, zeros of both signs, ties and infinities', () => {
  const rng = new Rng(3);
  const x = Float32Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? 0 : i % 11 === 0 ? -0 : i % 13 === 0 ? 0.25 : rng.normal() * 10 ** rng.int(6)));
  x[17] = Infinity;
  x[18] = -Infinity;
  const sorted = Float64Array.from(x).sort();
  const ranks = [0, 1, 2, 100, 2500, 4998, 4999];
  const got = kthValues([x.subarray(0, 1234), x.subarray(1234)], ranks);
  ranks.forEach((r, i) => assert.ok(got[i] === sorted[r], `rank ${r}: ${got[i]} vs ${sorted[r]}`));
});

test('percentile with NaN is NaN (numpy), and rejects q outside [0, 100] and empty input', () => {
  assert.ok(Number.isNaN(percentile([Float32Array.of(1, NaN, 2)], 50)));
  assert.throws(() => percentile([Float32Array.of(1)], 101), /q must be in \[0, 100\]/);
  assert.throws(() => percentile([new Float32Array(0)], 50), /empty/);
});
