import type { Buf } from '../kernels.ts';

export function sumAxis(x: Buf, outer: number, reduce: number, inner: number, out: Buf, accumulate: boolean): void {
  if (!accumulate) out.fill(0, 0, outer * inner);
  for (let o = 0; o < outer; o++) {
    const ob = o * inner;
    for (let r = 0; r < reduce; r++) {
      const xb = (o * reduce + r) * inner;
      for (let j = 0; j < inner; j++) out[ob + j]! += x[xb + j]!;
    }
  }
}

/** Walks an N-d index over `shape`, calling visit(linear, strided) with the strided offset. */
function walk(shape: ArrayLike<number>, strides: ArrayLike<number>, off: number, visit: (lin: number, at: number) => void): void {
  const nd = shape.length;
  let n = 1;
  for (let d = 0; d < nd; d++) n *= shape[d]!;
  if (n === 0) return;
  const idx = new Array<number>(nd).fill(0);
  let at = off;
  for (let lin = 0; lin < n; lin++) {
    visit(lin, at);
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      at += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      at -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

export function copyStrided(src: Buf, sOff: number, srcStrides: ArrayLike<number>, shape: ArrayLike<number>,
  dst: Buf, dOff: number, accumulate: boolean): void {
  if (accumulate) walk(shape, srcStrides, sOff, (lin, at) => { dst[dOff + lin]! += src[at]!; });
  else walk(shape, srcStrides, sOff, (lin, at) => { dst[dOff + lin] = src[at]!; });
}

export function scatterStridedAdd(src: Buf, sOff: number, shape: ArrayLike<number>, dst: Buf, dOff: number,
  dstStrides: ArrayLike<number>): void {
  walk(shape, dstStrides, dOff, (lin, at) => { dst[at]! += src[sOff + lin]!; });
}
