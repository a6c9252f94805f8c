// Load a Hugging Face BERT folder (config.json + model.safetensors) into a pelt model, strictly by name.
//
// Key handling follows transformers' from_pretrained:
// - base_model_prefix "bert": a head model (BertForSequenceClassification, BertForPreTraining) reads a
//   checkpoint saved without the prefix (a BertModel) by adding "bert."; a BertModel reads a head
//   checkpoint by stripping "bert." (the heads' weights are then unexpected).
// - tied aliases (cls.predictions.decoder.{weight,bias}) and the old position_ids buffer are accepted and skipped.
// - Missing head weights (a fresh classifier, or a pooler absent from an MLM checkpoint) are newly
//   initialized and announced on one stderr line; a missing encoder or embedding weight is an error.
// - Unexpected weights of other heads (cls.* when fine-tuning) are returned, not printed; an unexpected
//   encoder weight (a config that does not match the checkpoint) is an error.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../../io/safetensors.ts';
import { resolveModelDir, type ResolveOptions } from '../../io/hub.ts';
import { fail } from '../../util/errors.ts';
import { fmt, sameShape } from '../../util/assert.ts';
import { Rng } from '../../util/rng.ts';
import { normal_, withoutInit } from '../../nn/index.ts';
import { readBertConfig, type BertConfig } from './config.ts';
import { BertModel } from './model.ts';
import { BertForPreTraining, BertForSequenceClassification } from './heads.ts';

export type BertTask = 'base' | 'pretraining' | 'sequence-classification';
export type BertModelFor<T extends BertTask> = T extends 'pretraining'
  ? BertForPreTraining
  : T extends 'sequence-classification'
    ? BertForSequenceClassification
    : BertModel;

export interface LoadBertOptions<T extends BertTask> {
  task: T;
  /** Classification labels (sequence-classification); default config.num_labels. 1 = regression. */
  numLabels?: number;
  /** Seed of the initialization of weights the checkpoint lacks (heads). Default 0. */
  seed?: number;
  /** No stderr announcement of newly initialized weights. */
  quiet?: boolean;
  hub?: ResolveOptions;
}

export interface LoadReport {
  /** Model weights the checkpoint lacked, all newly initialized (missing required weights throw instead). */
  newlyInitialized: string[];
  /** Checkpoint tensors the model has no use for (e.g. pretraining heads when fine-tuning), by checkpoint name. */
  unexpected: string[];
}

export interface LoadedBert<T extends BertTask> {
  model: BertModelFor<T>;
  config: BertConfig;
  dir: string;
  report: LoadReport;
}

const PREFIX = 'bert.';
const TIED = ['cls.predictions.decoder.weight', 'cls.predictions.decoder.bias'];
const IGNORED = /(^|\.)embeddings\.position_ids$/;

/** From a local folder or a Hub repo id (downloaded into the Hugging Face cache). */
export async function loadBert<T extends BertTask>(dirOrName: string, opts: LoadBertOptions<T>): Promise<LoadedBert<T>> {
  return loadBertFromDir(await resolveModelDir(dirOrName, opts.hub), opts);
}

export function loadBertFromDir<T extends BertTask>(dir: string, opts: LoadBertOptions<T>): LoadedBert<T> {
  const config = withLabels(readBertConfig(dir), opts.numLabels);
  const rng = new Rng(opts.seed ?? 0);
  // Random init is skipped for what the checkpoint overwrites (it costs more than reading the file).
  const model = withoutInit(() => (opts.task === 'pretraining'
    ? new BertForPreTraining(config, rng.fork())
    : opts.task === 'sequence-classification'
      ? new BertForSequenceClassification(config, rng.fork())
      : new BertModel(config, rng.fork()))) as BertModelFor<T>;
  const file = join(dir, 'model.safetensors');
  if (!existsSync(file)) {
    const other = ['pytorch_model.bin', 'model.safetensors.index.json', 'tf_model.h5'].filter((f) => existsSync(join(dir, f)));
    fail('checkpoint', `${file}: not found${other.length ? ` (the folder has ${other.join(', ')}, which pelt does not read; convert it to a single model.safetensors)` : ''}`);
  }
  const report = loadWeights(model, file, config);
  // transformers' _init_weights for what was not loaded: normal(0, initializer_range); biases 0, LayerNorm 1 as built
  const params = new Map(model.namedParameters());
  const initRng = rng.fork();
  for (const name of report.newlyInitialized) {
    if (!name.endsWith('bias') && !name.includes('LayerNorm.')) normal_(params.get(name)!, initRng, config.initializer_range);
  }
  if (report.newlyInitialized.length > 0 && !opts.quiet) {
    process.stderr.write(`pelt: some weights of ${model.constructor.name} were not in ${file} and are newly initialized: ${report.newlyInitialized.join(', ')}; train the model on a down-stream task before using it for predictions\n`);
  }
  return { model, config, dir, report };
}

