// AdamW with decoupled weight decay (torch.optim.AdamW semantics) over parameter groups.
// Gradient transforms (Child-Tuning's masks) plug in as a per-parameter multiplier on the gradient,
// applied inside the step before the moment updates.

import type { Buf } from '../tensor/backends/kernels.ts';
import { Tensor, alloc } from '../tensor/tensor.ts';
import { kernelsFor } from '../tensor/backend.ts';
import { fail } from '../util/errors.ts';

export interface ParamGroup {
  params: Tensor[];
  /** Overrides the optimizer's weight decay for this group (0 for biases and LayerNorm weights). */
  weightDecay?: number;
  /** Multiplies the scheduled learning rate for this group. */
  lrScale?: number;
}

export interface AdamWConfig {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/** Returns the gradient multiplier for a parameter at this step, or null for none. */
export type GradMaskFn = (p: Tensor, step: number) => Buf | null;

interface State {
  m: Buf;
  v: Buf;
  /** Updates this parameter has had (torch counts per parameter: one skipped without a gradient does not advance). */
  step: number;
}

export class AdamW {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly groups: ParamGroup[];
  step = 0;
  gradMask: GradMaskFn | null = null;
  private readonly state = new Map<Tensor, State>();

  constructor(groups: ParamGroup[] | Tensor[], config: AdamWConfig) {
    this.groups = (groups.length > 0 && groups[0] instanceof Tensor)
      ? [{ params: groups as Tensor[] }]
      : (groups as ParamGroup[]);
    this.lr = config.lr;
    [this.beta1, this.beta2] = config.betas ?? [0.9, 0.999];
    this.eps = config.eps ?? 1e-8;
    this.weightDecay = config.weightDecay ?? 0.01;
    for (const g of this.groups) {
      for (const p of g.params) if (!p.requiresGrad) fail('usage', `AdamW: parameter ${p.name ?? p.toString()} does not train (requiresGrad is false)`);
    }
  }

  params(): Tensor[] {
    return this.groups.flatMap((g) => g.params);
  }

  /** One update of every parameter that has a gradient. */
  stepOnce(): void {
    this.step++;
    for (const g of this.groups) {
      const lr = this.lr * (g.lrScale ?? 1);
      const wd = g.weightDecay ?? this.weightDecay;
      for (const p of g.params) {
        if (!p.grad) continue;
        let s = this.state.get(p);
        if (!s) {
          s = { m: alloc(p.dtype, p.size), v: alloc(p.dtype, p.size), step: 0 };
          this.state.set(p, s);
        }
        const t = ++s.step;
        const bc1 = 1 - this.beta1 ** t, bc2 = 1 - this.beta2 ** t;
        const mask = this.gradMask ? this.gradMask(p, this.step) : null;
        kernelsFor(p.data).adamwStep(p.data, p.grad.data, s.m, s.v, p.size, lr, this.beta1, this.beta2, this.eps, wd, bc1, bc2, mask);
      }
    }
  }

  zeroGrad(): void {
    for (const p of this.params()) p.grad = null;
  }

  /** Moments by parameter, for checkpoints. */
  stateOf(p: Tensor): State | undefined {
    return this.state.get(p);
  }
  setState(p: Tensor, s: State): void {
    if (s.m.length !== p.size || s.v.length !== p.size) fail('checkpoint', `AdamW: saved moments of size ${s.m.length} for a parameter of size ${p.size}`);
    this.state.set(p, s);
  }
}
