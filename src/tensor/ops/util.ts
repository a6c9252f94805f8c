// Shared plumbing for ops: picking kernels, checking dtypes, strides and broadcasting.

import type { Buf, Kernels } from '../backends/kernels.ts';
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
