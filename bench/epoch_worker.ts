// pelt's side of bench/epoch.ts: one training epoch of a whole BertForSequenceClassification with a
// method over pre-tokenized SST-2 batches (read from a JSON file both sides share): forward, backward,
// global clipping and AdamW per batch, inside a buffer scope as the trainer runs it. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { parseBertConfig } from '../src/models/bert/config.ts';
import { BertForSequenceClassification } from '../src/models/bert/heads.ts';
import { attachMethod } from '../src/methods/index.ts';
import { AdamW } from '../src/optim/adamw.ts';
import { clipGradNorm } from '../src/optim/clip.ts';
import { noDecay } from '../src/nn/index.ts';
import { scope } from '../src/tensor/index.ts';
import { backendName } from '../src/tensor/backend.ts';

interface EpochCase {
  config: Record<string, unknown>;
  method: string;
  batches: string; // JSON file: [{ input_ids, attention_mask, token_type_ids, labels, batch, seq }]
}
interface FileBatch { input_ids: number[]; attention_mask: number[]; token_type_ids: number[]; labels: number[]; batch: number; seq: number }

const c = JSON.parse(process.argv[2]!) as EpochCase;
const batches = (JSON.parse(readFileSync(c.batches, 'utf8')) as FileBatch[]).map((b) => ({
  inputIds: Int32Array.from(b.input_ids), attentionMask: Int32Array.from(b.attention_mask), tokenTypeIds: Int32Array.from(b.token_type_ids),
  labels: b.labels, batch: b.batch, seqLen: b.seq,
}));
const model = new BertForSequenceClassification(parseBertConfig({ ...c.config, num_labels: 2 }, 'bench config'));
const attached = attachMethod(model, c.method, {});
const trainable = attached.trainable();
const opt = new AdamW([
  { params: trainable.filter(([n]) => !noDecay(n)).map(([, p]) => p) },
  { params: trainable.filter(([n]) => noDecay(n)).map(([, p]) => p), weightDecay: 0 },
].filter((g) => g.params.length > 0), { lr: 1e-4 });
model.train();
const step = (b: (typeof batches)[number]) => scope(() => {
  opt.zeroGrad();
  const loss = model.forward(b, b.labels).loss!;
  loss.backward();
  clipGradNorm(opt.params(), 1.0);
  opt.stepOnce();
  return loss.item();
});
step(batches[0]!); // warm-up (allocations, OpenMP pool)
const t0 = performance.now();
let examples = 0;
for (const b of batches) {
  step(b);
  examples += b.batch;
}
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ seconds, examples, examples_per_s: examples / seconds, maxrss_mb: process.resourceUsage().maxRSS / 1024, backend: backendName() }));
