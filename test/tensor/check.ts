// Test helpers for the engine: seeded inputs, a closeness assertion that names the worst element,
// and a central-difference gradient check.
import assert from 'node:assert/strict';
import * as T from '../../src/tensor/index.ts';
import { Tensor } from '../../src/tensor/index.ts';
import { Rng } from '../../src/util/rng.ts';

export interface Tol {
  /** |actual - expected| <= atol + rtol * |expected| */
  atol: number;
  rtol: number;
}

/** Values drawn from a seeded normal, mapped by `map` (e.g. keep away from kinks). */
export function values(rng: Rng, n: number, map: (z: number, r: Rng) => number = (z) => z): number[] {
  return Array.from({ length: n }, () => map(rng.normal(), rng));
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A float64 leaf for gradient checks. */
export function leaf64(rng: Rng, shape: number[], map?: (z: number, r: Rng) => number, requiresGrad = true): Tensor {
  return T.tensor(values(rng, sizeOf(shape), map), shape, 'float64', requiresGrad);
}

export const awayFromZero = (gap: number) => (z: number) => (z >= 0 ? z + gap : z - gap);
export const positive = (lo: number, hi: number) => (_z: number, r: Rng) => lo + (hi - lo) * r.uniform();
export const scaled = (s: number, shift = 0) => (z: number) => z * s + shift;

/** Asserts elementwise closeness, reporting the worst element; returns the largest |difference|. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tol, what: string): number {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  let worst = -1, worstRatio = 0, maxDiff = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    const d = Math.abs(a - e);
    const bound = tol.atol + tol.rtol * Math.abs(e);
    if (!(d <= bound)) { // NaN fails too
      const ratio = bound > 0 && !Number.isNaN(d) ? d / bound : Infinity;
      if (worst < 0 || ratio > worstRatio) { worst = i; worstRatio = ratio; }
    }
    if (d > maxDiff || Number.isNaN(d)) maxDiff = d;
  }
  if (worst >= 0) {
    assert.fail(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} ` +
      `(|diff| ${Math.abs(actual[worst]! - expected[worst]!).toExponential(2)} > ${tol.atol} + ${tol.rtol}*|expected|)`);
  }
  return maxDiff;
}

export interface GradcheckOptions extends Tol {
  /** Finite-difference step (central differences). */
  eps?: number;
  /** Seed of the upstream weights R. */
  seed?: number;
}

type Fn = (...xs: Tensor[]) => Tensor | Tensor[];

function evalLoss(f: Fn, inputs: Tensor[], R: Float64Array[]): number {
  return T.noGrad(() => {
    const outs = [f(...inputs)].flat();
    let s = 0;
    outs.forEach((o, k) => {
      for (let i = 0; i < o.size; i++) s += o.data[i]! * R[k]![i]!;
    });
    return s;
  });
}

/**
 * Compares autograd's gradients of loss = sum_k sum(f(inputs)_k * R_k), R fixed random, with central
 * differences for every element of every input that requires a gradient. Inputs must be float64
 * leaves. Inputs that do not require a gradient must end without one. Returns the largest |difference|.
 */
export function gradcheck(f: Fn, inputs: Tensor[], opts: GradcheckOptions): number {
  const eps = opts.eps ?? 1e-6;
  for (const x of inputs) {
    assert.equal(x.dtype, 'float64', 'gradcheck needs float64 inputs');
    x.grad = null;
  }
  const outs = [f(...inputs)].flat();
  const rng = new Rng(opts.seed ?? 1234);
  const R = outs.map((o) => Float64Array.from(values(rng, o.size)));
  let loss: Tensor | null = null;
  outs.forEach((o, k) => {
    const term = T.sum(T.mul(o, new Tensor(R[k]!, o.shape)));
    loss = loss ? T.add(loss, term) : term;
  });
  loss!.backward();

  let maxDiff = 0;
  inputs.forEach((x, n) => {
    if (!x.requiresGrad) {
      assert.equal(x.grad, null, `input ${n} does not require a gradient but got one`);
      return;
    }
    assert.ok(x.grad, `input ${n} got no gradient`);
    assert.deepEqual(x.grad.shape, x.shape, `input ${n}: gradient shape`);
    const numeric = new Float64Array(x.size);
    for (let i = 0; i < x.size; i++) {
      const v = x.data[i]!;
      x.data[i] = v + eps;
      const lp = evalLoss(f, inputs, R);
      x.data[i] = v - eps;
      const lm = evalLoss(f, inputs, R);
      x.data[i] = v;
      numeric[i] = (lp - lm) / (2 * eps);
    }
    maxDiff = Math.max(maxDiff, assertClose(x.grad.data, numeric, opts, `input ${n} gradient vs finite differences`));
  });
  return maxDiff;
}
