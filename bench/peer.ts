// Running a benchmark side in its own process: pelt's workers and the PyTorch peer scripts print one
// JSON line last. PyTorch gets the OpenBLAS core type pelt loaded with (OpenBLAS reads
// OPENBLAS_CORETYPE at load time) and the same thread count, so both sides use the same kernels.
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeInfo } from '../src/tensor/backends/native.ts';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const python = process.env.PELT_TORCH_PYTHON ?? '/usr/bin/python3';

/** Runs `cmd args` in the repo root and parses its last stdout line as JSON. */
export function runJson<T = Record<string, number | string>>(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): T {
  const r = spawnSync(cmd, args, { cwd: root, env, encoding: 'utf8', maxBuffer: 1 << 24 });
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as T;
  } catch {
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`);
  }
}

/** The PyTorch side's environment: `threads` OpenMP threads and pelt's OpenBLAS core type. */
export function torchEnv(threads = cpus().length): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads) };
  const coretype = nativeInfo()?.coretype;
  if (coretype) env.OPENBLAS_CORETYPE = coretype;
  return env;
}

/** The least disturbed of several runs of one case: contention on a shared machine only slows a run down. */
export function fastest<T extends Record<string, unknown>>(runs: T[], key = 'ms'): T {
  if (runs.length === 0) throw new Error('fastest: no runs');
  return runs.reduce((a, b) => (Number(b[key]) < Number(a[key]) ? b : a));
}

/** `--rounds N` from argv (whole number >= 1), else the default. */
export function roundsArg(argv: string[], fallback: number): number {
  const at = argv.indexOf('--rounds');
  if (at < 0) return fallback;
  const n = Number(argv[at + 1]);
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`--rounds takes a whole number >= 1, got ${argv[at + 1]}`);
  return n;
}
