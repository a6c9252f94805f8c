// Shared plumbing for ops: picking kernels, checking dtypes, strides and broadcasting.

import type { Buf, Kernels } from '../backends/kernels.ts';
import type { GradCtx } from '../autograd.ts';
import { kernelsFor } from '../backend.ts';
import { Tensor, type DType } from '../tensor.ts';
import { opBuf, opBufLike } from '../pool.ts';
import { fail } from '../../util/errors.ts';
import { fmt, sizeOf } from '../../util/assert.ts';

/** Kernels for the op's inputs; all inputs must share a dtype. */
export function kern(op: string, ...ts: (Tensor | null | undefined)[]): Kernels {
  let dtype: DType | undefined;
  let first: Tensor | undefined;
  for (const t of ts) {
    if (!t) continue;
    if (dtype === undefined) { dtype = t.dtype; first = t; }
    else if (t.dtype !== dtype) fail('dtype', `${op}: mixed dtypes ${dtype} and ${t.dtype}`);
  }
  return kernelsFor(first!.data);
}

// Op output / scratch buffers. Outside T.scope() every one is a fresh zero-filled array; inside a
// scope they are recycled, and only the `...Uninit` forms may come back with stale contents, so use
// those only where the kernel overwrites every element before anything reads it.

/** A zeroed output tensor of the same dtype as `like` (for kernels that accumulate into it). */
export function empty(shape: readonly number[], like: Tensor): Tensor {
  return new Tensor(opBuf(like.dtype, sizeOf(shape), true), shape);
}

/** An output tensor whose contents are unspecified: only for kernels that overwrite all of it. */
export function emptyUninit(shape: readonly number[], like: Tensor): Tensor {
  return new Tensor(opBuf(like.dtype, sizeOf(shape), false), shape);
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) { s[d] = acc; acc *= shape[d]!; }
  return s;
}

export function broadcastShape(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1, db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) fail('shape', `${op}: shapes ${fmt(a)} and ${fmt(b)} do not broadcast`);
    out[i] = Math.max(da, db);
  }
  return out;
}

/** Strides of `shape` laid into `outShape` (right-aligned), 0 where broadcast. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = contiguousStrides(shape);
  const off = outShape.length - shape.length;
  return outShape.map((d, i) => (i < off || shape[i - off] === 1 ? 0 : own[i - off]!));
}

export function normAxis(op: string, axis: number, ndim: number): number {
  const a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= ndim) fail('shape', `${op}: axis ${axis} out of range for ${ndim} dims`);
  return a;
}

/** A zeroed buffer of the same element type as `like`. */
export function bufLike(like: Buf, n: number): Buf {
  return opBufLike(like, n, true);
}

/** A buffer of the same element type as `like` with unspecified contents: only for kernels that overwrite all of it. */
export function bufUninit(like: Buf, n: number): Buf {
  return opBufLike(like, n, false);
}

/**
 * out [R, O] = x [R, I] @ w^T + bias, w [O, I] (a weight's data, or a weight formed for this call):
 * the bias broadcast into out first, then the product accumulated onto it (beta = 1); without a bias
 * a beta = 0 product (NaN-safe). Either way every element of out is written, so it may be uninit.
 */
export function linearInto(k: Kernels, x: Tensor, w: Buf, bias: Tensor | null, out: Tensor): void {
  const O = out.shape[out.ndim - 1]!, I = x.shape[x.ndim - 1]!, R = x.size / I;
  if (bias) k.copyStrided(bias.data, 0, [0, 1], [R, O], out.data, 0, false);
  k.gemm(false, true, R, O, I, 1, x.data, 0, I, 0, w, 0, I, 0, bias ? 1 : 0, out.data, 0, O, 0, 1);
}

/** linearInto's gradients for the op's inputs 0 (x), 1 (the weight) and 2 (the bias), w being what the forward used. */
export function linearGrads(k: Kernels, ctx: GradCtx, dy: Buf, x: Tensor, w: Buf, O: number): void {
  const I = x.shape[x.ndim - 1]!, R = x.size / I;
  // dx [R, I] = dy [R, O] @ W [O, I]
  ctx.acc(0, (buf, acc) => k.gemm(false, false, R, I, O, 1, dy, 0, O, 0, w, 0, I, 0, acc ? 1 : 0, buf, 0, I, 0, 1));
  // dW [O, I] = dy^T [O, R] @ x [R, I]
  ctx.acc(1, (buf, acc) => k.gemm(true, false, O, I, R, 1, dy, 0, O, 0, x.data, 0, I, 0, acc ? 1 : 0, buf, 0, I, 0, 1));
  ctx.acc(2, (buf, acc) => k.sumAxis(dy, 1, R, O, buf, acc));
}
