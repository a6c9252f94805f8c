// pelt's side of one benchmark case, in its own process so peak memory is the case's own.
// Prints one JSON line, like bench/torch_peer.py.
import * as T from '../src/tensor/index.ts';
import { AdamW } from '../src/optim/adamw.ts';
import { activeKernels, backendName } from '../src/tensor/backend.ts';
import { BenchLayer } from './layer.ts';
import { timeit } from './timeit.ts';

export interface Case {
  kind: 'sgemm' | 'layer';
  [k: string]: unknown;
}


function sgemm(c: Record<string, number>): Record<string, number> {
  const { m, k, n, iters } = c as { m: number; k: number; n: number; iters: number };
  const a = new Float32Array(m * k).map(() => Math.random()), b = new Float32Array(k * n).map(() => Math.random());
  const out = new Float32Array(m * n);
  const K = activeKernels();
  const r = timeit(() => K.gemm(false, false, m, n, k, 1, a, 0, k, 0, b, 0, n, 0, 0, out, 0, n, 0, 1), 3, iters);
  return { ms: r.ms, best_ms: r.best, gflops: (2 * m * n * k) / r.best / 1e6 };
}

function layer(c: Record<string, number | string>): Record<string, number> {
  const s = { batch: +c.batch!, seq: +c.seq!, hidden: +c.hidden!, heads: +c.heads!, ffn: +c.ffn!, loraRank: +c.lora_rank! };
  const L = new BenchLayer(s);
  const x = T.tensor(new Float32Array(s.batch * s.seq * s.hidden).map(() => Math.random() * 2 - 1), [s.batch, s.seq, s.hidden]);
  const mask = T.zeros([s.batch, s.seq]);
  for (let b = 0; b < s.batch; b++) for (let t = s.seq - 16; t < s.seq; t++) mask.data[b * s.seq + t] = -10000;
  const opt = new AdamW(L.trainable(), { lr: 1e-4 });
  // each step's intermediates are recycled through T.scope (PELT_BENCH_SCOPE=0: fresh allocations, for comparison)
  const step = (fn: () => void) => (process.env.PELT_BENCH_SCOPE === '0' ? fn() : T.scope(fn));
  const train = () => step(() => {
    opt.zeroGrad();
    const out = L.forward(x, mask, true);
    T.mean(T.square(out)).backward();
    opt.stepOnce();
  });
  const infer = () => step(() => { T.noGrad(() => L.forward(x, mask, false)); });
  const r = timeit(c.mode === 'infer' ? infer : train, +c.warmup!, +c.iters!);
  return { ms: r.ms, best_ms: r.best };
}

const c = JSON.parse(process.argv[2]!) as Case;
const r = c.kind === 'sgemm' ? sgemm(c as never) : layer(c as never);
console.log(JSON.stringify({ ...r, maxrss_mb: process.resourceUsage().maxRSS / 1024, backend: backendName() }));
