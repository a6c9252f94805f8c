// Bottleneck adapter config. Pfeiffer placement (one adapter after the FFN) is the spec's default;
// Houlsby adds one after attention and, as AdapterHub's HoulsbyConfig, reads the sublayer output directly.
import { z } from 'zod';

export const ADAPTER_PLACEMENTS = ['pfeiffer', 'houlsby'] as const;

export const AdapterConfigSchema = z.strictObject({
  placement: z.enum(ADAPTER_PLACEMENTS).default('pfeiffer'),
  /** Bottleneck size = floor(H / reductionFactor): 48 for BERT-base at 16 (AdapterHub: reduction_factor). */
  reductionFactor: z.number().int().positive().default(16),
  /** Activation between down and up; default relu for pfeiffer, swish for houlsby (AdapterHub's configs). */
  nonLinearity: z.enum(['relu', 'swish']).optional(),
}).transform((c) => ({ ...c, nonLinearity: c.nonLinearity ?? (c.placement === 'houlsby' ? 'swish' as const : 'relu' as const) }));
export type AdapterConfig = z.output<typeof AdapterConfigSchema>;
