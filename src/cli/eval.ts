// `pelt eval --run <dir>`: scores a finished run's adapter on its test split (or dev), or on a file of
// your own with the run's columns.
import { parseArgs } from 'node:util';
import { Batcher } from '../data/batches.ts';
import { readUserData } from '../data/user.ts';
import { loadRun } from '../train/restore.ts';
import { loadRunData, defaultDataDirs } from '../train/data.ts';
import { evaluate } from '../train/evaluate.ts';
import { fail } from '../util/errors.ts';
import { sharedDir } from './paths.ts';

const HELP = `pelt eval --run <dir> [--split test|dev] [--file <data file>] [--data-dir <dir>] [--json]
Evaluates a finished run (its adapter on its base model) on the run's test or dev split, or on a file
with the same columns as the run's own data (GLUE runs: sentence/label columns of the task's TSV).`;

export async function run(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: { run: { type: 'string' }, split: { type: 'string', default: 'test' }, file: { type: 'string' }, 'data-dir': { type: 'string', multiple: true }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  if (!v.run) fail('usage', 'give --run <dir>, a folder written by pelt train');
  if (v.split !== 'test' && v.split !== 'dev') fail('usage', `--split must be test or dev, got "${v.split}"`);
  const r = await loadRun(v.run);
  const data = await loadRunData(r.config, v['data-dir'] ?? r.config.dataDirs ?? defaultDataDirs(sharedDir()));
  let examples = v.split === 'dev' ? data.dev : data.test;
  let what = v.split === 'dev' ? 'dev' : data.testSplit;
  if (v.file) {
    const d = r.config.data;
    if (!d) fail('usage', '--file works for runs on your own data (GLUE runs evaluate their task splits)');
    examples = readUserData(v.file, { text: d.text, pair: d.pair, label: d.label, regression: d.regression, ...(r.labels.kind === 'classification' ? { labels: r.labels.names } : {}) }).examples;
    what = v.file;
  }
  const batches = new Batcher(examples, r.tokenizer, { batchSize: 32, labels: r.labels, maxLength: r.config.maxLength, padding: r.config.padding, shuffle: false });
  const ev = evaluate(r.model, r.attached, batches, data.metrics, data.selectionMetric);
  const out = { run: v.run, split: what, examples: examples.length, metrics: ev.metrics, loss: ev.loss, ...(ev.gates ? { gates: ev.gates } : {}) };
  if (v.json) console.log(JSON.stringify(out, null, 2));
  else console.log(`${what} (${examples.length} examples): ${Object.entries(ev.metrics).map(([k, x]) => `${k} ${(100 * x!).toFixed(2)}`).join(', ')}, loss ${ev.loss.toFixed(4)}`);
  return 0;
}
