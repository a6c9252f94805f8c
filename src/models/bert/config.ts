// Hugging Face BertConfig (transformers' configuration_bert.py + PretrainedConfig), as a zod schema.
//
// Defaults are Hugging Face's, so a sparse config.json means what it means in transformers.
// Unknown keys (transformers_version, torch_dtype, gradient_checkpointing, ...) pass through and
// are saved back. Settings pelt does not implement are refused with the field named rather than
// silently computing something different from the reference.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { fail } from '../../util/errors.ts';
import { writeTextAtomic } from '../../io/atomic.ts';
import { parseWith } from '../../util/schema.ts';

const posInt = z.number().int().positive();
const prob = z.number().min(0).lt(1);

export const PROBLEM_TYPES = ['regression', 'single_label_classification', 'multi_label_classification'] as const;

// The known fields; BertConfigSchema below is the same object that also keeps unknown keys.
const BertConfigFields = z.object({
  model_type: z.string().default('bert'),
  architectures: z.array(z.string()).nullable().optional(),
  vocab_size: posInt.default(30522),
  hidden_size: posInt.default(768),
  num_hidden_layers: posInt.default(12),
  num_attention_heads: posInt.default(12),
  intermediate_size: posInt.default(3072),
  hidden_act: z.string().default('gelu'),
  hidden_dropout_prob: prob.default(0.1),
  attention_probs_dropout_prob: prob.default(0.1),
  max_position_embeddings: posInt.default(512),
  type_vocab_size: posInt.default(2),
  initializer_range: z.number().nonnegative().default(0.02),
  layer_norm_eps: z.number().positive().default(1e-12),
  pad_token_id: z.number().int().nonnegative().nullable().default(0),
  position_embedding_type: z.string().default('absolute'),
  classifier_dropout: prob.nullable().default(null),
  // PretrainedConfig fields that change what the model computes or which head it has.
  num_labels: posInt.optional(),
  id2label: z.record(z.string(), z.string()).optional(),
  label2id: z.record(z.string(), z.number().int().nonnegative()).optional(),
  problem_type: z.enum(PROBLEM_TYPES).nullable().default(null),
  is_decoder: z.boolean().default(false),
  add_cross_attention: z.boolean().default(false),
  tie_word_embeddings: z.boolean().default(true),
});
export const BertConfigSchema = BertConfigFields.loose();

/** A validated config: HF defaults filled in, labels made consistent, extra keys kept. */
export type BertConfig = Omit<z.output<typeof BertConfigFields>, 'num_labels' | 'id2label' | 'label2id'> & {
  num_labels: number; // always len(id2label), as in transformers
  id2label: Record<string, string>; // JSON keys: "0".."n-1"
  label2id: Record<string, number>;
  [extra: string]: unknown; // keys transformers writes that pelt does not use, kept for saving
};

export function parseBertConfig(json: unknown, source: string): BertConfig {
  const bad = (field: string, problem: string): never => fail('config', `${source}: ${field}: ${problem}`);
  const c = parseWith(BertConfigSchema, json, source);

  if (c.model_type !== 'bert') bad('model_type', `"${c.model_type}" is not supported; pelt loads "bert" models`);
  if (c.position_embedding_type !== 'absolute') {
    bad('position_embedding_type', `"${c.position_embedding_type}" is not supported; pelt implements "absolute" (learned) positions only`);
  }
  // transformers' "gelu" is the exact erf form; tanh approximations would change every output.
  if (c.hidden_act !== 'gelu') bad('hidden_act', `"${c.hidden_act}" is not supported; pelt implements "gelu" (erf) only`);
  if (c.is_decoder) bad('is_decoder', 'true is not supported; pelt implements the BERT encoder only');
  if (c.add_cross_attention) bad('add_cross_attention', 'true is not supported; pelt implements the BERT encoder only');
  if (c.hidden_size % c.num_attention_heads !== 0) {
    bad('hidden_size', `${c.hidden_size} is not a multiple of num_attention_heads (${c.num_attention_heads})`);
  }
  if (c.pad_token_id !== null && c.pad_token_id >= c.vocab_size) {
    bad('pad_token_id', `${c.pad_token_id} is outside the vocabulary (vocab_size ${c.vocab_size})`);
  }

  // Labels as PretrainedConfig derives them: id2label wins; otherwise LABEL_0..LABEL_{n-1}.
  let id2label: Record<string, string>;
  if (c.id2label) {
    const ids = Object.keys(c.id2label);
    ids.forEach((k) => {
      if (!/^(0|[1-9]\d*)$/.test(k) || Number(k) >= ids.length) bad('id2label', `key "${k}" is not an id in 0..${ids.length - 1}`);
    });
    if (c.num_labels !== undefined && c.num_labels !== ids.length) {
      bad('num_labels', `${c.num_labels} does not match id2label, which has ${ids.length} labels`);
    }
    id2label = Object.fromEntries(ids.map((_, i) => [String(i), c.id2label![String(i)]!]));
  } else {
    id2label = Object.fromEntries(Array.from({ length: c.num_labels ?? 2 }, (_, i) => [String(i), `LABEL_${i}`]));
  }
  // label2id is kept as given: published configs sometimes carry a stale one, and pelt reads id2label.
  const label2id = c.label2id ?? Object.fromEntries(Object.entries(id2label).map(([id, label]) => [label, Number(id)]));
  if (c.problem_type === 'regression' && Object.keys(id2label).length !== 1) {
    bad('problem_type', `"regression" needs num_labels 1, not ${Object.keys(id2label).length}`);
  }
  return { ...c, num_labels: Object.keys(id2label).length, id2label, label2id };
}

export function readBertConfig(dir: string): BertConfig {
  const path = join(dir, 'config.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return fail('config', `${path}: cannot read: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail('config', `${path}: not valid JSON: ${(err as Error).message}`);
  }
  return parseBertConfig(json, path);
}

/**
 * The config as Hugging Face writes config.json: keys sorted, num_labels left out (transformers
 * derives it from id2label), extra keys kept.
 */
export function bertConfigToJson(config: BertConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(config).sort()) {
    if (key === 'num_labels') continue;
    const value = (config as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

export function writeBertConfig(dir: string, config: BertConfig): void {
  writeTextAtomic(join(dir, 'config.json'), `${JSON.stringify(bertConfigToJson(config), null, 2)}\n`);
}
