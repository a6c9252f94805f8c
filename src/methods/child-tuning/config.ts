// Child-Tuning's settings as a zod schema: one source of the type and the runtime check.
// Defaults are the official run.sh / ChildTuningD.py values (../shared/docs/child-tuning-spec.md).

import { z } from 'zod';
import { parseWith } from '../../util/schema.ts';

const prob = z.number().gt(0).max(1);

export const ChildTuningConfigSchema = z
  .object({
    /** F: a fresh Bernoulli(p_F) mask every step (task-free); D: a fixed child network from the Fisher (task-driven). */
    mode: z.enum(['F', 'D']),
    p_F: prob.default(0.3), // official reserve_p
    p_D: prob.default(0.3),
    /** Seeds F's masks and the random-child ablation (uint32). */
    seed: z.number().int().min(0).max(0xffffffff).default(42),
    /**
     * D only. false (official): decoupled weight decay still shrinks non-child weights. true: non-child
     * elements are exactly frozen (no gradient, no decay), the paper's wording.
     */
    freezeNonChild: z.boolean().default(false),
    /** D only. The paper's ablations: a random fixed child network of the same size, or the lowest-Fisher one. */
    ablation: z.enum(['random', 'lowest-fisher']).nullable().default(null),
    /** D: tensors whose name contains this are candidates; all others are always fully updated. */
    candidates: z.string().min(1).default('encoder.layer'),
    /** D's Fisher pass: batch size (official per_device_train_batch_size 16) and per-tensor clip (max_grad_norm 1.0). */
    fisherBatchSize: z.number().int().positive().default(16),
    fisherMaxGradNorm: z.number().positive().default(1.0),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.mode === 'F' && c.freezeNonChild) {
      ctx.addIssue({ code: 'custom', path: ['freezeNonChild'], message: 'applies to mode "D" only (F draws a new child network every step, and masked elements still move through Adam momentum)' });
    }
    if (c.mode === 'F' && c.ablation !== null) {
      ctx.addIssue({ code: 'custom', path: ['ablation'], message: 'applies to mode "D" only (the ablations are fixed child networks)' });
    }
  });

export type ChildTuningConfig = z.output<typeof ChildTuningConfigSchema>;
export type ChildTuningConfigInput = z.input<typeof ChildTuningConfigSchema>;

/** Validates a config (from JSON, the CLI or code); the error names the source and the field. */
export function parseChildTuningConfig(json: unknown, source = 'child-tuning config'): ChildTuningConfig {
  return parseWith(ChildTuningConfigSchema, json, source);
}
