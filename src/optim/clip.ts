// Global gradient-norm clipping (torch.nn.utils.clip_grad_norm_): scale all gradients by
// max_norm / (total_norm + 1e-6) when the total L2 norm exceeds max_norm. Returns the total norm.

import type { Tensor } from '../tensor/tensor.ts';
import { kernelsFor } from '../tensor/backend.ts';

export function clipGradNorm(params: readonly Tensor[], maxNorm: number): number {
  let sq = 0;
  for (const p of params) if (p.grad) sq += kernelsFor(p.grad.data).sumSquares(p.grad.data, p.grad.size);
  const total = Math.sqrt(sq);
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    for (const p of params) {
      if (!p.grad) continue;
      const g = p.grad.data;
      kernelsFor(g).affine(g, coef, 0, g, g.length);
    }
  }
  return total;
}
