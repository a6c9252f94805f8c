// UniPELT's config: which submodules, whether they are gated, and how gates average over tokens.
// Each submodule's own config is its method's schema, so a UniPELT config is the parts' configs.
import { z } from 'zod';
import { AdapterConfigSchema } from '../adapter/config.ts';
import { PrefixConfigSchema } from '../prefix/config.ts';
import { LoraConfigSchema } from '../lora/config.ts';

export const UniPeltConfigSchema = z.strictObject({
  /** Bottleneck adapter (null: none). */
  adapter: AdapterConfigSchema.nullable().prefault({}),
  /** Prefix-tuning (null: none). */
  prefix: PrefixConfigSchema.nullable().prefault({}),
  /** LoRA (null: none). Gated, the gate replaces alpha/r; ungated, LoRA runs at alpha/r. */
  lora: LoraConfigSchema.nullable().prefault({}),
  /** false: UniPELT-NoGate, every gate fixed to 1. */
  gates: z.boolean().default(true),
  /** 'all': mean over every position, padding included (official code); 'masked': over tokens only. */
  gateMean: z.enum(['all', 'masked']).default('all'),
}).refine((c) => c.adapter || c.prefix || c.lora, 'unipelt needs at least one of adapter, prefix, lora');
export type UniPeltConfig = z.output<typeof UniPeltConfigSchema>;

/** The paper's variants. */
export const UNIPELT_PRESETS = {
  /** UniPELT (AP): adapter + prefix, gated. */
  'unipelt-ap': { lora: null },
  /** UniPELT (APL): adapter + prefix + LoRA, gated. */
  'unipelt-apl': {},
  /** UniPELT-NoGate: adapter + prefix + LoRA, every gate 1, LoRA at alpha/r. */
  'unipelt-nogate': { gates: false },
} as const satisfies Record<string, z.input<typeof UniPeltConfigSchema>>;
