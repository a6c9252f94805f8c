// Prefix-tuning config. The spec's defaults: P = 10 prefixes, reparameterized by an MLP of width 512.
import { z } from 'zod';

export const PrefixConfigSchema = z.strictObject({
  /** P, the number of key/value prefixes per layer (PEFT: num_virtual_tokens). */
  prefixLength: z.number().int().positive().default(10),
  /**
   * true: prefixes come from the reparameterization MLP E -> Linear(H, mlpWidth) -> tanh -> Linear(mlpWidth, L*2*H)
   * (PEFT: prefix_projection). false: the L*2*H values per prefix train (or are loaded) directly: the form of
   * an exported prefix adapter and of PEFT's inference-mode prefix encoder.
   */
  projection: z.boolean().default(true),
  /** Width of the MLP's hidden layer (PEFT: encoder_hidden_size). */
  mlpWidth: z.number().int().positive().default(512),
});
export type PrefixConfig = z.output<typeof PrefixConfigSchema>;
