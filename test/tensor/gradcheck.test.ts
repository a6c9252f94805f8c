// Finite-difference gradient checks (central differences, float64, js backend) for every op the
// engine exports. loss = sum(op(x) * R) with fixed random R, so every output element matters.
import { test, describe } from 'node:test';
import * as T from '../../src/tensor/index.ts';
import type { Tensor } from '../../src/tensor/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { gradcheck, leaf64, awayFromZero, positive, scaled, type GradcheckOptions } from './check.ts';

interface Case {
  name: string;
  inputs: (rng: Rng) => Tensor[];
  f: (...xs: Tensor[]) => Tensor | Tensor[];
  /** Defaults to SMOOTH; each case may declare its own. */
  tol?: GradcheckOptions;
}

// Central differences with eps 1e-6 in float64: truncation ~1e-12 * f''', rounding ~1e-16 * |loss| / 1e-6.
const SMOOTH: GradcheckOptions = { eps: 1e-6, atol: 1e-7, rtol: 1e-6 };

const cases: Case[] = [];
const add = (name: string, inputs: Case['inputs'], f: Case['f'], tol?: GradcheckOptions) => cases.push({ name, inputs, f, tol });
const L = (shape: number[], map?: (z: number, r: Rng) => number, requiresGrad = true) =>
  (rng: Rng) => leaf64(rng, shape, map, requiresGrad);
const ins = (...makers: ((rng: Rng) => Tensor)[]) => (rng: Rng) => makers.map((m) => m(rng));

// --- broadcasting binary ops, broadcasting either operand (and both) ---
const binaries = { add: T.add, sub: T.sub, mul: T.mul, div: T.div } as const;
const pairs: [string, number[], number[]][] = [
  ['same', [2, 3, 4], [2, 3, 4]],
  ['b [4]', [2, 3, 4], [4]],
  ['b [2,1,4]', [2, 3, 4], [2, 1, 4]],
  ['b [1]', [2, 3, 4], [1]],
  ['a [4]', [4], [2, 3, 4]],
  ['a [2,1,4]', [2, 1, 4], [2, 3, 4]],
  ['both [2,1,4] [3,1]', [2, 1, 4], [3, 1]],
];
for (const [op, fn] of Object.entries(binaries)) {
  for (const [tag, sa, sb] of pairs) {
    // keep divisors away from zero so the quotient is smooth on the eps scale
    add(`${op} ${tag}`, ins(L(sa), L(sb, op === 'div' ? awayFromZero(0.5) : undefined)), fn);
  }
  add(`${op} same tensor twice`, (rng) => { const x = leaf64(rng, [3, 2], awayFromZero(0.5)); return [x]; }, (x) => fn(x, x));
  add(`${op} frozen b`, ins(L([2, 3]), L([3], awayFromZero(0.5), false)), fn);
}

// --- scalar affine and unary activations (inputs kept off kinks and domain edges) ---
add('affine', ins(L([3, 4])), (x) => T.affine(x, 1.5, -0.25));
add('scale', ins(L([3, 4])), (x) => T.scale(x, -0.75));
add('gelu', ins(L([4, 5], scaled(2))), T.gelu);
add('tanh', ins(L([4, 5], scaled(1.5))), T.tanh);
add('sigmoid', ins(L([4, 5], scaled(2))), T.sigmoid);
add('relu', ins(L([4, 5], awayFromZero(0.1))), T.relu);
add('exp', ins(L([4, 5])), T.exp);
add('log', ins(L([4, 5], positive(0.2, 3))), T.log);
add('sqrt', ins(L([4, 5], positive(0.2, 3))), T.sqrt);
add('square', ins(L([4, 5])), T.square);
add('neg', ins(L([4, 5])), T.neg);

// --- layout ---
add('reshape -1', ins(L([2, 3, 4])), (x) => T.reshape(x, [4, -1]));
add('reshape then mul (shared memory)', ins(L([2, 6])), (x) => T.mul(T.reshape(x, [3, 4]), T.reshape(x, [3, 4])));
add('permute', ins(L([2, 3, 4, 5])), (x) => T.permute(x, [2, 0, 3, 1]));
add('transpose -1 0', ins(L([2, 3, 4])), (x) => T.transpose(x, -1, 0));
add('slice middle axis', ins(L([3, 5, 4])), (x) => T.slice(x, 1, 1, 4));
add('slice last axis', ins(L([3, 5, 4])), (x) => T.slice(x, -1, 2, 4));
add('concat axis 1 (one input frozen)', ins(L([2, 1, 3]), L([2, 4, 3]), L([2, 2, 3], undefined, false)), (a, b, c) => T.concat([a!, b!, c!], 1));
add('concat axis 0, same tensor twice', ins(L([2, 3])), (x) => T.concat([x!, x!], 0));
add('split', ins(L([2, 7, 3])), (x) => T.split(x!, [2, 4, 1], 1));
add('split, pieces recombined', ins(L([6, 2])), (x) => { const [a, b] = T.split(x!, [3, 3], 0); return T.mul(a!, b!); });

