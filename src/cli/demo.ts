// `pelt demo`: fine-tunes a shipped BERT on a slice of SST-2 with the engine and prints the loss
// falling and the dev accuracy before and after. The stand-in main job until `pelt train` lands.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { loadBert } from '../models/bert/load.ts';
import { BertTokenizer } from '../tokenizers/bert.ts';
import { AdamW } from '../optim/adamw.ts';
import { clipGradNorm } from '../optim/clip.ts';
import { linearWarmupDecay } from '../optim/schedule.ts';
import { noDecay } from '../nn/module.ts';
import { noGrad } from '../tensor/autograd.ts';
import { backendName } from '../tensor/backend.ts';
import { readTsv, column } from '../data/tsv.ts';
import { Rng } from '../util/rng.ts';
import { fail } from '../util/errors.ts';
import { sharedDir } from './paths.ts';

const HELP = `pelt demo [--model DIR] [--train N] [--epochs E] [--batch B] [--lr LR] [--max-length T] [--seed S]
Fine-tunes every weight of a BERT checkpoint on the first N SST-2 training sentences and reports dev accuracy.
Defaults: --model <shared>/models/pelt-bert-mini, --train 2000, --epochs 2, --batch 16, --lr 1e-4, --max-length 64.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, train: { type: 'string', default: '2000' }, epochs: { type: 'string', default: '2' },
      batch: { type: 'string', default: '16' }, lr: { type: 'string', default: '1e-4' }, 'max-length': { type: 'string', default: '64' },
      seed: { type: 'string', default: '42' }, data: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const modelDir = values.model ?? join(sharedDir(), 'models', 'pelt-bert-mini');
  const dataDir = values.data ?? join(sharedDir(), 'data', 'glue', 'SST-2');
  if (!existsSync(join(dataDir, 'train.tsv'))) fail('usage', `demo: no SST-2 data at ${dataDir} (pass --data DIR with train.tsv and dev.tsv)`);
  const [nTrain, epochs, batch, lr, maxLength, seed] = [values.train, values.epochs, values.batch, values.lr, values['max-length'], values.seed].map(Number) as number[];

  const read = (file: string) => {
    const path = join(dataDir, file);
    const t = readTsv(path);
    const s = column(t, 'sentence', path), l = column(t, 'label', path);
    return t.rows.map((r) => ({ text: r[s]!, label: Number(r[l]) }));
  };
  const train = read('train.tsv').slice(0, nTrain!);
  const dev = read('dev.tsv');
  const tok = BertTokenizer.fromFolder(modelDir);
  const { model } = await loadBert(modelDir, { task: 'sequence-classification', numLabels: 2, seed: seed!, quiet: true });
  console.log(`pelt demo: ${modelDir.split(/[\\/]/).pop()} on SST-2 (${train.length} train, ${dev.length} dev), backend ${backendName()}`);

  const evaluate = () => noGrad(() => {
    model.eval();
    let correct = 0;
    for (let i = 0; i < dev.length; i += 64) {
      const part = dev.slice(i, i + 64);
      const enc = tok.encodeBatch(part.map((e) => e.text), { maxLength: maxLength!, padding: 'longest' });
      const { logits } = model.forward(enc);
      part.forEach((e, r) => {
        const [a, b] = [logits.data[r * 2]!, logits.data[r * 2 + 1]!];
        if ((b > a ? 1 : 0) === e.label) correct++;
      });
    }
    return correct / dev.length;
  });

  console.log(`dev accuracy before: ${(100 * evaluate()).toFixed(1)}%`);
  const named = model.trainableParameters();
  const opt = new AdamW([
    { params: named.filter(([n]) => !noDecay(n)).map(([, p]) => p) },
    { params: named.filter(([n]) => noDecay(n)).map(([, p]) => p), weightDecay: 0 },
  ], { lr: lr!, weightDecay: 0.01 });
  const stepsPerEpoch = Math.ceil(train.length / batch!);
  const total = stepsPerEpoch * epochs!;
  const rng = new Rng(seed!);
  let step = 0, running = 0, count = 0;
  const t0 = performance.now();
  for (let epoch = 0; epoch < epochs!; epoch++) {
    model.train();
    const order = rng.shuffle([...train.keys()]);
    for (let i = 0; i < order.length; i += batch!) {
      const part = order.slice(i, i + batch!).map((j) => train[j]!);
      const enc = tok.encodeBatch(part.map((e) => e.text), { maxLength: maxLength!, padding: 'longest' });
      opt.lr = lr! * linearWarmupDecay(step, Math.round(0.1 * total), total);
      opt.zeroGrad();
      const { loss } = model.forward(enc, part.map((e) => e.label));
      loss!.backward();
      clipGradNorm(opt.params(), 1.0);
      opt.stepOnce();
      step++;
      running += loss!.item();
      count++;
      if (step % 25 === 0 || step === total) {
        const rate = (step * batch!) / ((performance.now() - t0) / 1000);
        console.log(`epoch ${epoch + 1} step ${String(step).padStart(4)}/${total}  loss ${(running / count).toFixed(4)}  ${rate.toFixed(0)} examples/s`);
        running = 0;
        count = 0;
      }
    }
  }
  console.log(`dev accuracy after: ${(100 * evaluate()).toFixed(1)}%  (${((performance.now() - t0) / 1000).toFixed(1)} s of training)`);
  return 0;
}
