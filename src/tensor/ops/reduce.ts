// Sums and means over axes.
import { record } from '../autograd.ts';
import { Tensor } from '../tensor.ts';
import { kern, empty, emptyUninit, contiguousStrides, normAxis } from './util.ts';
import { affine } from './elementwise.ts';

function reduceAxes(op: string, x: Tensor, axes?: number | readonly number[]): boolean[] {
  const list = axes === undefined ? [...x.shape.keys()] : typeof axes === 'number' ? [axes] : axes;
  const mask = new Array<boolean>(x.ndim).fill(false);
  for (const a of list) mask[normAxis(op, a, x.ndim)] = true;
  return mask;
}

/** y = sum of x over axes (all when omitted)  =>  dx = dy broadcast back over the summed axes */
export function sum(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  const k = kern('sum', x);
  const red = reduceAxes('sum', x, axes);
  const kept = x.shape.map((d, i) => (red[i] ? 1 : d));
  const ks = contiguousStrides(kept).map((s, i) => (red[i] ? 0 : s));
  const outShape = keepdim ? kept : x.shape.filter((_, i) => !red[i]);
  const first = red.indexOf(true), last = red.lastIndexOf(true);
  let out: Tensor;
  if (first < 0 || red.slice(first, last + 1).every(Boolean)) {
    // one contiguous run of summed axes: x is [outer, reduce, inner], a parallel sumAxis (which overwrites out)
    const prod = (a: number, b: number) => x.shape.slice(a, b).reduce((n, d) => n * d, 1);
    out = emptyUninit(outShape, x);
    if (first < 0) k.sumAxis(x.data, x.size, 1, 1, out.data, false);
    else k.sumAxis(x.data, prod(0, first), prod(first, last + 1), prod(last + 1, x.ndim), out.data, false);
  } else {
    out = empty(outShape, x); // zeroed: the sum is a scatter-add into out
    k.scatterStridedAdd(x.data, 0, x.shape, out.data, 0, ks);
  }
  return record('sum', out, [x], (dy, ctx) => {
    ctx.acc(0, (buf, accumulate) => k.copyStrided(dy, 0, ks, x.shape, buf, 0, accumulate));
  });
}

/** y = sum / count  =>  dx = dy / count broadcast */
export function mean(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  const red = reduceAxes('mean', x, axes);
  const count = x.shape.reduce((n, d, i) => (red[i] ? n * d : n), 1);
  return affine(sum(x, axes, keepdim), 1 / count);
}
