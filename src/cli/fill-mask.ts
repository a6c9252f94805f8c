// `pelt fill-mask --model <dir|name> [--top-k 5] [--json] "text with [MASK]"`: argument parsing only.
import { parseArgs } from 'node:util';
import { loadBertFromDir } from '../models/bert/load.ts';
import { fillMask } from '../models/bert/fill-mask.ts';
import { resolveModelDir } from '../io/hub.ts';
import { BertTokenizer } from '../tokenizers/bert.ts';
import { fail } from '../util/errors.ts';

const HELP = `pelt fill-mask --model <dir|name> [--top-k K] [--json] "text with [MASK]"
Prints the K most likely tokens (default 5) with their probabilities for each [MASK] of the text.
--model is a Hugging Face model folder (config.json, model.safetensors, tokenizer.json or vocab.txt)
or a Hub repo id (downloaded into the Hugging Face cache). --json prints the predictions as JSON,
in the fields of transformers' fill-mask pipeline: one list per [MASK] of {score, token, token_str, sequence}.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string', short: 'm' },
      'top-k': { type: 'string', short: 'k', default: '5' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) fail('usage', '--model <dir|name> is required');
  if (positionals.length !== 1) fail('usage', `expected one text argument (quote it), got ${positionals.length}`);
  const topK = Number(values['top-k']);
  if (!Number.isInteger(topK) || topK < 1) fail('usage', `--top-k must be a positive integer, got "${values['top-k']}"`);

  const dir = await resolveModelDir(values.model);
  const { model } = loadBertFromDir(dir, { task: 'pretraining' });
  const predictions = fillMask(model, BertTokenizer.fromFolder(dir), positionals[0]!, topK);
  if (values.json) {
    console.log(JSON.stringify(predictions.length === 1 ? predictions[0] : predictions, null, 2));
    return 0;
  }
  predictions.forEach((preds, i) => {
    if (predictions.length > 1) console.log(`[MASK] ${i + 1}:`);
    const width = Math.max(...preds.map((p) => p.token_str.length));
    for (const p of preds) console.log(`${p.token_str.padEnd(width)}  ${p.score.toFixed(4)}  ${p.sequence}`);
  });
  return 0;
}
