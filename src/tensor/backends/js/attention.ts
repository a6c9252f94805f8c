import type { Buf } from '../kernels.ts';
import { gemm } from './gemm.ts';
import { dropoutApply } from './misc.ts';
import { softmaxRow, softmaxBackward } from './norm.ts';

function like(buf: Buf, n: number): Buf {
  return buf instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

/** Per-head loops over [B, T, H] buffers; head h of token t lives at t*H + h*HS (row stride H). */
/** P' = P * dropMask for one head's [Tq, Tk] block at p0 of probs (the mask drawn at the same flat indices). */
function dropped(probs: Buf, p0: number, n: number, keep: number, seed: number, into: Buf): void {
  dropoutApply(probs.subarray(p0, p0 + n), into, n, keep, seed, p0);
}

export function attentionForward(q: Buf, k: Buf, v: Buf, mask: Buf | null, dropKeep: number, dropSeed: number,
  B: number, Tq: number, Tk: number, NH: number, HS: number, scale: number, probs: Buf, out: Buf): void {
  if (!(dropKeep > 0 && dropKeep <= 1)) throw new RangeError(`attentionForward: dropKeep must be in (0, 1], got ${dropKeep}`);
  const H = NH * HS;
  const pd = dropKeep < 1 ? like(probs, Tq * Tk) : null;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      const p0 = (b * NH + h) * Tq * Tk;
      // S = scale * Q K^T   [Tq, HS] x [HS, Tk]
      gemm(false, true, Tq, Tk, HS, scale, q, b * Tq * H + h * HS, H, 0, k, b * Tk * H + h * HS, H, 0, 0, probs, p0, Tk, 0, 1);
      for (let i = 0; i < Tq; i++) {
        const r = p0 + i * Tk;
        if (mask) for (let j = 0; j < Tk; j++) probs[r + j]! += mask[b * Tk + j]!;
        softmaxRow(probs, r, Tk, probs, r);
      }
      let src: Buf = probs, s0 = p0;
      if (pd) {
        dropped(probs, p0, Tq * Tk, dropKeep, dropSeed, pd);
        src = pd;
        s0 = 0;
      }
      // O = P' V   [Tq, Tk] x [Tk, HS]
      gemm(false, false, Tq, HS, Tk, 1, src, s0, Tk, 0, v, b * Tk * H + h * HS, H, 0, 0, out, b * Tq * H + h * HS, H, 0, 1);
    }
  }
}

export function attentionBackward(q: Buf, k: Buf, v: Buf, probs: Buf, dropKeep: number, dropSeed: number, dOut: Buf,
  B: number, Tq: number, Tk: number, NH: number, HS: number, scale: number,
  dq: Buf | null, dk: Buf | null, dv: Buf | null): void {
  if (!(dropKeep > 0 && dropKeep <= 1)) throw new RangeError(`attentionBackward: dropKeep must be in (0, 1], got ${dropKeep}`);
  const H = NH * HS;
  const drop = dropKeep < 1;
  const n = Tq * Tk;
  const dP = like(probs, n), dS = like(probs, n), pd = like(probs, n);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      const p0 = (b * NH + h) * n;
      const qo = b * Tq * H + h * HS, ko = b * Tk * H + h * HS;
      if (drop) dropped(probs, p0, n, dropKeep, dropSeed, pd);
      else pd.set(probs.subarray(p0, p0 + n));
      // dV = P'^T dO   [Tk, Tq] x [Tq, HS]
      if (dv) gemm(true, false, Tk, HS, Tq, 1, pd, 0, Tk, 0, dOut, qo, H, 0, 0, dv, ko, H, 0, 1);
      if (!dq && !dk) continue;
      // dP' = dO V^T   [Tq, HS] x [HS, Tk]
      gemm(false, true, Tq, Tk, HS, 1, dOut, qo, H, 0, v, ko, H, 0, 0, dP, 0, Tk, 0, 1);
      if (drop) dropoutApply(dP, dP, n, dropKeep, dropSeed, p0);
      softmaxBackward(probs.subarray(p0, p0 + n), dP, Tq, Tk, dS);
      // dQ = scale dS K ; dK = scale dS^T Q
      if (dq) gemm(false, false, Tq, HS, Tk, scale, dS, 0, Tk, 0, k, ko, H, 0, 0, dq, qo, H, 0, 1);
      if (dk) gemm(true, false, Tk, HS, Tq, scale, dS, 0, Tk, 0, q, qo, H, 0, 0, dk, ko, H, 0, 1);
    }
  }
}
