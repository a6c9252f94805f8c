// pelt's command line: `pelt <command> [options]`. Each command is a module exporting
// run(argv) -> exit code, imported only when called so start-up stays fast. Errors pelt reports
// (PeltError) print as one line; a bad option prints the command's usage hint.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PeltError } from '../util/errors.ts';

export interface Command {
  summary: string;
  load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

export const COMMANDS: Record<string, Command> = {
  'fill-mask': { summary: 'predict the [MASK] tokens of a text (checks that a checkpoint loaded)', load: () => import('./fill-mask.ts') },
  demo: { summary: 'the main job: UniPELT (APL) vs full fine-tuning on SST-2, K = 1000', load: () => import('./demo.ts') },
  train: { summary: 'train a method on a GLUE task or your own data; resumes an interrupted run', load: () => import('./train.ts') },
  eval: { summary: 'evaluate a finished run on its test or dev split, or a file', load: () => import('./eval.ts') },
  predict: { summary: 'label texts with a finished run (label and probabilities)', load: () => import('./predict.ts') },
  overlap: { summary: 'Jaccard overlap of Child-Tuning_D child networks across runs (tasks)', load: () => import('./overlap.ts') },
  params: { summary: 'count total and trainable parameters of a method (method, gates, head)', load: () => import('./params.ts') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: pelt <command> [options]   (pelt <command> --help for its options)\n\ncommands:\n${lines.join('\n')}`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? console.error : console.log)(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`pelt: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  try {
    return await (await command.load()).run(rest);
  } catch (err) {
    if (err instanceof PeltError) {
      const own = err.message.startsWith(`${name}: `) ? err.message.slice(name.length + 2) : err.message;
      console.error(`pelt ${name}: ${own}`);
      return err.code === 'usage' ? 2 : 1;
    }
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      console.error(`pelt ${name}: ${(err as Error).message} (see pelt ${name} --help)`);
      return 2;
    }
    throw err;
  }
}

const entry = process.argv[1];
if (entry && realpathSync(entry) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
