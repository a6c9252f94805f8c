// `pelt params`: total and trainable parameters per group (method, gates, head) for a method on a model,
// like PEFT's print_trainable_parameters. Counts come from the config alone: the model is built without
// drawing or loading weights.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolveModelDir } from '../io/hub.ts';
import { parseBertConfig, readBertConfig, type BertConfig } from '../models/bert/config.ts';
import { BertForSequenceClassification } from '../models/bert/heads.ts';
import { withoutInit } from '../nn/index.ts';
import { attachMethod, methodNames, paramReport } from '../methods/index.ts';
import { fail } from '../util/errors.ts';
import { METHOD_HELP, METHOD_OPTIONS, methodConfigFromArgs, mergeDeep, num } from './method-options.ts';

const HELP = `pelt params (--model <dir|name> | --config <config.json>) --method <method> [method options] [--json]
Counts the parameters of BertForSequenceClassification with a method attached, by group: the method's own,
UniPELT's gates, and the classification head (which trains with every method). No weights are read.

  --model <dir|name>       a Hugging Face model folder or Hub id (only its config.json is used)
  --config <config.json>   a BERT config.json alone (e.g. a BERT-base-shaped one)
  --method <m>             ${methodNames().join(', ')}
  --method-config <file>   the method's config as JSON (options below override it)
  --num-labels <n>         labels of the head (default: the config's)
  --json                   machine-readable output

${METHOD_HELP}`;


export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', short: 'm' }, config: { type: 'string' }, method: { type: 'string' },
      'method-config': { type: 'string' }, 'num-labels': { type: 'string' }, json: { type: 'boolean', default: false },
      ...METHOD_OPTIONS,
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.method) fail('usage', '--method is required (see pelt params --help)');
  if (!values.model === !values.config) fail('usage', 'give one of --model <dir|name> or --config <config.json>');
  let config: BertConfig;
  let source: string;
  if (values.config) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(values.config, 'utf8'));
    } catch (err) {
      return fail('config', `${values.config}: ${(err as Error).message}`);
    }
    config = parseBertConfig(json, values.config);
    source = values.config;
  } else {
    source = values.model!;
    config = readBertConfig(await resolveModelDir(values.model!));
  }
  const labels = num(values['num-labels'], 'num-labels');
  if (labels !== undefined) {
    if (!Number.isInteger(labels) || labels < 1) fail('usage', `--num-labels must be a positive integer, got ${labels}`);
    const id2label = Object.fromEntries(Array.from({ length: labels }, (_, i) => [String(i), `LABEL_${i}`]));
    config = { ...config, num_labels: labels, id2label, label2id: Object.fromEntries(Object.entries(id2label).map(([i, l]) => [l, Number(i)])) };
  }
  let fromFile: Record<string, unknown> = {};
  if (values['method-config']) {
    try {
      fromFile = JSON.parse(readFileSync(values['method-config'], 'utf8'));
    } catch (err) {
      return fail('config', `${values['method-config']}: ${(err as Error).message}`);
    }
  }
  const flags = methodConfigFromArgs(values.method, values);
  const merged = mergeDeep(fromFile, flags);
  const model = withoutInit(() => new BertForSequenceClassification(config));
  const attached = withoutInit(() => attachMethod(model, values.method!, merged));
  const r = paramReport(model, attached);
  const encoder = r.base - r.groups.head;
  if (values.json) {
    console.log(JSON.stringify({
      model: source, method: values.method, config: attached.config, ...scaling(attached), base: r.base, encoder, total: r.total, trainable: r.trainable,
      trainable_percent: r.trainablePercent, groups: r.groups, ...(r.stored !== undefined ? { stored: r.stored } : {}),
      method_percent_of_encoder: (100 * (r.stored ?? r.groups.method)) / encoder,
    }, null, 2));
    return 0;
  }
  const f = (n: number) => n.toLocaleString('en-US');
  const w = f(r.total).length;
  console.log(`trainable params: ${f(r.trainable)} || all params: ${f(r.total)} || trainable%: ${r.trainablePercent.toFixed(4)}`);
  console.log(`  method ${f(r.groups.method).padStart(w)}${r.stored !== undefined ? `  (an exported adapter stores ${f(r.stored)}: the generated prefixes instead of their generator)` : ''}`);
  console.log(`  gates  ${f(r.groups.gates).padStart(w)}`);
  console.log(`  head   ${f(r.groups.head).padStart(w)}`);
  console.log(`${values.method} on ${source}: ${f(r.stored ?? r.groups.method)} method parameters = ${((100 * (r.stored ?? r.groups.method)) / encoder).toFixed(2)}% of the encoder's ${f(encoder)} (heads and gates excluded)`);
  return 0;
}

/** LoRA's factor of x A^T B^T, recorded explicitly (PEFT's default alpha differs from UniPELT's). */
function scaling(attached: object): { lora_scaling?: number } {
  const s = (attached as { scaling?: unknown }).scaling;
  return typeof s === 'number' ? { lora_scaling: s } : {};
}
