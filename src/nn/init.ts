// In-place initializers (return the tensor for chaining).
import type { Tensor } from '../tensor/tensor.ts';
import type { Rng } from '../util/rng.ts';

let skipping = false;

/**
 * Build modules without drawing their random initial values (as transformers' no_init_weights):
 * for weights a checkpoint is about to overwrite. normal_ and uniform_ leave tensors as they are.
 */
export function withoutInit<T>(fn: () => T): T {
  const prev = skipping;
  skipping = true;
  try {
    return fn();
  } finally {
    skipping = prev;
  }
}

export function normal_(t: Tensor, rng: Rng, std: number, mean = 0): Tensor {
  if (skipping) return t;
  for (let i = 0; i < t.size; i++) t.data[i] = mean + std * rng.normal();
  return t;
}

export function uniform_(t: Tensor, rng: Rng, low: number, high: number): Tensor {
  if (skipping) return t;
  for (let i = 0; i < t.size; i++) t.data[i] = low + (high - low) * rng.uniform();
  return t;
}

export function ones_(t: Tensor): Tensor {
  t.data.fill(1);
  return t;
}

/** torch.nn.init.kaiming_uniform_(w, a=sqrt(5)) on a [out, in] weight: bound = 1/sqrt(in). */
export function kaimingUniformA5_(t: Tensor, rng: Rng): Tensor {
  const fanIn = t.shape[t.shape.length - 1]!;
  const bound = 1 / Math.sqrt(fanIn);
  return uniform_(t, rng, -bound, bound);
}
