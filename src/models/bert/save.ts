// Save a pelt BERT as a Hugging Face folder: config.json + model.safetensors (F32, metadata format "pt").
// Names are the module paths, so a BertModel saves without "bert." and a head model with it, as
// transformers' save_pretrained does; the tied MLM decoder is not written twice (transformers drops
// shared tensors from safetensors files too and re-ties them on load).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors, type FloatTensorInput } from '../../io/safetensors.ts';
import { fail } from '../../util/errors.ts';
import { writeBertConfig } from './config.ts';
import { BertModel } from './model.ts';
import type { BertForPreTraining, BertForSequenceClassification } from './heads.ts';

export interface SaveBertOptions {
  /** Keep only the parameters whose name passes (e.g. to leave a method's own weights out). */
  filter?: (name: string) => boolean;
}

export function saveBert(model: BertModel | BertForPreTraining | BertForSequenceClassification, dir: string, opts: SaveBertOptions = {}): void {
  mkdirSync(dir, { recursive: true });
  const config = model instanceof BertModel ? model.config : model._config;
  writeBertConfig(dir, { ...config, architectures: [model.constructor.name] });
  const tensors = new Map<string, FloatTensorInput>();
  for (const [name, p] of model.namedParameters()) {
    if (opts.filter && !opts.filter(name)) continue;
    if (!(p.data instanceof Float32Array)) fail('dtype', `saveBert: ${name} is ${p.dtype}; checkpoints are float32`);
    tensors.set(name, { shape: p.shape, data: p.data });
  }
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
}