// --- reductions ---
const axisSets: [number[] | undefined, boolean][] = [[undefined, false], [undefined, true], [[0], false], [[-1], true], [[0, 2], false], [[1], true], [[0, 1, 2], true]];
for (const [axes, keep] of axisSets) {
  const tag = `${axes ? `[${axes}]` : 'all'}${keep ? ' keepdim' : ''}`;
  add(`sum ${tag}`, ins(L([2, 3, 4])), (x) => T.sum(x, axes, keep));
  add(`mean ${tag}`, ins(L([2, 3, 4])), (x) => T.mean(x, axes, keep));
}

// --- matrix products ---
add('linear with bias', ins(L([5, 4]), L([3, 4]), L([3])), (x, w, b) => T.linear(x!, w!, b!));
add('linear without bias, 3-D input', ins(L([2, 3, 4]), L([6, 4])), (x, w) => T.linear(x!, w!));
add('linear frozen weight', ins(L([2, 3, 4]), L([5, 4], undefined, false), L([5])), (x, w, b) => T.linear(x!, w!, b!));
add('linear frozen input', ins(L([3, 4], undefined, false), L([5, 4]), L([5])), (x, w, b) => T.linear(x!, w!, b!));
add('linearLowRank: every input trains, 3-D input', ins(L([2, 3, 6]), L([5, 6]), L([5]), L([2, 6]), L([5, 2])),
  (x, w, b, a, bb) => T.linearLowRank(x!, w!, b!, a!, bb!, 1.5));
add('linearLowRank: frozen x, W and b (LoRA)', ins(L([4, 6], undefined, false), L([5, 6], undefined, false), L([5], undefined, false), L([3, 6]), L([5, 3])),
  (x, w, b, a, bb) => T.linearLowRank(x!, w!, b!, a!, bb!, 2));
add('linearLowRank: no bias, only x and B train', ins(L([3, 6]), L([4, 6], undefined, false), L([2, 6], undefined, false), L([4, 2])),
  (x, w, a, bb) => T.linearLowRank(x!, w!, null, a!, bb!, -0.5));
for (const transA of [false, true]) {
  for (const transB of [false, true]) {
    const [M, K, N] = [3, 4, 5];
    const as = transA ? [K, M] : [M, K], bs = transB ? [N, K] : [K, N];
    const tag = `${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`;
    const mm = (a: Tensor, b: Tensor) => T.matmul(a, b, { transA, transB });
    add(`matmul ${tag} 2-D`, ins(L(as), L(bs)), (a, b) => mm(a!, b!));
    add(`matmul ${tag} batched a [2,2,..], shared 2-D b`, ins(L([2, 2, ...as]), L(bs)), (a, b) => mm(a!, b!));
    add(`matmul ${tag} batched a and b`, ins(L([3, ...as]), L([3, ...bs])), (a, b) => mm(a!, b!));
    add(`matmul ${tag} shared b frozen`, ins(L([2, ...as]), L(bs, undefined, false)), (a, b) => mm(a!, b!));
  }
}

