// `pelt predict --run <dir> "text" ["second text"]`: the label and class probabilities (or the regression
// value) from a finished run's adapter on its base model. Several inputs: one per line on stdin with --stdin
// (a tab separates the two texts of a pair).
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { loadRun } from '../train/restore.ts';
import { noGrad } from '../tensor/autograd.ts';
import { softmax } from '../tensor/index.ts';
import { fail } from '../util/errors.ts';

const HELP = `pelt predict --run <dir> [--json] "text" ["second text of a pair"]
pelt predict --run <dir> --stdin [--json]     (one input a line; a tab separates a pair)`;

export async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { run: { type: 'string' }, stdin: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  if (!v.run) fail('usage', 'give --run <dir>, a folder written by pelt train');
  const inputs: (string | [string, string])[] = v.stdin
    ? readFileSync(0, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => { const [a, b] = l.split('\t'); return b === undefined ? a! : [a!, b]; })
    : positionals.length === 1 ? [positionals[0]!] : positionals.length === 2 ? [[positionals[0]!, positionals[1]!]] : fail('usage', 'give one text, or two for a pair (or --stdin)');
  const r = await loadRun(v.run);
  const enc = r.tokenizer.encodeBatch(inputs, { maxLength: r.config.maxLength, padding: r.config.padding });
  const logits = noGrad(() => r.model.forward(enc).logits); // [N, C]
  const C = logits.shape[1]!;
  const probs = C > 1 ? noGrad(() => softmax(logits)) : logits;
  const rows = inputs.map((input, i) => {
    const p = Array.from(probs.data.subarray(i * C, (i + 1) * C));
    if (r.labels.kind === 'regression') return { input, value: p[0]!, label: undefined, probabilities: undefined };
    const best = p.indexOf(Math.max(...p));
    return { input, value: undefined, label: r.labels.names[best]!, probabilities: Object.fromEntries(r.labels.names.map((n, j) => [n, p[j]!])) };
  });
  if (v.json) console.log(JSON.stringify(rows.length === 1 ? rows[0] : rows, null, 2));
  else for (const row of rows) console.log(row.value !== undefined ? `${row.value.toFixed(4)}` : `${row.label}\t${Object.entries(row.probabilities!).map(([n, x]) => `${n} ${x.toFixed(4)}`).join('  ')}`);
  return 0;
}
