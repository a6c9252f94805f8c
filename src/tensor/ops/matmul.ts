// Matrix products. Frozen operands get no gradient product at all.
import { record } from '../autograd.ts';
import { Tensor } from '../tensor.ts';
import { fail } from '../../util/errors.ts';
import { fmt, sizeOf } from '../../util/assert.ts';
import { kern, emptyUninit, linearGrads, linearInto } from './util.ts';

/**
 * y = x W^T + b, W [out, in] (PyTorch / Hugging Face layout), x [..., in] -> y [..., out]
 *   =>  dx = dy W,  dW += dy^T x,  db += sum_rows dy
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  const [O, I] = weight.shape as [number, number];
  if (weight.ndim !== 2 || x.shape[x.ndim - 1] !== I || (bias && (bias.ndim !== 1 || bias.shape[0] !== O))) {
    fail('shape', `linear: input ${fmt(x.shape)}, weight ${fmt(weight.shape)}${bias ? `, bias ${fmt(bias.shape)}` : ''} do not fit (weight is [out, in])`);
  }
  const k = kern('linear', x, weight, bias);
  const out = emptyUninit([...x.shape.slice(0, -1), O], x);
  linearInto(k, x, weight.data, bias, out);
  return record('linear', out, [x, weight, bias], (dy, ctx) => linearGrads(k, ctx, dy, x, weight.data, O));
}

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

/**
 * Batched matrix product: a [..., M, K] (or [..., K, M] with transA), b [K, N] shared by every batch
 * or [..., K, N] with the same batch dims (or [..., N, K] with transB).
 *   y = op(a) op(b)  =>  d op(a) = dy op(b)^T,  d op(b) = op(a)^T dy   (summed over batch when b is shared)
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const ta = !!opts.transA, tb = !!opts.transB;
  if (a.ndim < 2 || b.ndim < 2) fail('shape', `matmul: operands need at least 2 dims, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const M = ta ? ac : ar, K = ta ? ar : ac;
  const Kb = tb ? bc : br, N = tb ? br : bc;
  const batchShape = a.shape.slice(0, -2);
  const batch = sizeOf(batchShape);
  const shared = b.ndim === 2;
  if (K !== Kb || (!shared && (b.ndim !== a.ndim || b.shape.slice(0, -2).some((d, i) => d !== batchShape[i])))) {
    fail('shape', `matmul: ${fmt(a.shape)}${ta ? '^T' : ''} @ ${fmt(b.shape)}${tb ? '^T' : ''} do not fit`);
  }
  const k = kern('matmul', a, b);
  const out = emptyUninit([...batchShape, M, N], a); // gemm with beta = 0 over every batch overwrites

  const sA = ar * ac, sB = shared ? 0 : br * bc, sC = M * N;
  const fold = shared && !ta; // one big product: [batch*M, K] @ op(b)
  if (fold) k.gemm(false, tb, batch * M, N, K, 1, a.data, 0, ac, 0, b.data, 0, bc, 0, 0, out.data, 0, N, 0, 1);
  else k.gemm(ta, tb, M, N, K, 1, a.data, 0, ac, sA, b.data, 0, bc, sB, 0, out.data, 0, N, sC, batch);
  return record('matmul', out, [a, b], (dy, ctx) => {
    // d op(a) [M, K] = dy [M, N] @ op(b)^T ; stored as a's layout
    ctx.acc(0, (buf, acc) => {
      const beta = acc ? 1 : 0;
      if (fold) k.gemm(false, !tb, batch * M, K, N, 1, dy, 0, N, 0, b.data, 0, bc, 0, beta, buf, 0, ac, 0, 1);
      else if (!ta) k.gemm(false, !tb, M, K, N, 1, dy, 0, N, sC, b.data, 0, bc, sB, beta, buf, 0, ac, sA, batch);
      else k.gemm(tb, true, K, M, N, 1, b.data, 0, bc, sB, dy, 0, N, sC, beta, buf, 0, ac, sA, batch); // da [K, M] = op(b) dy^T
    });
    // d op(b) [K, N] = op(a)^T dy ; stored as b's layout
    ctx.acc(1, (buf, acc) => {
      if (shared) {
        // sum over batch: with a folded to [batch*M, K] that is a single product
        if (fold) {
          if (!tb) k.gemm(true, false, K, N, batch * M, 1, a.data, 0, ac, 0, dy, 0, N, 0, acc ? 1 : 0, buf, 0, bc, 0, 1);
          else k.gemm(true, false, N, K, batch * M, 1, dy, 0, N, 0, a.data, 0, ac, 0, acc ? 1 : 0, buf, 0, bc, 0, 1);
        } else {
          for (let i = 0; i < batch; i++) {
            const beta = acc || i > 0 ? 1 : 0;
            if (!tb) k.gemm(!ta, false, K, N, M, 1, a.data, i * sA, ac, 0, dy, i * sC, N, 0, beta, buf, 0, bc, 0, 1);
            else k.gemm(true, ta, N, K, M, 1, dy, i * sC, N, 0, a.data, i * sA, ac, 0, beta, buf, 0, bc, 0, 1);
          }
        }
      } else {
        const beta = acc ? 1 : 0;
        if (!tb) k.gemm(!ta, false, K, N, M, 1, a.data, 0, ac, sA, dy, 0, N, sC, beta, buf, 0, bc, sB, batch);
        else k.gemm(true, ta, N, K, M, 1, dy, 0, N, sC, a.data, 0, ac, sA, beta, buf, 0, bc, sB, batch); // db [N, K] = dy^T op(a)
      }
    });
  });
}
