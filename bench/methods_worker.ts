// pelt's side of one bench/methods.ts case, in its own process: a whole BertForSequenceClassification
// with a method attached, one train step (forward, backward, AdamW on the trainable tensors) or one
// inference pass. Prints one JSON line, like bench/torch_peer.py.
import { parseBertConfig } from '../src/models/bert/config.ts';
import { BertForSequenceClassification } from '../src/models/bert/heads.ts';
import { attachMethod, paramReport } from '../src/methods/index.ts';
import { AdamW } from '../src/optim/adamw.ts';
import { noDecay } from '../src/nn/index.ts';
import { noGrad, scope } from '../src/tensor/index.ts';
import { backendName } from '../src/tensor/backend.ts';
import { Rng } from '../src/util/rng.ts';
import { timeit } from './timeit.ts';

interface MethodCase {
  config: Record<string, unknown>;
  method: string;
  methodConfig: Record<string, unknown>;
  batch: number;
  seq: number;
  mode: 'train' | 'infer';
  warmup: number;
  iters: number;
}


const c = JSON.parse(process.argv[2]!) as MethodCase;
const model = new BertForSequenceClassification(parseBertConfig({ ...c.config, num_labels: 2 }, 'bench config'));
const attached = attachMethod(model, c.method, c.methodConfig);
const B = c.batch, T = c.seq, rng = new Rng(0);
const V = Number(c.config.vocab_size);
const input = {
  inputIds: Int32Array.from({ length: B * T }, () => 5 + rng.int(V - 5)),
  attentionMask: Array.from({ length: B * T }, (_, i) => (i % T < T - 16 ? 1 : 0)),
  batch: B,
  seqLen: T,
};
const labels = Array.from({ length: B }, () => rng.int(2));
const trainable = attached.trainable();
const opt = new AdamW([
  { params: trainable.filter(([n]) => !noDecay(n)).map(([, p]) => p) },
  { params: trainable.filter(([n]) => noDecay(n)).map(([, p]) => p), weightDecay: 0 },
].filter((g) => g.params.length > 0), { lr: 1e-4 });

// each step's intermediates are recycled through scope (PELT_BENCH_SCOPE=0: fresh allocations, for comparison)
const step = (fn: () => void) => (process.env.PELT_BENCH_SCOPE === '0' ? fn() : scope(fn));
const train = () => step(() => {
  model.train();
  opt.zeroGrad();
  model.forward(input, labels).loss!.backward();
  opt.stepOnce();
});
const infer = () => step(() => { noGrad(() => model.eval().forward(input)); });
const r = timeit(c.mode === 'train' ? train : infer, c.warmup, c.iters);
const rep = paramReport(model, attached);
console.log(JSON.stringify({
  ms: r.ms, best_ms: r.best, trainable: rep.trainable, total: rep.total, stored: rep.stored ?? rep.groups.method,
  encoder: rep.base - rep.groups.head, maxrss_mb: process.resourceUsage().maxRSS / 1024, backend: backendName(),
}));
