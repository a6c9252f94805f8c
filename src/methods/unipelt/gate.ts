// UniPELT's gate (../../../shared/docs/unipelt-spec.md, "Gates"): Linear(H, 1), sigmoid per token, then
// the mean over the token axis, one scalar per example:
//   g = (1/T) sum_t sigmoid(w . x_t + b)                 (official code: all T positions, padding included)
//   g = sum_t m_t sigmoid(w . x_t + b) / sum_t m_t       (the masked-mean option; m = 1 for tokens)
// Init: weight normal(0, 0.02), bias 0, so g starts near 0.5. Parameters are "<site>.<piece>_gate.{weight,bias}".

import { Tensor, div, linear, mean, mul, reshape, sigmoid, sum, tensor, zeros } from '../../tensor/index.ts';
import { Module, normal_ } from '../../nn/index.ts';
import type { LayerContext } from '../../models/hooks.ts';
import type { Rng } from '../../util/rng.ts';

export type GateMean = 'all' | 'masked';

export class Gate extends Module {
  weight: Tensor; // [1, H]
  bias: Tensor; // [1]
  readonly _mean: GateMean;
  /** g of the last forward, [B]. */
  _last: Float32Array | null = null;

  constructor(hidden: number, rng: Rng, meanOver: GateMean) {
    super();
    this.weight = normal_(zeros([1, hidden], 'float32', true), rng, 0.02);
    this.bias = zeros([1], 'float32', true);
    this._mean = meanOver;
  }

  /** x [B, T, H] -> g [B, 1, 1] (recorded for read-out). */
  forward(x: Tensor, ctx: LayerContext): Tensor {
    const [B, T] = x.shape as [number, number, number];
    const s = sigmoid(linear(x, this.weight, this.bias)); // [B, T, H] -> [B, T, 1]
    let g: Tensor; // [B, 1]
    if (this._mean === 'masked' && ctx.tokenMask) {
      const m = reshape(ctx.tokenMask.detach(), [B, T, 1]); // [B, T, 1]
      const counts = new Float32Array(B);
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) counts[b]! += ctx.tokenMask.data[b * T + t]!;
      g = div(sum(mul(s, m), 1), tensor(counts, [B, 1], s.dtype)); // [B, 1] / [B, 1]
    } else {
      g = mean(s, 1); // [B, T, 1] -> [B, 1]
    }
    this._last = Float32Array.from(g.data);
    return reshape(g, [B, 1, 1]); // [B, 1, 1]
  }
}
