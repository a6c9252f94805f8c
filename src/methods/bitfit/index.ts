// BitFit (spec, "BitFit"): every bias of the encoder trains (attention, FFN, LayerNorm biases, the pooler's),
// plus the head; "freeze all, unfreeze /bias$/" (design.md, "Trainability is data").
import type { Module } from '../../nn/index.ts';
import { z } from 'zod';
import { attachedBase, freezeBase, inEncoder, prepare } from '../common.ts';
import type { Attached, MethodDef } from '../types.ts';

export const BitFitConfigSchema = z.strictObject({});
export type BitFitConfig = z.output<typeof BitFitConfigSchema>;

const BIAS = /(^|\.)bias$/;

export const bitfit: MethodDef<typeof BitFitConfigSchema> = {
  name: 'bitfit',
  summary: 'BitFit: every bias term of the encoder trains',
  schema: BitFitConfigSchema,
  attach(model: Module, config: BitFitConfig): Attached<BitFitConfig> {
    const { site, before } = prepare(model, 'bitfit');
    freezeBase(site);
    for (const [name, p] of model.namedParameters()) if (inEncoder(site, name) && BIAS.test(name)) p.requiresGrad = true;
    return attachedBase('bitfit', config, site, before, () => {});
  },
};
