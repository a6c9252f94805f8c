// `pelt train`: one run from the command line or a config file (validated; unknown keys rejected).
// Running the same command again on the same --output resumes from its last checkpoint.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseTrainConfig, type TrainConfigInput } from '../train/config.ts';
import { defaultDataDirs } from '../train/data.ts';
import { runTraining } from '../train/trainer.ts';
import { methodNames } from '../methods/registry.ts';
import { fail } from '../util/errors.ts';
import { sharedDir } from './paths.ts';
import { METHOD_HELP, METHOD_OPTIONS, mergeDeep, methodConfigFromArgs, num as numberFlag } from './method-options.ts';

const HELP = `pelt train --model <dir|name> (--task <GLUE task> | --train <file> ...) --output <dir> [options]
       pelt train --config <run.json> [--output <dir>]

data
  --task <name>            CoLA, SST-2, MRPC, STS-B, QNLI, RTE, WNLI, MNLI, QQP, SNLI (../shared/data, else the Hub)
  --data-dir <dir>         where GLUE folders live (repeatable; default ../shared/data)
  --train/--dev/--test <file>  your own TSV, CSV or JSON lines instead of a task
  --text <col> --pair <col> --label <col> --regression   their columns (defaults sentence, -, label)
protocol
  --protocol <p>           unipelt-low-resource (default with --k), unipelt-full, child-tuning, child-tuning-1k
  --k <K>                  low-resource training size (100, 500, 1000 in the paper)
  --data-seed <s>  --seed <s>  --dev-size <n>
method
  --method <m>             ${methodNames().join(', ')} (default full)
  --method-config <file>   the method's config as JSON (options below override it)
${METHOD_HELP}
child-tuning
  --child-tuning F|D  --child-p <p> (0.3)  --child-ablation random|lowest-fisher  --child-freeze (non-child weights exactly frozen)
training (defaults from the protocol)
  --epochs N  --batch-size B  --lr LR  --max-length T  --padding longest|max_length  --warmup-ratio R
  --weight-decay W  --max-grad-norm G  --patience N|none  --eval-every epoch|N  --report best|last  --max-steps N
output
  --output <dir>           the run folder (config, timeline, results, adapter, gates, mask, checkpoint)
  --json                   print the results as JSON on stdout`;

export async function run(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' }, model: { type: 'string' }, task: { type: 'string' }, 'data-dir': { type: 'string', multiple: true },
      train: { type: 'string' }, dev: { type: 'string' }, test: { type: 'string' }, text: { type: 'string' }, pair: { type: 'string' },
      label: { type: 'string' }, regression: { type: 'boolean' }, protocol: { type: 'string' }, k: { type: 'string' },
      'data-seed': { type: 'string' }, seed: { type: 'string' }, 'dev-size': { type: 'string' }, method: { type: 'string' },
      'method-config': { type: 'string' }, 'child-tuning': { type: 'string' }, 'child-p': { type: 'string' },
      'child-ablation': { type: 'string' }, 'child-freeze': { type: 'boolean' }, epochs: { type: 'string' },
      'batch-size': { type: 'string' }, lr: { type: 'string' }, 'max-length': { type: 'string' }, padding: { type: 'string' },
      'warmup-ratio': { type: 'string' }, 'weight-decay': { type: 'string' }, 'max-grad-norm': { type: 'string' },
      patience: { type: 'string' }, 'eval-every': { type: 'string' }, report: { type: 'string' }, 'max-steps': { type: 'string' },
      output: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, ...METHOD_OPTIONS,
    },
  });
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  const num = (name: string): number | undefined => numberFlag((v as Record<string, unknown>)[name], name);
  let base: Record<string, unknown> = {};
  if (v.config) {
    try {
      base = JSON.parse(readFileSync(v.config, 'utf8'));
    } catch (e) {
      fail('config', `${v.config}: ${(e as Error).message}`);
    }
  }
  const method = v.method ?? (base.method as string | undefined) ?? 'full';
  let methodConfig = (base.methodConfig as Record<string, unknown> | undefined) ?? {};
  if (v['method-config']) methodConfig = JSON.parse(readFileSync(v['method-config'], 'utf8'));
  methodConfig = mergeDeep(methodConfig, methodConfigFromArgs(method, v));
  const child = v['child-tuning'] ? {
    mode: v['child-tuning'].toUpperCase(),
    ...(num('child-p') !== undefined ? { [v['child-tuning'].toUpperCase() === 'F' ? 'p_F' : 'p_D']: num('child-p') } : {}),
    ...(v['child-ablation'] ? { ablation: v['child-ablation'] } : {}),
    ...(v['child-freeze'] ? { freezeNonChild: true } : {}),
  } : undefined;
  const userData = v.train ? {
    train: v.train, ...(v.dev ? { dev: v.dev } : {}), ...(v.test ? { test: v.test } : {}), ...(v.text ? { text: v.text } : {}),
    ...(v.pair ? { pair: v.pair } : {}), ...(v.label ? { label: v.label } : {}), ...(v.regression ? { regression: true } : {}),
  } : undefined;
  const cli: Record<string, unknown> = {
    model: v.model, task: v.task, data: userData, protocol: v.protocol, k: num('k'), dataSeed: num('data-seed'), seed: num('seed'),
    devSize: num('dev-size'), method, methodConfig, childTuning: child, epochs: num('epochs'), batchSize: num('batch-size'),
    lr: num('lr'), maxLength: num('max-length'), padding: v.padding, warmupRatio: num('warmup-ratio'), weightDecay: num('weight-decay'),
    maxGradNorm: num('max-grad-norm'), patience: v.patience === 'none' ? null : num('patience'),
    evalEvery: v['eval-every'] === undefined || v['eval-every'] === 'epoch' ? v['eval-every'] : num('eval-every'),
    report: v.report, maxSteps: num('max-steps'), output: v.output,
  };
  const merged = { ...base, ...Object.fromEntries(Object.entries(cli).filter(([, x]) => x !== undefined)) } as TrainConfigInput;
  if (!merged.model) fail('usage', 'give --model <dir|name> (see pelt train --help)');
  if (!merged.output) fail('usage', 'give --output <dir>, the run folder');
  const config = parseTrainConfig(merged, v.config ?? 'command line');
  const dataDirs = v['data-dir'] ?? config.dataDirs ?? defaultDataDirs(sharedDir());
  const results = await runTraining(config, { dataDirs, log: (s) => process.stderr.write(s + '\n') });
  if (v.json) console.log(JSON.stringify(results, null, 2));
  else console.log(`${results.task} ${results.method}: test (${results.testSplit}) ${results.selectionMetric} ${(100 * results.testSelection).toFixed(2)}  [${Object.entries(results.test).map(([k, x]) => `${k} ${(100 * x!).toFixed(2)}`).join(', ')}]  -> ${results.output}`);
  return 0;
}
