// The Fisher pass of the official ChildTuningD.calculate_fisher: one pass over the training batches,
// for each batch loss -> backward -> every tensor's gradient clipped to norm maxGradNorm on its own
// (torch.nn.utils.clip_grad_norm_(p, 1.0)) -> F += grad^2 / N, N = number of batches.
//
// The model step is a closure, so the pass knows nothing of the model or the method: it scores whatever
// tensors it is given (full fine-tuning, LoRA, adapters...). The official code runs the model in train
// mode (dropout on) and takes the batches from a shuffled DataLoader; both are the caller's choice here.

import { Tensor } from '../../tensor/tensor.ts';
import { releaseGrad } from '../../tensor/autograd.ts';
import { BinOp, UnOp, type Buf } from '../../tensor/backends/kernels.ts';
import { kernelsFor } from '../../tensor/backend.ts';
import { fail } from '../../util/errors.ts';
import type { NamedValues } from './mask.ts';

export interface FisherOptions {
  /** Per-tensor clip of each batch gradient (official: args.max_grad_norm, 1.0). 0 or Infinity: no clip. */
  maxGradNorm?: number;
  /**
   * Number of batches, when known up front (default: the length of an array of batches). With it the pass
   * accumulates grad^2 / N per batch in float32, as the official code; without it, sums and divides once.
   */
  numBatches?: number;
  /** Called after each batch with its index and loss. */
  onBatch?: (index: number, loss: number) => void;
}

export interface FisherScores {
  /** Mean over batches of the clipped squared gradient, by tensor name. */
  scores: NamedValues;
  batches: number;
}

/**
 * Diagonal empirical Fisher of `params` over one pass of `batches`. `lossFn(batch)` runs the model and
 * returns the scalar loss (mean cross-entropy with the gold labels, MSE for regression). Gradients
 * of the given tensors are cleared before and after every batch; a tensor with no gradient in a batch adds 0.
 */
export function fisher<B>(params: readonly (readonly [string, Tensor])[], batches: Iterable<B>, lossFn: (batch: B) => Tensor, opts: FisherOptions = {}): FisherScores {
  const maxNorm = opts.maxGradNorm ?? 1.0;
  const N = opts.numBatches ?? (Array.isArray(batches) ? batches.length : undefined);
  if (N !== undefined && !(Number.isInteger(N) && N > 0)) fail('usage', `fisher: numBatches must be a positive integer, got ${N}`);
  const names = new Set<string>();
  for (const [name, p] of params) {
    if (names.has(name)) fail('usage', `fisher: tensor "${name}" given twice`);
    names.add(name);
    if (!p.requiresGrad) fail('usage', `fisher: tensor "${name}" does not train (requiresGrad is false)`);
  }
  const acc = params.map(([, p]) => (p.dtype === 'float64' ? new Float64Array(p.size) : new Float32Array(p.size)) as Buf);
  const scratch = new Scratch();
  let count = 0;
  const clear = () => {
    for (const [, p] of params) releaseGrad(p); // each batch's backward overwrites the same buffers
  };
  for (const batch of batches) {
    if (N !== undefined && count >= N) fail('usage', `fisher: more batches than numBatches (${N})`);
    clear();
    const loss = lossFn(batch);
    if (loss.size !== 1) fail('shape', `fisher: the loss must be a single value, got ${loss.size} values`);
    loss.backward();
    params.forEach(([, p], j) => {
      if (!p.grad) return;
      const g = p.grad.data, F = acc[j]!, n = p.size;
      const k = kernelsFor(g);
      if (maxNorm > 0 && Number.isFinite(maxNorm)) {
        // torch.nn.utils.clip_grad_norm_ on this tensor alone: scale by max / (norm + 1e-6) if below 1
        const coef = maxNorm / (Math.sqrt(k.sumSquares(g, n)) + 1e-6);
        if (coef < 1) k.affine(g, coef, 0, g, n);
      }
      const [sq, tmp] = scratch.get(g, n);
      k.unary(UnOp.Square, g, sq, n); // grad ** 2
      // ... / N, each batch, as the official code: a true division (not * 1/N) to round as torch does
      if (N !== undefined) k.binary(BinOp.Div, sq, 0, [1], g instanceof Float64Array ? Float64Array.of(N) : Float32Array.of(N), 0, [0], tmp, [n]);
      k.axpy(1, N !== undefined ? tmp : sq, F, n);
    });
    count++;
    opts.onBatch?.(count - 1, loss.data[0]!);
  }
  clear();
  if (count === 0) fail('data', 'fisher: no batches');
  if (N !== undefined && count !== N) fail('usage', `fisher: numBatches is ${N} but ${count} batches came`);
  const scores: NamedValues = new Map();
  params.forEach(([name, p], j) => {
    const F = acc[j]!;
    if (N === undefined) divideInPlace(F, count);
    scores.set(name, { shape: [...p.shape], data: F instanceof Float32Array ? F : Float32Array.from(F) });
  });
  return { scores, batches: count };
}

/** x /= d with the division kernel. */
function divideInPlace(x: Buf, d: number): void {
  const n = x.length;
  const out = x instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
  kernelsFor(x).binary(BinOp.Div, x, 0, [1], x instanceof Float64Array ? Float64Array.of(d) : Float32Array.of(d), 0, [0], out, [n]);
  x.set(out);
}

/** Two reusable buffers of the largest tensor's size (no aliased kernel outputs). */
class Scratch {
  private f32 = new Float32Array(0);
  get(like: Buf, n: number): [Buf, Buf] {
    if (like instanceof Float64Array) return [new Float64Array(n), new Float64Array(n)];
    if (this.f32.length < 2 * n) this.f32 = new Float32Array(2 * n);
    return [this.f32.subarray(0, n), this.f32.subarray(n, 2 * n)];
  }
}
