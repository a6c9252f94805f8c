// AdamW with decoupled weight decay over parameter groups: torch.optim.AdamW semantics, or (variant
// 'hf') the older transformers.AdamW that Child-Tuning's official ChildTuningAdamW extends.
// Gradient transforms (Child-Tuning's masks) plug in as a per-parameter multiplier on the gradient,
// applied inside the step before the moment updates, and optionally as a per-element decay mask.

import { BinOp, type Buf } from '../tensor/backends/kernels.ts';
import { Tensor, alloc } from '../tensor/tensor.ts';
import { kernelsFor } from '../tensor/backend.ts';
import { releaseGrad } from '../tensor/autograd.ts';
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
  /**
   * 'torch' (default): torch.optim.AdamW, decay p *= 1 - lr*wd before the update, eps added to sqrt(v / bc2).
   * 'hf': transformers.AdamW (correct_bias=True), as ChildTuningAdamW: eps added to sqrt(v) before the
   * bias correction, decay p -= lr*wd*p after the update.
   */
  variant?: 'torch' | 'hf';
}

/** Returns the gradient multiplier for a parameter at this step, or null for none. */
export type GradMaskFn = (p: Tensor, step: number) => Buf | null;
/** Returns a per-element weight-decay multiplier (1 = decay, 0 = none) for a parameter, or null to decay every element. */
export type DecayMaskFn = (p: Tensor) => Buf | null;

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
  readonly variant: 'torch' | 'hf';
  readonly groups: ParamGroup[];
  step = 0;
  gradMask: GradMaskFn | null = null;
  decayMask: DecayMaskFn | null = null;
  private readonly state = new Map<Tensor, State>();
  private scratch: Float32Array = new Float32Array(0);

  constructor(groups: ParamGroup[] | Tensor[], config: AdamWConfig) {
    this.groups = (groups.length > 0 && groups[0] instanceof Tensor)
      ? [{ params: groups as Tensor[] }]
      : (groups as ParamGroup[]);
    this.lr = config.lr;
    [this.beta1, this.beta2] = config.betas ?? [0.9, 0.999];
    this.eps = config.eps ?? 1e-8;
    this.weightDecay = config.weightDecay ?? 0.01;
    this.variant = config.variant ?? 'torch';
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
        const decay = wd !== 0 && this.decayMask ? this.decayMask(p) : null;
        const k = kernelsFor(p.data);
        let kLr = lr, kWd = decay ? 0 : wd, kEps = this.eps;
        if (this.variant === 'hf') {
          // lr*sqrt(bc2)/bc1 * m / (sqrt(v) + eps) is the torch kernel's formula with eps / sqrt(bc2);
          // (p - u) * (1 - lr*wd) is its decay-first step with lr' = lr*(1 - lr*wd), wd' = lr*wd / lr'.
          kEps = this.eps / Math.sqrt(bc2);
          if (!decay && wd !== 0 && lr * wd < 1) {
            kLr = lr * (1 - lr * wd);
            kWd = (lr * wd) / kLr;
          }
        }
        if (decay && this.variant === 'torch') this.maskedDecay(p.data, decay, lr * wd);
        k.adamwStep(p.data, p.grad.data, s.m, s.v, p.size, kLr, this.beta1, this.beta2, kEps, kWd, bc1, bc2, mask);
        if (decay && this.variant === 'hf') this.maskedDecay(p.data, decay, lr * wd);
      }
    }
  }

  /** p *= 1 - rate * decay, elementwise (decay holds 0 or 1): decoupled decay on some elements only. */
  private maskedDecay(p: Buf, decay: Buf, rate: number): void {
    const n = p.length;
    if (p instanceof Float32Array && this.scratch.length < 2 * n) this.scratch = new Float32Array(2 * n);
    // two scratch halves: the kernels take no aliased outputs
    const f = p instanceof Float64Array ? new Float64Array(n) : this.scratch.subarray(0, n);
    const out = p instanceof Float64Array ? new Float64Array(n) : this.scratch.subarray(n, 2 * n);
    const k = kernelsFor(p);
    k.affine(decay, -rate, 1, f, n); // 1 - rate * decay
    k.binary(BinOp.Mul, p, 0, [1], f, 0, [1], out, [n]);
    p.set(out);
  }

  /**
   * Clears every parameter's gradient (p.grad = null, as torch's set_to_none). The buffers are kept
   * for the next backward to overwrite (releaseGrad), so a gradient tensor read before this call
   * changes with the next backward: copy it to keep it.
   */
  zeroGrad(): void {
    for (const p of this.params()) releaseGrad(p);
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
