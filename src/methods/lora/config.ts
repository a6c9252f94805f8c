// LoRA's config. Defaults are the official UniPELT code's: r = 8, alpha = 16, so alpha/r = 2
// (the paper's "alpha = 2" is the same factor). PEFT's default lora_alpha is 8 (factor 1): pelt
// writes the factor's parts explicitly into every saved config.
import { z } from 'zod';
import { PROJECTIONS } from '../../models/hooks.ts';

export const LoraConfigSchema = z.strictObject({
  /** Rank r of A [r, in] and B [out, r] (PEFT: r). */
  r: z.number().int().positive().default(8),
  /** Scaling numerator: the update is (alpha / r) x A^T B^T (PEFT: lora_alpha). */
  alpha: z.number().positive().default(16),
  /** Projections of every layer that get a LoRA pair (PEFT: target_modules). The paper's figure shows query and key; the code uses query and value. */
  targets: z.array(z.enum(PROJECTIONS)).min(1).default(['query', 'value'])
    .refine((t) => new Set(t).size === t.length, 'targets must not repeat'),
  /** Dropout on the LoRA input during training (PEFT: lora_dropout). The spec has none. */
  dropout: z.number().min(0).lt(1).default(0),
  /** Rank-stabilized scaling alpha / sqrt(r) instead of alpha / r (PEFT: use_rslora). */
  rslora: z.boolean().default(false),
});
export type LoraConfig = z.output<typeof LoraConfigSchema>;

/** The factor multiplying x A^T B^T when there is no gate. */
export function loraScaling(c: Pick<LoraConfig, 'r' | 'alpha' | 'rslora'>): number {
  return c.alpha / (c.rslora ? Math.sqrt(c.r) : c.r);
}
