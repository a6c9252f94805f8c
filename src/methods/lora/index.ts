// LoRA as a method of its own: the target projections get LoRA pairs, the head trains, the rest is frozen.
// Merges into the base weights (and unmerges exactly); saves in PEFT's layout (../peft.ts).
import type { Module } from '../../nn/index.ts';
import { Rng } from '../../util/rng.ts';
import { attachedBase, freezeBase, prepare } from '../common.ts';
import type { Attached, AttachOptions, MethodDef } from '../types.ts';
import { LoraConfigSchema, type LoraConfig } from './config.ts';
import { attachLora, type LoraPiece } from './lora.ts';

export { LoraConfigSchema, loraScaling, type LoraConfig } from './config.ts';
export { LoraModule, attachLora, type LoraPiece, type LoraPieceOptions } from './lora.ts';

export interface LoraAttached extends Attached<LoraConfig> {
  /** alpha / r (or alpha / sqrt(r) with rslora): the factor of x A^T B^T. */
  readonly scaling: number;
  readonly piece: LoraPiece;
}

export const lora: MethodDef<typeof LoraConfigSchema> = {
  name: 'lora',
  summary: 'LoRA: y = x W^T + b + (alpha/r) x A^T B^T on the target projections (default query, value)',
  schema: LoraConfigSchema,
  attach(model: Module, config: LoraConfig, opts: AttachOptions = {}): LoraAttached {
    const { site, before } = prepare(model, 'lora');
    freezeBase(site);
    const piece = attachLora(site, config, new Rng(opts.seed ?? 42));
    return {
      ...attachedBase('lora', config, site, before, () => piece.detach()),
      scaling: piece.scaling,
      piece,
      merge: () => piece.merge(),
      unmerge: () => piece.unmerge(),
      isMerged: () => piece.isMerged(),
    };
  },
};
