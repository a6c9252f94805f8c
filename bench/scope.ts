// T.scope() on a whole training step: a BertForSequenceClassification step (forward, backward, clip,
// AdamW) with and without the scope, alternating in one process so both see the same machine state.
// Usage: npx tsx bench/scope.ts [iters=4] [batch=16] [seq=128] [layers=12]
import { parseBertConfig } from '../src/models/bert/config.ts';
import { BertForSequenceClassification } from '../src/models/bert/heads.ts';
import { AdamW } from '../src/optim/adamw.ts';
import { clipGradNorm } from '../src/optim/clip.ts';
import { scope, poolStats } from '../src/tensor/pool.ts';
import { backendName } from '../src/tensor/backend.ts';
import { Rng } from '../src/util/rng.ts';

const [iters = 4, B = 16, T = 128, layers = 12] = process.argv.slice(2).map(Number);
const model = new BertForSequenceClassification(parseBertConfig({
  hidden_size: 768, num_hidden_layers: layers, num_attention_heads: 12, intermediate_size: 3072, num_labels: 2,
}, 'bert-base shape'));
const opt = new AdamW(model.parameters(), { lr: 1e-5 });
const rng = new Rng(0);
const input = {
  inputIds: Int32Array.from({ length: B * T }, () => 5 + rng.int(30000)),
  attentionMask: Array.from({ length: B * T }, (_, i) => (i % T < T - 16 ? 1 : 0)),
  batch: B, seqLen: T,
};
const labels = Array.from({ length: B }, () => rng.int(2));
const body = () => {
  const loss = model.forward(input, labels).loss!;
  const v = loss.item();
  loss.backward();
  clipGradNorm(opt.params(), 1);
  opt.stepOnce();
  return v;
};
const step = (scoped: boolean) => {
  model.train();
  opt.zeroGrad();
  const t0 = performance.now();
  if (scoped) scope(body);
  else body();
  return performance.now() - t0;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
step(false);
step(true); // warm-up: the first scoped step fills the pool
const plain: number[] = [], scoped: number[] = [];
for (let i = 0; i < iters; i++) {
  plain.push(step(false));
  scoped.push(step(true));
}
const st = poolStats();
console.log(JSON.stringify({
  backend: backendName(), batch: B, seq: T, layers,
  plain_ms: plain.map(Math.round), scoped_ms: scoped.map(Math.round),
  plain_median_ms: Math.round(median(plain)), scoped_median_ms: Math.round(median(scoped)),
  pool_free_mb: Math.round(st.freeBytes / 2 ** 20), pool_hits: st.hits, pool_misses: st.misses,
  maxrss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
}));
