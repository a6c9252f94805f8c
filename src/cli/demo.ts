// `pelt demo` (the README's main job): UniPELT (APL) and full fine-tuning on SST-2 with K = 1000 training
// examples under the UniPELT low-resource protocol, then both test accuracies side by side. Defaults to
// the shipped ../shared/models/pelt-bert-mini and ../shared/data; elsewhere the same-shaped
// google/bert_uncased_L-4_H-256_A-4 and GLUE from the Hugging Face Hub.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseTrainConfig } from '../train/config.ts';
import { defaultDataDirs } from '../train/data.ts';
import { runTraining, type RunResults } from '../train/trainer.ts';
import { sharedDir } from './paths.ts';

const HUB_MODEL = 'google/bert_uncased_L-4_H-256_A-4';

const HELP = `pelt demo [--model DIR|NAME] [--k K] [--epochs E] [--methods unipelt-apl,full] [--output DIR] [--json]
Trains each method on SST-2 (K training examples, 1,000 dev examples for model selection, the GLUE dev
set as test; UniPELT protocol) and prints the test accuracies side by side. Runs resume when interrupted.
Defaults: the shipped pelt-bert-mini (else ${HUB_MODEL} from the Hub), K 1000, 3 epochs, runs/demo.`;

export async function run(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, k: { type: 'string', default: '1000' }, epochs: { type: 'string', default: '3' },
      methods: { type: 'string', default: 'unipelt-apl,full' }, output: { type: 'string', default: join('runs', 'demo') },
      'data-seed': { type: 'string', default: '111' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  const shipped = join(sharedDir(), 'models', 'pelt-bert-mini');
  const model = v.model ?? (existsSync(join(shipped, 'model.safetensors')) ? shipped : HUB_MODEL);
  const dataDirs = defaultDataDirs(sharedDir());
  const results: RunResults[] = [];
  for (const method of v.methods.split(',').map((m) => m.trim())) {
    const config = parseTrainConfig({
      model, task: 'SST-2', protocol: 'unipelt-low-resource', k: Number(v.k), dataSeed: Number(v['data-seed']),
      method, epochs: Number(v.epochs), output: join(v.output, `sst2-k${v.k}-${method}`),
    }, 'demo');
    results.push(await runTraining(config, { dataDirs, log: (s) => process.stderr.write(`[${method}] ${s}\n`) }));
  }
  if (v.json) {
    console.log(JSON.stringify(results.map((r) => ({ method: r.method, accuracy: r.test.accuracy, trainable: r.params.trainable, percent: r.params.trainablePercent, seconds: r.seconds, output: r.output })), null, 2));
    return 0;
  }
  console.log(`\nSST-2, K = ${v.k} (UniPELT low-resource protocol, data seed ${v['data-seed']}), ${model.split(/[\\/]/).pop()}, test = GLUE dev (872)`);
  console.log('| method | test accuracy | trainable params | train time |');
  console.log('|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.method} | ${(100 * r.test.accuracy!).toFixed(2)}% | ${r.params.trainable.toLocaleString('en-US')} (${r.params.trainablePercent.toFixed(2)}%) | ${r.seconds.toFixed(0)} s |`);
  }
  return 0;
}
