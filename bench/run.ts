// `npm run bench [-- --json] [-- --quick] [-- --rounds N]`: pelt against PyTorch 1.13 (Debian) in the
// same run, each case in fresh processes, pelt then PyTorch, over N rounds of all cases (default 3).
// Each side's figure is its best round's median: contention on a shared machine only ever slows a
// round down, so the least disturbed round is the fairest reading of both. Prints a table (or JSON).
import { cpus } from 'node:os';
import { loadNative, nativeInfo, nativeLoadError } from '../src/tensor/backends/native.ts';
import { fastest, python, roundsArg, runJson, torchEnv } from './peer.ts';

const argv = process.argv.slice(2);
const args = new Set(argv);
const quick = args.has('--quick');
const rounds = roundsArg(argv, quick ? 1 : 3);

interface Row {
  name: string;
  pelt_ms: number;
  torch_ms: number;
  ratio: number;
  pelt_mb: number;
  torch_mb: number;
  extra?: Record<string, number | string>;
}

const info = nativeInfo();
const tEnv = torchEnv();

type Result = Record<string, number | string>;
const peltOnce = (c: object) => runJson(process.execPath, ['--import', 'tsx', 'bench/worker.ts', JSON.stringify(c)], process.env);
const torchOnce = (c: object) => runJson(python, ['bench/torch_peer.py', JSON.stringify(c)], tEnv);

// The cores' fp32 peak can't be read off a VM (the boost clock is hidden): give it as PELT_PEAK_GFLOPS to
// get a pelt_vs_peak column (docs/engine.md: two Zen 4 cores here top out near 210 GFLOP/s in sgemm).
const PEAK = process.env.PELT_PEAK_GFLOPS ? Number(process.env.PELT_PEAK_GFLOPS) : null;

if (!loadNative()) process.stderr.write(`warning: native backend not available (${nativeLoadError()}); pelt runs on js\n`);

/** One benchmark case: its config, and for sgemm also numpy's OpenBLAS on the same product. */
interface Case {
  name: string;
  config: Record<string, unknown>;
  numpy?: boolean;
}
const cases: Case[] = [];
for (const [m, k, n] of [[2048, 768, 768], [2048, 768, 3072], [2048, 256, 1024]] as const) {
  cases.push({ name: `sgemm [${m}x${k}]@[${k}x${n}]`, config: { kind: 'sgemm', m, k, n, iters: quick ? 5 : 20 }, numpy: true });
}
const shapes = { 'bert-mini': { hidden: 256, heads: 4, ffn: 1024 }, 'bert-base': { hidden: 768, heads: 12, ffn: 3072 } };
for (const [label, s] of Object.entries(shapes)) {
  const base = { kind: 'layer', batch: 16, seq: 128, ...s, warmup: quick ? 1 : 3, iters: quick ? 3 : label === 'bert-base' ? 10 : 20 };
  for (const [what, lora] of [['all weights', 0], ['frozen + LoRA r8', 8]] as const) {
    cases.push({ name: `${label} layer train step, ${what}`, config: { ...base, lora_rank: lora } });
  }
  cases.push({ name: `${label} layer forward (no tape)`, config: { ...base, lora_rank: 0, mode: 'infer' } });
}

// Round by round over all cases, pelt then PyTorch for each, so every case's samples are spread over
// the whole run and both sides of a case always run back to back.
const seen = cases.map(() => ({ p: [] as Result[], t: [] as Result[], np: [] as Result[] }));
for (let r = 0; r < rounds; r++) {
  cases.forEach((c, i) => {
    seen[i]!.p.push(peltOnce(c.config));
    seen[i]!.t.push(torchOnce(c.config));
    if (c.numpy) seen[i]!.np.push(torchOnce({ ...c.config, kind: 'numpy_sgemm' }));
    if (!args.has('--json')) process.stderr.write(`  round ${r + 1}/${rounds}: ${c.name}\n`);
  });
}

const rows: Row[] = cases.map((c, i) => {
  const p = fastest(seen[i]!.p), t = fastest(seen[i]!.t);
  let extra: Row['extra'];
  if (c.numpy) {
    const np = fastest(seen[i]!.np);
    extra = {
      pelt_gflops: +(+p.gflops!).toFixed(1), torch_gflops: +(+t.gflops!).toFixed(1), openblas_gflops: +(+np.gflops!).toFixed(1),
      pelt_vs_openblas: +(+p.gflops! / +np.gflops!).toFixed(3), ...(PEAK ? { pelt_vs_peak: +(+p.gflops! / PEAK).toFixed(3) } : {}),
    };
  }
  return { name: c.name, pelt_ms: +p.ms!, torch_ms: +t.ms!, ratio: +p.ms! / +t.ms!, pelt_mb: +p.maxrss_mb!, torch_mb: +t.maxrss_mb!, extra };
});

const frozenVsAll = Object.keys(shapes).map((label) => {
  const all = rows.find((r) => r.name === `${label} layer train step, all weights`)!;
  const lora = rows.find((r) => r.name === `${label} layer train step, frozen + LoRA r8`)!;
  return { shape: label, pelt: lora.pelt_ms / all.pelt_ms, torch: lora.torch_ms / all.torch_ms };
});

const meta = { rounds, peak_gflops: PEAK, date: new Date().toISOString().slice(0, 10), cpus: cpus().length, cpu: cpus()[0]?.model, native: info ?? null, torch_env_coretype: tEnv.OPENBLAS_CORETYPE ?? null };
if (args.has('--json')) {
  console.log(JSON.stringify({ meta, rows, frozen_vs_all: frozenVsAll }, null, 2));
} else {
  const f = (x: number, d = 1) => x.toFixed(d);
  console.log(`pelt vs PyTorch ${meta.date}, ${meta.cpus} cores (${meta.cpu}); OpenBLAS core type ${meta.torch_env_coretype ?? 'default'}; best of ${rounds} round(s)`);
  console.log('| case | pelt ms | PyTorch ms | ratio | pelt peak MB | PyTorch peak MB | notes |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const notes = r.extra ? Object.entries(r.extra).map(([k, v]) => `${k} ${v}`).join(', ') : '';
    console.log(`| ${r.name} | ${f(r.pelt_ms)} | ${f(r.torch_ms)} | ${f(r.ratio, 2)} | ${f(r.pelt_mb, 0)} | ${f(r.torch_mb, 0)} | ${notes} |`);
  }
  for (const x of frozenVsAll) console.log(`frozen/all step time, ${x.shape}: pelt ${f(x.pelt, 2)}, PyTorch ${f(x.torch, 2)}`);
}
