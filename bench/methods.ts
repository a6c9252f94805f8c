// `npm run bench:methods [-- --quick] [-- --json] [-- --shapes mini,base] [-- --methods lora,prefix] [-- --stat best] [-- --threads N] [-- --rounds N]`:
// the paper's efficiency table, measured. For each method on bert-mini and bert-base shapes at batch
// 16 x 128: trainable parameters (%), train-step time and inference time relative to full fine-tuning,
// pelt against the same method in PyTorch 1.13 (bench/torch_peer.py "method", built from the spec-side
// implementation in scripts/fixtures/methods_torch.py) in the same run, each case in a fresh process.
// Times are the median of the timed iterations (--stat best: the fastest, steadier on a shared machine),
// each side's best of N rounds over all cases (default 3; --quick: 1), as in bench/run.ts.
// --threads N runs both sides on N threads (default: every core); 1 sidesteps OpenMP's slowdowns when
// other work shares the cores.
import { cpus } from 'node:os';
import { nativeInfo, loadNative, nativeLoadError } from '../src/tensor/backends/native.ts';
import { spec } from './method-spec.ts';
import { fastest, python, roundsArg, runJson, torchEnv } from './peer.ts';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = flag('quick');
const rounds = roundsArg(argv, quick ? 1 : 3);
const stat = option('stat') === 'best' ? 'best_ms' : 'ms';

const BERT = { vocab_size: 30522, max_position_embeddings: 512, type_vocab_size: 2, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, layer_norm_eps: 1e-12 };
const SHAPES: Record<string, Record<string, number>> = {
  tiny: { hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 256 }, // a smoke test of the harness
  mini: { hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024 },
  base: { hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072 },
};
const METHODS = (option('methods') ?? 'full,bitfit,prefix,lora,adapter,unipelt-ap,unipelt-apl,unipelt-nogate').split(',');
const shapes = (option('shapes') ?? (quick ? 'mini' : 'mini,base')).split(',');

if (!loadNative()) process.stderr.write(`warning: native backend not available (${nativeLoadError()}); pelt runs on js\n`);
const info = nativeInfo();
const threads = Number(option('threads') ?? cpus().length);
const peltEnv: NodeJS.ProcessEnv = { ...process.env, PELT_NUM_THREADS: String(threads) };
const tEnv = torchEnv(threads);

interface Row {
  shape: string; method: string; stored_pct: number; trainable_pct: number;
  pelt_step: number; torch_step: number; pelt_infer: number; torch_infer: number;
  median_ms: { pelt_step: number; torch_step: number; pelt_infer: number; torch_infer: number };
  best_ms: { pelt_step: number; torch_step: number; pelt_infer: number; torch_infer: number };
}
type Run = Record<string, number>;
interface Case { shape: string; method: string; pelt: (mode: string) => Run; torch: (mode: string) => Run }
const cases: Case[] = [];
for (const shape of shapes) {
  const config = { ...BERT, ...SHAPES[shape]! };
  const big = shape === 'base';
  const reps = { warmup: quick || big ? 1 : 2, iters: quick ? 2 : big ? 3 : 5 };
  for (const method of METHODS) {
    const { spec: s, trains } = spec(method);
    const common = { config, batch: 16, seq: 128, ...reps };
    cases.push({
      shape, method,
      pelt: (mode) => runJson<Run>(process.execPath, ['--import', 'tsx', 'bench/methods_worker.ts', JSON.stringify({ ...common, method, methodConfig: {}, mode })], peltEnv),
      torch: (mode) => runJson<Run>(python, ['bench/torch_peer.py', JSON.stringify({ ...common, kind: 'method', spec: s, trains, mode, threads })], tEnv),
    });
  }
}

// Round by round over all cases, so each case's samples spread over the whole run; each side's best round counts.
const seen = cases.map(() => ({ ps: [] as Run[], ts: [] as Run[], pi: [] as Run[], ti: [] as Run[] }));
for (let round = 0; round < rounds; round++) {
  cases.forEach((c, i) => {
    const got = seen[i]!;
    got.ps.push(c.pelt('train'));
    got.ts.push(c.torch('train'));
    got.pi.push(c.pelt('infer'));
    got.ti.push(c.torch('infer'));
    if (!flag('json')) process.stderr.write(`  round ${round + 1}/${rounds}: ${c.shape} ${c.method}\n`);
  });
}

const rows: Row[] = cases.map((c, i) => {
  const got = seen[i]!;
  const ps = fastest(got.ps, stat), ts = fastest(got.ts, stat), pi = fastest(got.pi, stat), ti = fastest(got.ti, stat);
  if (ps.trainable !== ts.trainable) throw new Error(`${c.shape} ${c.method}: pelt trains ${ps.trainable} values, PyTorch ${ts.trainable}`);
  return {
    shape: c.shape, method: c.method, stored_pct: (100 * ps.stored!) / ps.encoder!, trainable_pct: (100 * ps.trainable!) / ps.total!,
    pelt_step: ps[stat]!, torch_step: ts[stat]!, pelt_infer: pi[stat]!, torch_infer: ti[stat]!,
    median_ms: { pelt_step: ps.ms!, torch_step: ts.ms!, pelt_infer: pi.ms!, torch_infer: ti.ms! },
    best_ms: { pelt_step: ps.best_ms!, torch_step: ts.best_ms!, pelt_infer: pi.best_ms!, torch_infer: ti.best_ms! },
  };
});

const meta = {
  date: new Date().toISOString().slice(0, 10), cpus: cpus().length, cpu: cpus()[0]?.model, batch: '16x128',
  coretype: info?.coretype ?? null, threads, stat: stat === 'ms' ? 'median' : 'best', rounds,
};
if (flag('json')) {
  console.log(JSON.stringify({ meta, rows }, null, 2));
} else {
  const f = (x: number, d = 2) => x.toFixed(d);
  console.log(`pelt vs PyTorch, whole BertForSequenceClassification, batch 16 x 128, ${meta.date}, ${meta.cpus} cores (${meta.cpu}), OpenBLAS core type ${meta.coretype ?? 'default'}, ${threads} thread(s) each`);
  console.log(`step = forward + backward + AdamW; infer = forward without a tape; ${meta.stat} of the timed iterations, best of ${rounds} round(s); "/ full" is relative to full fine-tuning of the same implementation`);
  console.log('| shape | method | method % of encoder | trainable % | pelt step ms | PyTorch step ms | pelt / PyTorch | pelt step / full | PyTorch step / full | pelt infer ms | PyTorch infer ms | pelt infer / full | PyTorch infer / full |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const full = rows.find((x) => x.shape === r.shape && x.method === 'full');
    const rel = (a: number, b: number | undefined) => (b ? f(a / b) : '-');
    console.log(`| ${r.shape} | ${r.method} | ${f(r.stored_pct)} | ${f(r.trainable_pct)} | ${f(r.pelt_step, 0)} | ${f(r.torch_step, 0)} | ${f(r.pelt_step / r.torch_step)} | ${rel(r.pelt_step, full?.pelt_step)} | ${rel(r.torch_step, full?.torch_step)} | ${f(r.pelt_infer, 0)} | ${f(r.torch_infer, 0)} | ${rel(r.pelt_infer, full?.pelt_infer)} | ${rel(r.torch_infer, full?.torch_infer)} |`);
  }
}
