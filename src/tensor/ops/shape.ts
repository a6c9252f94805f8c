// Layout ops. reshape shares memory; permute/slice/concat copy through strided kernels.
import { record } from '../autograd.ts';
import { Tensor } from '../tensor.ts';
import { fail } from '../../util/errors.ts';
import { fmt, sizeOf } from '../../util/assert.ts';
import { kern, empty, emptyUninit, contiguousStrides, normAxis } from './util.ts';

/** Same data, new shape (one -1 allowed)  =>  dx = dy reshaped */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = [...shape];
  const free = s.indexOf(-1);
  if (free >= 0) s[free] = x.size / sizeOf(s.filter((_, i) => i !== free));
  if (sizeOf(s) !== x.size || !Number.isInteger(s[free] ?? 0)) fail('shape', `reshape: cannot view ${fmt(x.shape)} as ${fmt(shape)}`);
  const out = new Tensor(x.data, s);
  return record('reshape', out, [x], (dy, ctx) => ctx.pass(0, dy));
}

/** y = x with axes reordered: y.shape[i] = x.shape[perm[i]]  =>  dx = permute(dy, inverse(perm)) */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.ndim || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) {
    fail('shape', `permute: ${fmt(perm)} is not a permutation of ${x.ndim} axes`);
  }
  const k = kern('permute', x);
  const xs = contiguousStrides(x.shape);
  const shape = perm.map((p) => x.shape[p]!);
  const out = emptyUninit(shape, x); // a non-accumulating copy over out's whole shape
  k.copyStrided(x.data, 0, perm.map((p) => xs[p]!), shape, out.data, 0, false);
  return record('permute', out, [x], (dy, ctx) => {
    // scatter dy back through the same strides (a permutation never repeats a target)
    const ys = contiguousStrides(shape);
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    ctx.acc(0, (buf, accumulate) => k.copyStrided(dy, 0, inv.map((i) => ys[i]!), x.shape, buf, 0, accumulate));
  });
}

export function transpose(x: Tensor, a: number, b: number): Tensor {
  const perm = [...x.shape.keys()];
  const i = normAxis('transpose', a, x.ndim), j = normAxis('transpose', b, x.ndim);
  [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  return permute(x, perm);
}

/** y = x[..., start:end, ...] along axis  =>  dx = zeros with dy written into the slice */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const ax = normAxis('slice', axis, x.ndim);
  const len = x.shape[ax]!;
  if (!(0 <= start && start <= end && end <= len)) fail('shape', `slice: [${start}, ${end}) out of range for axis ${ax} of ${fmt(x.shape)}`);
  const k = kern('slice', x);
  const xs = contiguousStrides(x.shape);
  const shape = [...x.shape];
  shape[ax] = end - start;
  const out = emptyUninit(shape, x); // a non-accumulating copy over out's whole shape
  k.copyStrided(x.data, start * xs[ax]!, xs, shape, out.data, 0, false);
  return record('slice', out, [x], (dy, ctx) => {
    ctx.acc(0, (buf, accumulate) => {
      if (!accumulate) buf.fill(0);
      k.scatterStridedAdd(dy, 0, shape, buf, start * xs[ax]!, xs);
    });
  });
}

/** y = concat(xs) along axis  =>  dx_i = the matching slice of dy */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) fail('shape', 'concat: no tensors');
  const first = xs[0]!;
  const ax = normAxis('concat', axis, first.ndim);
  for (const t of xs) {
    if (t.ndim !== first.ndim || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      fail('shape', `concat: ${fmt(t.shape)} does not match ${fmt(first.shape)} outside axis ${ax}`);
    }
  }
  const k = kern('concat', ...xs);
  const shape = [...first.shape];
  shape[ax] = xs.reduce((s, t) => s + t.shape[ax]!, 0);
  const out = empty(shape, first); // zeroed: filled by scatter-add
  const os = contiguousStrides(shape);
  const offsets: number[] = [];
  let at = 0;
  for (const t of xs) {
    offsets.push(at * os[ax]!);
    k.scatterStridedAdd(t.data, 0, t.shape, out.data, at * os[ax]!, os);
    at += t.shape[ax]!;
  }
  return record('concat', out, xs, (dy, ctx) => {
    xs.forEach((t, i) => {
      if (ctx.needs(i)) ctx.acc(i, (buf, accumulate) => k.copyStrided(dy, offsets[i]!, os, t.shape, buf, 0, accumulate));
    });
  });
}

/** Split along axis into pieces of the given sizes (each a slice). */
export function split(x: Tensor, sizes: readonly number[], axis: number): Tensor[] {
  const ax = normAxis('split', axis, x.ndim);
  if (sizes.reduce((s, n) => s + n, 0) !== x.shape[ax]) fail('shape', `split: sizes ${fmt(sizes)} do not sum to ${x.shape[ax]} (axis ${ax} of ${fmt(x.shape)})`);
  let at = 0;
  return sizes.map((n) => {
    const t = slice(x, ax, at, at + n);
    at += n;
    return t;
  });
}
