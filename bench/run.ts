// `npm run bench [-- --json] [-- --quick]`: pelt against PyTorch 1.13 (Debian) in the same run, each
// case in fresh processes, one after the other. Prints a table (or JSON) of times and their ratio.
import { cpus } from 'node:os';
import { loadNative, nativeInfo, nativeLoadError } from '../src/tensor/backends/native.ts';
import { python, runJson, torchEnv } from './peer.ts';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');

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

const pelt = (c: object) => runJson(process.execPath, ['--import', 'tsx', 'bench/worker.ts', JSON.stringify(c)], process.env);
const torch = (c: object) => runJson(python, ['bench/torch_peer.py', JSON.stringify(c)], tEnv);

// The cores' fp32 peak can't be read off a VM (the boost clock is hidden): give it as PELT_PEAK_GFLOPS to
// get a pelt_vs_peak column (docs/engine.md: two Zen 4 cores here top out near 210 GFLOP/s in sgemm).
const PEAK = process.env.PELT_PEAK_GFLOPS ? Number(process.env.PELT_PEAK_GFLOPS) : null;

const rows: Row[] = [];
const row = (name: string, p: Record<string, number | string>, t: Record<string, number | string>, extra?: Row['extra']) => {
  rows.push({ name, pelt_ms: +p.ms!, torch_ms: +t.ms!, ratio: +p.ms! / +t.ms!, pelt_mb: +p.maxrss_mb!, torch_mb: +t.maxrss_mb!, extra });
  if (!args.has('--json')) process.stderr.write(`  done: ${name}\n`);
};

if (!loadNative()) process.stderr.write(`warning: native backend not available (${nativeLoadError()}); pelt runs on js\n`);

for (const [m, k, n] of [[2048, 768, 768], [2048, 768, 3072], [2048, 256, 1024]] as const) {
  const c = { kind: 'sgemm', m, k, n, iters: quick ? 5 : 20 };
  const p = pelt(c), t = torch(c), np = torch({ ...c, kind: 'numpy_sgemm' });
  row(`sgemm [${m}x${k}]@[${k}x${n}]`, p, t, {
    pelt_gflops: +(+p.gflops!).toFixed(1), torch_gflops: +(+t.gflops!).toFixed(1), openblas_gflops: +(+np.gflops!).toFixed(1),
    pelt_vs_openblas: +(+p.gflops! / +np.gflops!).toFixed(3), ...(PEAK ? { pelt_vs_peak: +(+p.gflops! / PEAK).toFixed(3) } : {}),
  });
}

const shapes = { 'bert-mini': { hidden: 256, heads: 4, ffn: 1024 }, 'bert-base': { hidden: 768, heads: 12, ffn: 3072 } };
for (const [label, s] of Object.entries(shapes)) {
  const base = { kind: 'layer', batch: 16, seq: 128, ...s, warmup: quick ? 1 : 3, iters: quick ? 3 : label === 'bert-base' ? 10 : 20 };
  for (const [what, lora] of [['all weights', 0], ['frozen + LoRA r8', 8]] as const) {
    const c = { ...base, lora_rank: lora };
    row(`${label} layer train step, ${what}`, pelt(c), torch(c));
  }
  const ci = { ...base, lora_rank: 0, mode: 'infer' };
  row(`${label} layer forward (no tape)`, pelt(ci), torch(ci));
}

const frozenVsAll = Object.keys(shapes).map((label) => {
  const all = rows.find((r) => r.name === `${label} layer train step, all weights`)!;
  const lora = rows.find((r) => r.name === `${label} layer train step, frozen + LoRA r8`)!;
  return { shape: label, pelt: lora.pelt_ms / all.pelt_ms, torch: lora.torch_ms / all.torch_ms };
});

const meta = { peak_gflops: PEAK, date: new Date().toISOString().slice(0, 10), cpus: cpus().length, cpu: cpus()[0]?.model, native: info ?? null, torch_env_coretype: tEnv.OPENBLAS_CORETYPE ?? null };
if (args.has('--json')) {
  console.log(JSON.stringify({ meta, rows, frozen_vs_all: frozenVsAll }, null, 2));
} else {
  const f = (x: number, d = 1) => x.toFixed(d);
  console.log(`pelt vs PyTorch ${meta.date}, ${meta.cpus} cores (${meta.cpu}); OpenBLAS core type ${meta.torch_env_coretype ?? 'default'}`);
  console.log('| case | pelt ms | PyTorch ms | ratio | pelt peak MB | PyTorch peak MB | notes |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const notes = r.extra ? Object.entries(r.extra).map(([k, v]) => `${k} ${v}`).join(', ') : '';
    console.log(`| ${r.name} | ${f(r.pelt_ms)} | ${f(r.torch_ms)} | ${f(r.ratio, 2)} | ${f(r.pelt_mb, 0)} | ${f(r.torch_mb, 0)} | ${notes} |`);
  }
  for (const x of frozenVsAll) console.log(`frozen/all step time, ${x.shape}: pelt ${f(x.pelt, 2)}, PyTorch ${f(x.torch, 2)}`);
}
