// Fused neural-network ops with hand-written backward passes.
import { record } from '../autograd.ts';
import { Tensor } from '../tensor.ts';
import type { Rng } from '../../util/rng.ts';
import { fail } from '../../util/errors.ts';
import { assertShape, fmt } from '../../util/assert.ts';
import { kern, emptyUninit, bufUninit } from './util.ts';
import { add } from './elementwise.ts';

/**
 * LayerNorm over the last axis: y = (x - mean) rstd gamma + beta, eps from the model config.
 *   =>  dx = rstd (g - mean(g) - xhat mean(g xhat)), g = dy gamma;  dgamma = sum dy xhat;  dbeta = sum dy
 */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
  const C = x.shape[x.ndim - 1]!;
  assertShape('layer_norm', 'weight', gamma.shape, [C]);
  assertShape('layer_norm', 'bias', beta.shape, [C]);
  const k = kern('layer_norm', x, gamma, beta);
  const R = x.size / C;
  // the forward kernel writes y, mean and rstd in full
  const out = emptyUninit(x.shape, x);
  const mean = bufUninit(x.data, R), rstd = bufUninit(x.data, R);
  k.layerNormForward(x.data, gamma.data, beta.data, R, C, eps, out.data, mean, rstd);
  return record('layer_norm', out, [x, gamma, beta], (dy, ctx) => {
    // dgamma / dbeta accumulate in the kernel, so hand it the existing buffers
    let dg: Float32Array | Float64Array | null = null, db: Float32Array | Float64Array | null = null;
    ctx.acc(1, (buf, acc) => { if (!acc) buf.fill(0); dg = buf; });
    ctx.acc(2, (buf, acc) => { if (!acc) buf.fill(0); db = buf; });
    if (ctx.needs(0)) ctx.put(0, (dx) => k.layerNormBackward(dy, x.data, gamma.data, mean, rstd, R, C, dx, dg, db));
    else if (dg || db) k.layerNormBackward(dy, x.data, gamma.data, mean, rstd, R, C, null, dg, db);
  });
}

/** Softmax over the last axis, after adding an optional broadcastable additive mask.  =>  dx = y (dy - sum(dy y)) */
export function softmax(x: Tensor, mask: Tensor | null = null): Tensor {
  const z = mask ? add(x, mask) : x;
  const k = kern('softmax', z);
  const C = z.shape[z.ndim - 1]!;
  const out = emptyUninit(z.shape, z); // softmaxForward writes every row
  k.softmaxForward(z.data, z.size / C, C, out.data);
  return record('softmax', out, [z], (dy, ctx) => ctx.put(0, (dx) => k.softmaxBackward(out.data, dy, z.size / C, C, dx)));
}

/** 1 - p for a dropout probability p in [0, 1); `what` names it in the error otherwise. */
function keepOf(what: string, p: number): number {
  if (!(p >= 0 && p < 1)) fail('usage', `${what} must be in [0, 1), got ${p}`);
  return 1 - p;
}

export interface DropoutSpec {
  p: number;
  rng: Rng;
}

/**
 * Keep each value with probability 1-p and scale by 1/(1-p)  =>  dx = dy * mask. Identity when p = 0.
 * The mask is bernoulliMask's (one seed from rng per call), drawn on the fly in forward and again in
 * backward: never stored.
 */
export function dropout(x: Tensor, p: number, rng: Rng): Tensor {
  const keep = keepOf('dropout: p', p);
  if (keep === 1) return x;
  const k = kern('dropout', x);
  const seed = rng.nextU32();
  const out = emptyUninit(x.shape, x); // dropoutApply overwrites
  k.dropoutApply(x.data, out.data, x.size, keep, seed, 0);
  return record('dropout', out, [x], (dy, ctx) => ctx.put(0, (dx) => k.dropoutApply(dy, dx, x.size, keep, seed, 0)));
}

export interface AttentionOptions {
  numHeads: number;
  /** Additive mask [B, Tk] (0 = attend, large negative = ignore). */
  mask?: Tensor | null;
  dropout?: DropoutSpec | null;
  /** Defaults to 1/sqrt(head size). */
  scale?: number;
}

/**
 * Multi-head scaled dot-product attention on [B, T, H] tensors, heads split inside the kernel:
 * q [B, Tq, H], k/v [B, Tk, H] -> [B, Tq, H]. Backward: see Kernels.attentionBackward.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions): Tensor {
  const [B, Tq, H] = q.shape as [number, number, number];
  const Tk = k.shape[1]!;
  const NH = opts.numHeads;
  if (q.ndim !== 3 || H % NH !== 0) fail('shape', `attention: query ${fmt(q.shape)} must be [B, T, H] with H divisible by ${NH} heads`);
  assertShape('attention', 'key', k.shape, [B, Tk, H]);
  assertShape('attention', 'value', v.shape, [B, Tk, H]);
  const mask = opts.mask ?? null;
  if (mask) assertShape('attention', 'mask', mask.shape, [B, Tk]);
  const K = kern('attention', q, k, v, mask);
  const HS = H / NH;
  const scale = opts.scale ?? 1 / Math.sqrt(HS);
  // attentionForward writes probs and out in full
  const probs = bufUninit(q.data, B * NH * Tq * Tk);
  const dp = opts.dropout;
  // the dropout mask on the probabilities is drawn inside the kernels (forward and backward), never stored
  const keep = dp ? keepOf('attention: dropout p', dp.p) : 1, seed = keep < 1 ? dp!.rng.nextU32() : 0;
  const out = emptyUninit([B, Tq, H], q);
  K.attentionForward(q.data, k.data, v.data, mask ? mask.data : null, keep, seed, B, Tq, Tk, NH, HS, scale, probs, out.data);
  return record('attention', out, [q, k, v, mask], (dy, ctx) => {
    // attentionBackward overwrites dq, dk, dv
    const dq = ctx.needs(0) ? bufUninit(dy, q.size) : null;
    const dk = ctx.needs(1) ? bufUninit(dy, k.size) : null;
    const dv = ctx.needs(2) ? bufUninit(dy, v.size) : null;
    K.attentionBackward(q.data, k.data, v.data, probs, keep, seed, dy, B, Tq, Tk, NH, HS, scale, dq, dk, dv);
    if (dq) ctx.pass(0, dq);
    if (dk) ctx.pass(1, dk);
    if (dv) ctx.pass(2, dv);
    if (ctx.needs(3)) fail('no-backward', 'attention: the mask is not differentiable (detach it)');
  });
}

/** out = weight[ids]  [..., H]  =>  dWeight[ids[i]] += dy[i] (scatter-add) */
export function embedding(weight: Tensor, ids: Int32Array, idsShape: readonly number[]): Tensor {
  const [V, H] = weight.shape as [number, number];
  if (weight.ndim !== 2) fail('shape', `embedding: weight must be [vocab, hidden], got ${fmt(weight.shape)}`);
  const k = kern('embedding', weight);
  const out = emptyUninit([...idsShape, H], weight); // embeddingForward writes every row (size checked below)
  if (out.size !== ids.length * H) fail('shape', `embedding: ${ids.length} ids do not fill shape ${fmt(idsShape)}`);
  k.embeddingForward(weight.data, ids, V, H, out.data);
  return record('embedding', out, [weight], (dy, ctx) => {
    ctx.acc(0, (buf, acc) => {
      if (!acc) buf.fill(0);
      k.embeddingBackward(dy, ids, V, H, buf);
    });
  });
}
