// Child-Tuning as a gradient transform on AdamW: the mask multiplies the gradient inside the step,
// before the moments, after global clipping (which the trainer runs on the unmasked gradients), as the
// official ChildTuningAdamW. It only sees [name, tensor] pairs, so it composes with any method.

import type { Tensor } from '../../tensor/tensor.ts';
import type { Buf } from '../../tensor/backends/kernels.ts';
import { kernelsFor } from '../../tensor/backend.ts';
import type { AdamW, DecayMaskFn, GradMaskFn } from '../../optim/adamw.ts';
import { fail } from '../../util/errors.ts';
import { fmt, sameShape } from '../../util/assert.ts';
import { hash32, maskToFloat, type ChildMask } from './mask.ts';

export interface GradientTransform {
  readonly gradMask: GradMaskFn;
  /** Per-element decay multiplier (null: every element decays, the official behaviour). */
  readonly decayMask: DecayMaskFn | null;
  /** The tensors it masks. */
  tensors(): Tensor[];
  /** Plugs the transform into an optimizer (one transform per optimizer). */
  install(opt: AdamW): void;
}

function install(t: GradientTransform, opt: AdamW): void {
  if (opt.gradMask || opt.decayMask) fail('usage', 'Child-Tuning: this optimizer already has a gradient transform installed');
  const inOpt = new Set(opt.params());
  const missing = t.tensors().filter((p) => !inOpt.has(p));
  if (missing.length > 0) fail('usage', `Child-Tuning: ${missing.length} masked tensor(s) are not in the optimizer, e.g. ${missing[0]!.name ?? missing[0]!.toString()}`);
  opt.gradMask = t.gradMask;
  opt.decayMask = t.decayMask;
}

/** The seed of step t's masks: a counter hash of (step, seed), so steps draw independent streams. */
export const stepSeed = (seed: number, step: number): number => hash32(step, seed >>> 0);

/**
 * Child-Tuning_F: at every step, for every element of every given tensor, M ~ Bernoulli(pF) and the
 * gradient becomes grad * M / pF. Element j of tensor k at step t uses the bernoulliMask counter
 * offset_k + j (offset_k = elements of the tensors before it) and seed stepSeed(seed, t), so a run is
 * reproducible and identical on every backend.
 */
export class ChildTuningF implements GradientTransform {
  private readonly offsets = new Map<Tensor, number>();
  private buf = new Float32Array(0);
  readonly decayMask = null;

  constructor(params: readonly (readonly [string, Tensor])[], readonly pF: number, readonly seed: number) {
    if (!(pF > 0 && pF <= 1)) fail('config', `Child-Tuning_F: p_F must be in (0, 1], got ${pF}`);
    let off = 0;
    for (const [, p] of params) {
      this.offsets.set(p, off);
      off = (off + p.size) % 2 ** 32; // the kernel's counter is uint32
    }
  }

  tensors(): Tensor[] {
    return [...this.offsets.keys()];
  }

  /** Writes step `step`'s mask of p (0 or 1/pF) into out (default: a reused buffer, valid until the next call). */
  maskFor(p: Tensor, step: number, out?: Float32Array): Float32Array {
    const off = this.offsets.get(p);
    if (off === undefined) fail('usage', `Child-Tuning_F: ${p.name ?? p.toString()} is not one of the masked tensors`);
    let m = out;
    if (!m) {
      if (this.buf.length < p.size) this.buf = new Float32Array(p.size);
      m = this.buf.subarray(0, p.size);
    }
    kernelsFor(m).bernoulliMask(m, p.size, this.pF, 1 / this.pF, stepSeed(this.seed, step), off);
    return m;
  }

  readonly gradMask: GradMaskFn = (p, step) => {
    if (this.pF === 1 || !this.offsets.has(p)) return null; // p_F = 1 is vanilla fine-tuning
    return this.maskFor(p, step);
  };

  install(opt: AdamW): void {
    install(this, opt);
  }
}

/**
 * A fixed child network (Child-Tuning_D, or an ablation): candidate tensors get their 0/1 mask, every other
 * tensor is fully updated. freezeNonChild also keeps decoupled weight decay off non-child elements, so
 * (their gradient and Adam moments being 0) they never change.
 */
export class FixedChildTuning implements GradientTransform {
  private readonly floats = new Map<Tensor, Float32Array>();
  readonly decayMask: DecayMaskFn | null;

  constructor(params: readonly (readonly [string, Tensor])[], readonly mask: ChildMask, readonly freezeNonChild = false) {
    const byName = new Map(params.map(([n, p]) => [n, p] as const));
    for (const [name, m] of mask) {
      const p = byName.get(name);
      if (!p) fail('checkpoint', `Child-Tuning: the mask has tensor "${name}", which is not among the trainable tensors`);
      if (!sameShape(p.shape, m.shape)) fail('checkpoint', `Child-Tuning: mask of "${name}" has shape ${fmt(m.shape)}, the tensor has ${fmt(p.shape)}`);
      this.floats.set(p, maskToFloat(m));
    }
    this.decayMask = freezeNonChild ? (p) => this.floats.get(p) ?? null : null;
  }

  tensors(): Tensor[] {
    return [...this.floats.keys()];
  }

  readonly gradMask: GradMaskFn = (p): Buf | null => this.floats.get(p) ?? null;

  install(opt: AdamW): void {
    install(this, opt);
  }
}
