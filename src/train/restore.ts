// A finished run folder back in memory: its resolved config, label space, tokenizer, and the base model
// with the trained adapter (or the fully fine-tuned model) loaded, ready to evaluate or predict.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabelSpace } from '../data/examples.ts';
import { numLabels } from '../data/examples.ts';
import { resolveModelDir } from '../io/hub.ts';
import { loadAdapter } from '../methods/checkpoint.ts';
import type { Attached } from '../methods/types.ts';
import type { BertForSequenceClassification } from '../models/bert/heads.ts';
import { loadBertFromDir } from '../models/bert/load.ts';
import { BertTokenizer } from '../tokenizers/bert.ts';
import { fail } from '../util/errors.ts';
import type { ResolvedTrainConfig } from './config.ts';

export interface LoadedRun {
  config: ResolvedTrainConfig;
  labels: LabelSpace;
  model: BertForSequenceClassification;
  attached: Attached | null;
  tokenizer: BertTokenizer;
}

export async function loadRun(runDir: string): Promise<LoadedRun> {
  const read = (f: string) => {
    const p = join(runDir, f);
    if (!existsSync(p)) fail('usage', `${runDir} is not a finished pelt run (no ${f})`);
    return JSON.parse(readFileSync(p, 'utf8'));
  };
  read('results.json');
  const config = read('config.json') as ResolvedTrainConfig;
  const labels = read('labels.json') as LabelSpace;
  const full = existsSync(join(runDir, 'model'));
  const baseDir = full ? join(runDir, 'model') : await resolveModelDir(config.model);
  const { model } = loadBertFromDir(baseDir, { task: 'sequence-classification', numLabels: numLabels(labels), seed: config.seed, quiet: true });
  const attached = full ? null : loadAdapter(model, join(runDir, 'adapter'), { seed: config.seed });
  model.eval();
  return { config, labels, model, attached, tokenizer: BertTokenizer.fromFolder(await resolveModelDir(config.model)) };
}
