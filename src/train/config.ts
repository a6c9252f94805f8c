// The typed config of one training run (`pelt train`, or a JSON file validated the same way; unknown
// keys are rejected). Fields left out are filled from the protocol preset, then from the defaults here;
// the fully resolved config is what the run folder records.
import { z } from 'zod';
import { fail } from '../util/errors.ts';
import { parseWith } from '../util/schema.ts';

export const UserDataSchema = z.strictObject({
  train: z.string(),
  dev: z.string().optional(),
  test: z.string().optional(),
  text: z.string().default('sentence'),
  pair: z.string().optional(),
  label: z.string().default('label'),
  format: z.enum(['tsv', 'csv', 'jsonl']).optional(),
  regression: z.boolean().optional(),
});

export const TrainConfigSchema = z.strictObject({
  /** A Hugging Face folder or Hub id. */
  model: z.string(),
  /** A GLUE task (../shared/data layout or the Hub) ... */
  task: z.string().optional(),
  /** ... or the user's own files. */
  data: UserDataSchema.optional(),
  /** Folders searched for GLUE data (default: ../shared/data when present). */
  dataDirs: z.array(z.string()).optional(),
  protocol: z.enum(['unipelt-low-resource', 'unipelt-full', 'child-tuning', 'child-tuning-1k']).optional(),
  /** Low-resource K (UniPELT protocol). */
  k: z.number().int().positive().optional(),
  dataSeed: z.number().int().nonnegative().optional(),
  devSize: z.number().int().positive().optional(),
  /** Training seed: method init, head init, dropout, batch order. */
  seed: z.number().int().nonnegative().optional(),
  method: z.string().default('full'),
  methodConfig: z.record(z.string(), z.unknown()).default({}),
  /** Child-Tuning options (see src/methods/child-tuning/config.ts); absent = off. */
  childTuning: z.record(z.string(), z.unknown()).optional(),
  epochs: z.number().int().positive().optional(),
  batchSize: z.number().int().positive().optional(),
  lr: z.number().positive().optional(),
  maxLength: z.number().int().min(8).max(512).optional(),
  padding: z.enum(['longest', 'max_length']).optional(),
  warmupRatio: z.number().min(0).max(1).optional(),
  weightDecay: z.number().min(0).optional(),
  maxGradNorm: z.number().positive().optional(),
  /** Evaluations without improvement before stopping; null = never stop early. */
  patience: z.number().int().positive().nullable().optional(),
  /** Evaluate (and checkpoint) every epoch, or every N optimizer steps. */
  evalEvery: z.union([z.literal('epoch'), z.number().int().positive()]).optional(),
  /** Which checkpoint gives the test number. */
  report: z.enum(['best', 'last']).optional(),
  /** Stop after this many optimizer steps (for smoke tests; the schedule still spans all epochs). */
  maxSteps: z.number().int().positive().optional(),
  /** The run folder. */
  output: z.string(),
});

export type TrainConfigInput = z.input<typeof TrainConfigSchema>;
export type TrainConfig = z.output<typeof TrainConfigSchema>;

/** Every knob decided: what a run actually used. */
export interface ResolvedTrainConfig extends TrainConfig {
  protocol: NonNullable<TrainConfig['protocol']>;
  dataSeed: number;
  seed: number;
  epochs: number;
  batchSize: number;
  lr: number;
  maxLength: number;
  padding: 'longest' | 'max_length';
  warmupRatio: number;
  weightDecay: number;
  maxGradNorm: number;
  patience: number | null;
  evalEvery: 'epoch' | number;
  report: 'best' | 'last';
}

export function parseTrainConfig(json: unknown, source = 'train config'): TrainConfig {
  const c = parseWith(TrainConfigSchema, json, source);
  if (!c.task === !c.data) fail('config', `${source}: give either "task" (a GLUE task) or "data" (your own files), not ${c.task ? 'both' : 'neither'}`);
  return c;
}
