// A linear layer plus a trainable low-rank update, computed through the merged weight:
//   y = x (W + s B A)^T + b       x [..., in], W [out, in], A [r, in], B [out, r], b [out]
// which equals x W^T + b + s (x A^T) B^T (LoRA) but takes one product over the tokens instead of three
// plus an add: W + s B A costs out*in*r, against tokens*(in + out)*r and a pass over [tokens, out].
// The backward keeps the factored form, so no [out, in] weight-gradient product is ever formed for A, B:
//   dx = dy (W + s B A);  dA = s (dy B)^T x;  dB = s dy^T (x A^T);  dW = dy^T x;  db = sum_rows dy
import { record } from '../autograd.ts';
import { Tensor } from '../tensor.ts';
import { fail } from '../../util/errors.ts';
import { fmt } from '../../util/assert.ts';
import { kern, emptyUninit, bufUninit, linearGrads, linearInto } from './util.ts';

export function linearLowRank(x: Tensor, weight: Tensor, bias: Tensor | null, a: Tensor, b: Tensor, scale: number): Tensor {
  const [O, I] = weight.shape as [number, number];
  const r = a.shape[0]!;
  if (weight.ndim !== 2 || x.shape[x.ndim - 1] !== I || (bias && (bias.ndim !== 1 || bias.shape[0] !== O))
    || a.ndim !== 2 || a.shape[1] !== I || b.ndim !== 2 || b.shape[0] !== O || b.shape[1] !== r) {
    fail('shape', `linearLowRank: input ${fmt(x.shape)}, weight ${fmt(weight.shape)}${bias ? `, bias ${fmt(bias.shape)}` : ''}, A ${fmt(a.shape)}, B ${fmt(b.shape)} do not fit (weight [out, in], A [r, in], B [out, r])`);
  }
  const k = kern('linearLowRank', x, weight, bias, a, b);
  const R = x.size / I;
  // W_eff [O, I] = W + s B A: a copy of W, then the rank-r product accumulated into it
  const wEff = bufUninit(weight.data, O * I);
  k.copyStrided(weight.data, 0, [1], [O * I], wEff, 0, false);
  k.gemm(false, false, O, I, r, scale, b.data, 0, r, 0, a.data, 0, I, 0, 1, wEff, 0, I, 0, 1);
  const out = emptyUninit([...x.shape.slice(0, -1), O], x);
  linearInto(k, x, wEff, bias, out);
  return record('linearLowRank', out, [x, weight, bias, a, b], (dy, ctx) => {
    linearGrads(k, ctx, dy, x, wEff, O); // dx through W_eff; dW = dy^T x; db
    if (ctx.needs(3)) {
      // u [R, r] = dy [R, O] @ B [O, r];  dA [r, I] = s u^T [r, R] @ x [R, I]
      const u = bufUninit(dy, R * r);
      k.gemm(false, false, R, r, O, 1, dy, 0, O, 0, b.data, 0, r, 0, 0, u, 0, r, 0, 1);
      ctx.acc(3, (buf, acc) => k.gemm(true, false, r, I, R, scale, u, 0, r, 0, x.data, 0, I, 0, acc ? 1 : 0, buf, 0, I, 0, 1));
    }
    if (ctx.needs(4)) {
      // t [R, r] = x [R, I] @ A^T [I, r];  dB [O, r] = s dy^T [O, R] @ t [R, r]
      const t = bufUninit(dy, R * r);
      k.gemm(false, true, R, r, I, 1, x.data, 0, I, 0, a.data, 0, I, 0, 0, t, 0, r, 0, 1);
      ctx.acc(4, (buf, acc) => k.gemm(true, false, O, r, R, scale, dy, 0, O, 0, t, 0, r, 0, acc ? 1 : 0, buf, 0, r, 0, 1));
    }
  });
}