function withLabels(config: BertConfig, numLabels: number | undefined): BertConfig {
  if (numLabels === undefined || numLabels === config.num_labels) return config;
  if (!Number.isInteger(numLabels) || numLabels < 1) fail('usage', `numLabels must be a positive integer, got ${numLabels}`);
  if (config.problem_type === 'regression' && numLabels !== 1) fail('config', `problem_type: "regression" needs num_labels 1, not ${numLabels}`);
  const id2label = Object.fromEntries(Array.from({ length: numLabels }, (_, i) => [String(i), `LABEL_${i}`]));
  const label2id = Object.fromEntries(Object.entries(id2label).map(([id, label]) => [label, Number(id)]));
  return { ...config, num_labels: numLabels, id2label, label2id };
}

type Loadable = BertModel | BertForPreTraining | BertForSequenceClassification;

/** Copy a checkpoint into `model` by name; throws on a missing required or ill-shaped weight. */
export function loadWeights(model: Loadable, file: string, config: BertConfig): LoadReport {
  const ckpt = readSafetensors(file);
  const own = new Map(model.namedParameters());
  const isBase = model instanceof BertModel;
  const fromCkpt = [...ckpt.tensors.keys(), ...ckpt.other.keys()];
  const ckptHasPrefix = fromCkpt.some((k) => k.startsWith(PREFIX));
  // checkpoint name -> model name, as transformers adds or strips base_model_prefix
  const rename = (k: string): string => {
    if (isBase) return ckptHasPrefix && k.startsWith(PREFIX) ? k.slice(PREFIX.length) : k;
    return ckptHasPrefix || own.has(k) ? k : PREFIX + k;
  };
  const state = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  const unexpected: string[] = [];
  const V = config.vocab_size, H = config.hidden_size;
  for (const key of fromCkpt) {
    const name = rename(key);
    const t = ckpt.tensors.get(key);
    if (IGNORED.test(name)) continue;
    if (!isBase && TIED.includes(name)) {
      // tied to the word embeddings / cls.predictions.bias, which are loaded under their own names
      const want = name.endsWith('weight') ? [V, H] : [V];
      if (!own.has('cls.predictions.bias')) unexpected.push(key);
      else if (!t || !sameShape(t.shape, want)) fail('checkpoint', `${file}: ${key}: checkpoint has shape ${fmt(t?.shape ?? ckpt.other.get(key)!.shape)}, model expects ${fmt(want)}`);
      continue;
    }
    if (!own.has(name)) {
      unexpected.push(key);
      continue;
    }
    if (!t) fail('checkpoint', `${file}: ${key} has dtype ${ckpt.other.get(key)!.dtype}; model weights must be F32, F16, BF16 or F64`);
    state.set(name, t);
  }
  const encoderPrefix = isBase ? '' : PREFIX;
  const strayEncoder = unexpected.filter((k) => rename(k).startsWith(encoderPrefix + 'encoder.') || rename(k).startsWith(encoderPrefix + 'embeddings.'));
  if (strayEncoder.length > 0) {
    fail('checkpoint', `${file}: the checkpoint has encoder weights the model does not: ${list(strayEncoder)}; does config.json match the checkpoint?`);
  }
  try {
    model.loadStateDict(state);
  } catch (err) {
    if (err instanceof Error) err.message = `${file}: ${err.message}`;
    throw err;
  }
  const missing = [...own.keys()].filter((k) => !state.has(k));
  const required = missing.filter((k) => k.startsWith(encoderPrefix + 'encoder.') || k.startsWith(encoderPrefix + 'embeddings.'));
  if (required.length > 0) fail('checkpoint', `${file}: missing weight(s) for ${model.constructor.name}: ${list(required)}`);
  return { newlyInitialized: missing, unexpected };
}

function list(names: string[]): string {
  return names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`;
}
