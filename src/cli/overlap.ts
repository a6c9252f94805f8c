// `pelt overlap <run dir | mask file> ...`: the Jaccard coefficient |Ci ∩ Cj| / |Ci ∪ Cj| between the
// Child-Tuning_D child networks of several runs (e.g. one per task), as a Markdown table or JSON.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadMask, overlapJson, overlapMarkdown, overlapMatrix } from '../methods/child-tuning/index.ts';
import { fail } from '../util/errors.ts';

const HELP = `pelt overlap [--json] <run dir | child-mask.safetensors> <...> (two or more)
Jaccard overlap of Child-Tuning_D child networks; rows are labelled by the task each mask records.`;

export async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length < 2) fail('usage', 'give two or more run folders or mask files (see pelt overlap --help)');
  const masks = positionals.map((p) => {
    const file = existsSync(p) && statSync(p).isDirectory() ? join(p, 'child-mask.safetensors') : p;
    if (!existsSync(file)) fail('usage', `${p}: no Child-Tuning_D mask (${file} not found; was the run trained with --child-tuning D?)`);
    const { mask, meta } = loadMask(file);
    return { task: meta.task, mask };
  });
  const o = overlapMatrix(masks);
  process.stdout.write(v.json ? overlapJson(o) : overlapMarkdown(o));
  return 0;
}
