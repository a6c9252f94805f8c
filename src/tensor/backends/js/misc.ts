import type { Buf } from '../kernels.ts';

/** The counter hash of the shared uniform stream (formula in kernels.ts): a bijection of i for a fixed seed. */
export function hash32(i: number, seed: number): number {
  let h = (Math.imul(i + 1, 0x9e3779b9) + seed) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** u_i of the shared counter-based uniform stream, 24 bits. */
export function uniformAt(i: number, seed: number): number {
  return (hash32(i, seed) >>> 8) * 5.9604644775390625e-8; // 2^-24
}

export function bernoulliMask(out: Buf, n: number, keep: number, scale: number, seed: number, offset: number): void {
  for (let i = 0; i < n; i++) out[i] = uniformAt(i + offset, seed >>> 0) < keep ? scale : 0;
}

export function dropoutApply(x: Buf, out: Buf, n: number, keep: number, seed: number, offset: number): void {
  if (!(keep > 0 && keep <= 1)) throw new RangeError(`dropoutApply: keep must be in (0, 1], got ${keep}`);
  // the mask value as bernoulliMask stores it (float32 in a Float32Array), so both backends agree bit for bit
  const scale = out instanceof Float32Array ? Math.fround(1 / keep) : 1 / keep;
  for (let i = 0; i < n; i++) out[i] = x[i]! * (uniformAt(i + offset, seed >>> 0) < keep ? scale : 0);
}

export function sumSquares(x: Buf, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]! * x[i]!;
  return s;
}

export function countNonFinite(x: Buf, n: number): number {
  let c = 0;
  for (let i = 0; i < n; i++) if (!Number.isFinite(x[i]!)) c++;
  return c;
}

export function adamwStep(param: Buf, grad: Buf, m: Buf, v: Buf, n: number, lr: number, beta1: number,
  beta2: number, eps: number, weightDecay: number, bc1: number, bc2: number, gradMask: Buf | null): void {
  const decay = 1 - lr * weightDecay;
  const sbc2 = Math.sqrt(bc2);
  for (let i = 0; i < n; i++) {
    const g = gradMask ? grad[i]! * gradMask[i]! : grad[i]!;
    param[i]! *= decay;
    m[i] = beta1 * m[i]! + (1 - beta1) * g;
    v[i] = beta2 * v[i]! + (1 - beta2) * g * g;
    // torch: denom = sqrt(v) / sqrt(bc2) + eps; step = lr / bc1
    param[i]! -= (lr / bc1) * m[i]! / (Math.sqrt(v[i]!) / sbc2 + eps);
  }
}
