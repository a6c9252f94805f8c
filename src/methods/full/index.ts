// Full fine-tuning: every parameter trains. The baseline the efficiency table is measured against.
import type { Module } from '../../nn/index.ts';
import { z } from 'zod';
import { attachedBase, prepare } from '../common.ts';
import type { Attached, MethodDef } from '../types.ts';

export const FullConfigSchema = z.strictObject({});
export type FullConfig = z.output<typeof FullConfigSchema>;

export const full: MethodDef<typeof FullConfigSchema> = {
  name: 'full',
  summary: 'full fine-tuning: every weight trains',
  schema: FullConfigSchema,
  attach(model: Module, config: FullConfig): Attached<FullConfig> {
    const { site, before } = prepare(model, 'full');
    for (const p of model.parameters()) p.requiresGrad = true;
    return attachedBase('full', config, site, before, () => {});
  },
};