// --- fused ops ---
add('layerNorm eps 1e-12', ins(L([2, 3, 8], scaled(2, 0.5)), L([8], scaled(0.5, 1)), L([8])), (x, g, b) => T.layerNorm(x!, g!, b!, 1e-12));
add('layerNorm eps 1e-5, frozen gamma', ins(L([4, 6]), L([6], scaled(0.5, 1), false), L([6])), (x, g, b) => T.layerNorm(x!, g!, b!, 1e-5));
add('layerNorm only gamma/beta train', ins(L([4, 6], undefined, false), L([6]), L([6])), (x, g, b) => T.layerNorm(x!, g!, b!, 1e-5));
add('softmax', ins(L([3, 4, 6], scaled(2))), (x) => T.softmax(x!));
const maskValues = (shape: number[], rng: Rng) => T.tensor(Array.from({ length: shape.reduce((a, b) => a * b) }, () => (rng.uniform() < 0.3 ? -10000 : 0)), shape, 'float64');
add('softmax + constant mask [3,1,6]', (rng) => [leaf64(rng, [3, 4, 6], scaled(2)), maskValues([3, 1, 6], rng)], (x, m) => T.softmax(x!, m!));
add('softmax + trainable mask [1,5]', ins(L([2, 5]), L([1, 5])), (x, m) => T.softmax(x!, m!));
for (const p of [0.1, 0.5]) {
  add(`dropout p=${p} (seeded)`, ins(L([4, 8, 5])), (x) => T.dropout(x!, p, new Rng(77)));
}
add('dropout p=0 (identity)', ins(L([3, 4])), (x) => T.mul(T.dropout(x!, 0, new Rng(1)), x!));

const [B, Tq, Tk, H] = [2, 3, 5, 8];
const attnMask = () => {
  const m = new Float64Array(B * Tk);
  m.fill(-10000, 3, Tk); // padding at the end of sequence 0
  m[Tk + 1] = -10000;
  return T.tensor(m, [B, Tk], 'float64');
};
add('attention 2 heads, Tq != Tk, mask', (rng) => [leaf64(rng, [B, Tq, H]), leaf64(rng, [B, Tk, H]), leaf64(rng, [B, Tk, H]), attnMask()],
  (q, k, v, m) => T.attention(q!, k!, v!, { numHeads: 2, mask: m! }));
add('attention 4 heads, mask, dropout 0.2', (rng) => [leaf64(rng, [B, Tq, H]), leaf64(rng, [B, Tk, H]), leaf64(rng, [B, Tk, H]), attnMask()],
  (q, k, v, m) => T.attention(q!, k!, v!, { numHeads: 4, mask: m!, dropout: { p: 0.2, rng: new Rng(5) } }));
add('attention self (q = k = v), no mask, custom scale', ins(L([2, 4, 6])), (x) => T.attention(x!, x!, x!, { numHeads: 3, scale: 0.3 }));
add('attention frozen v', ins(L([1, 3, 4]), L([1, 2, 4]), L([1, 2, 4], undefined, false)), (q, k, v) => T.attention(q!, k!, v!, { numHeads: 2 }));

add('embedding, repeated ids', ins(L([6, 5])), (w) => T.embedding(w!, Int32Array.from([1, 4, 1, 0, 4, 4]), [2, 3]));
add('crossEntropy with ignoreIndex -100 rows', ins(L([6, 5], scaled(2))), (x) => T.crossEntropy(x!, Int32Array.from([2, -100, 0, 4, -100, 1])));
add('crossEntropy custom ignoreIndex', ins(L([3, 4], scaled(2))), (x) => T.crossEntropy(x!, Int32Array.from([3, 0, 1]), 0));
add('mseLoss', ins(L([4, 3]), L([4, 3], undefined, false)), (p, t) => T.mseLoss(p!, t!));

// --- compositions: intermediates, fan-out, reuse ---
add('MLP block: linear -> gelu -> layerNorm -> linear -> crossEntropy', ins(L([4, 6]), L([8, 6]), L([8]), L([8], scaled(0.3, 1)), L([8]), L([3, 8])),
  (x, w1, b1, g, be, w2) => T.crossEntropy(T.linear(T.layerNorm(T.gelu(T.linear(x!, w1!, b1!)), g!, be!, 1e-12), w2!), Int32Array.from([0, 2, -100, 1])));
add('diamond: x feeds tanh and sigmoid, joined by mul, then softmax', ins(L([3, 4])), (x) => T.softmax(T.mul(T.tanh(x!), T.sigmoid(T.scale(x!, 2)))));
add('BERT-like attention block', ins(L([2, 4, 8]), L([24, 8], scaled(0.3)), L([24], scaled(0.1))), (x, w, b) => {
  const [q, k, v] = T.split(T.linear(x!, w!, b!), [8, 8, 8], -1);
  return T.add(x!, T.attention(q!, k!, v!, { numHeads: 2 }));
});

describe('gradcheck (float64, js backend, central differences)', () => {
  cases.forEach((c, i) => {
    test(c.name, () => {
      T.setBackend('js');
      const inputs = c.inputs(new Rng(1000 + i));
      gradcheck(c.f, inputs, c.tol ?? SMOOTH);
    });
  });
});
