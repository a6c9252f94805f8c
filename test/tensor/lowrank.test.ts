// linearLowRank in float32 on each backend against the unfused composition it replaces,
// x W^T + b + s (x A^T) B^T, built from the fixture-checked linear / scale / add ops: values and
// every gradient. (Its own gradients are checked by finite differences in gradcheck.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from '../../src/tensor/index.ts';
import { Tensor, type BackendName } from '../../src/tensor/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { values } from './check.ts';
import { closeToScale } from '../helpers/close.ts';

const backends: BackendName[] = T.nativeAvailable() ? ['native', 'js'] : ['js'];

function inputs(seed: number, R: number, I: number, O: number, r: number, grads: boolean[]): Tensor[] {
  const rng = new Rng(seed);
  return ([[R, I], [O, I], [O], [r, I], [O, r]] as number[][]).map((shape, i) =>
    T.tensor(values(rng, shape.reduce((a, b) => a * b, 1)), shape, 'float32', grads[i]));
}

for (const backend of backends) {
  // [tokens, in, out, rank]: tokens-heavy (LoRA training), wide out, and a rank larger than usual
  for (const [R, I, O, r] of [[300, 48, 40, 8], [20, 16, 64, 4], [64, 32, 32, 16]] as const) {
    for (const grads of [[false, false, false, true, true], [true, true, true, true, true], [true, false, false, false, true]]) {
      test(`${backend}: linearLowRank = linear + s (x A^T) B^T, [${R}x${I}] -> ${O}, r ${r}, grads ${grads.map(Number).join('')}`, () => {
        const before = T.backendName();
        T.setBackend(backend);
        try {
          const s = 1.75;
          const run = (fused: boolean) => {
            const [x, w, b, a, bb] = inputs(3, R, I, O, r, grads) as [Tensor, Tensor, Tensor, Tensor, Tensor];
            const y = fused ? T.linearLowRank(x, w, b, a, bb, s) : T.add(T.linear(x, w, b), T.linear(T.linear(x, a), T.scale(bb, s)));
            const weights = T.tensor(values(new Rng(9), y.size), y.shape, 'float32'); // the same upstream for both
            if (grads.some(Boolean)) T.sum(T.mul(y, weights)).backward();
            return { y: Array.from(y.data), g: [x, w, b, a, bb].map((t) => (t.grad ? Array.from(t.grad.data) : null)) };
          };
          const fused = run(true), plain = run(false);
          // float32 sums of up to a few hundred terms, in another order: bounded relative to each tensor's scale
          closeToScale('y', fused.y, plain.y, 0, 1e-5);
          ['x', 'W', 'b', 'A', 'B'].forEach((name, i) => {
            if (!grads[i]) return assert.equal(fused.g[i], null, `${name} is frozen: no gradient`);
            closeToScale(`d${name}`, fused.g[i]!, plain.g[i]!, 0, 1e-5);
          });
        } finally {
          T.setBackend(before);
        }
      });
    }
  }
}

test('linearLowRank names the shapes that do not fit', () => {
  const z = (...shape: number[]) => T.zeros(shape);
  assert.throws(() => T.linearLowRank(z(2, 4), z(3, 4), null, z(2, 5), z(3, 2), 1), /linearLowRank: .*A \[2, 5\].*do not fit/);
  assert.throws(() => T.linearLowRank(z(2, 4), z(3, 4), z(3), z(2, 4), z(3, 1), 1), /B \[3, 1\]/);
  assert.throws(() => T.linearLowRank(z(2, 5), z(3, 4), null, z(2, 4), z(3, 2), 1), /input \[2, 5\]/);
});
