// `npx tsx bench/child-tuning.ts [--json] [--quick] [--model DIR] [--rows N]`: Child-Tuning's costs.
//  1. Child-Tuning_F's mask: generating it for every trainable tensor of a bert-base-shaped layer (batch 16 x 128)
//     against that layer's training step, the step with and without the mask installed, and the mask for a
//     whole bert-base (110M elements) against 12 layer steps (a lower bound of the model's step).
//  2. Child-Tuning_D's Fisher pass (train mode, per-tensor clip, grad^2 / N, then the threshold) against one
//     training epoch on the same batches, and against PyTorch doing the same pass in the same run
//     (bench/torch_fisher.py).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as T from '../src/tensor/index.ts';
import { AdamW } from '../src/optim/adamw.ts';
import { clipGradNorm } from '../src/optim/clip.ts';
import { Rng } from '../src/util/rng.ts';
import { readTsv } from '../src/data/tsv.ts';
import { BertTokenizer } from '../src/tokenizers/bert.ts';
import { loadBertFromDir } from '../src/models/bert/load.ts';
import { normal_ } from '../src/nn/init.ts';
import { nativeInfo } from '../src/tensor/backends/native.ts';
import { ChildTuningF, fisher, fisherMask } from '../src/methods/child-tuning/index.ts';
import { BenchLayer } from './layer.ts';
import { python, root, runJson, torchEnv } from './peer.ts';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const opt = (name: string, dflt: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : dflt);
const quick = flag('--quick');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const log = (s: string) => { if (!flag('--json')) process.stderr.write(`  ${s}\n`); };

// ---- 1. F-mask overhead, bert-base-shaped layer ----
const shape = { batch: 16, seq: 128, hidden: 768, heads: 12, ffn: 3072, loraRank: 0 };
const layer = new BenchLayer(shape);
const params = Object.entries(layer.params).filter(([, p]) => p.requiresGrad) as [string, T.Tensor][];
const x = T.tensor(new Float32Array(shape.batch * shape.seq * shape.hidden).map(() => Math.random() * 2 - 1), [shape.batch, shape.seq, shape.hidden]);
const attnMask = T.zeros([shape.batch, shape.seq]);
const optim = new AdamW(params.map(([, p]) => p), { lr: 1e-4 });
const f = new ChildTuningF(params, 0.3, 42);
const step = (masked: boolean) => {
  optim.gradMask = masked ? f.gradMask : null;
  optim.zeroGrad();
  T.mean(T.square(layer.forward(x, attnMask, true))).backward();
  optim.stepOnce();
};
const iters = quick ? 3 : 8;
step(false);
step(true);
const plain: number[] = [], masked: number[] = [], gen: number[] = [], adamPlain: number[] = [], adamMasked: number[] = [];
for (let i = 0; i < iters; i++) { // interleaved, so drift hits both
  for (const m of [false, true]) {
    const t0 = performance.now();
    step(m);
    (m ? masked : plain).push(performance.now() - t0);
  }
  const t0 = performance.now();
  for (const [, p] of params) f.maskFor(p, 1000 + i);
  gen.push(performance.now() - t0);
  for (const m of [false, true]) { // the optimizer step alone (gradients kept from the last backward)
    optim.gradMask = m ? f.gradMask : null;
    const t1 = performance.now();
    optim.stepOnce();
    (m ? adamMasked : adamPlain).push(performance.now() - t1);
  }
}
const layerElems = params.reduce((s, [, p]) => s + p.size, 0);
// a whole bert-base: embeddings (30522 + 512 + 2 rows, LayerNorm), 12 layers, pooler, 2-label head
const baseElems = (30522 + 512 + 2) * 768 + 2 * 768 + 12 * layerElems + 768 * 768 + 768 + 2 * 768 + 2;
const big = new Float32Array(baseElems);
const K = T.activeKernels();
const genBase: number[] = [];
for (let i = 0; i < (quick ? 2 : 5); i++) {
  const t0 = performance.now();
  K.bernoulliMask(big, baseElems, 0.3, 1 / 0.3, i, 0);
  genBase.push(performance.now() - t0);
}
const fmask = {
  layer_elements: layerElems, layer_step_ms: median(plain), layer_step_masked_ms: median(masked), mask_gen_ms: median(gen),
  mask_gen_pct_of_step: (100 * median(gen)) / median(plain), step_overhead_pct: (100 * (median(masked) - median(plain))) / median(plain),
  adamw_ms: median(adamPlain), adamw_masked_ms: median(adamMasked),
  bert_base_elements: baseElems, bert_base_mask_gen_ms: median(genBase),
  bert_base_mask_pct_of_12_layer_steps: (100 * median(genBase)) / (12 * median(plain)),
};
log(`F mask: ${JSON.stringify(fmask)}`);

// ---- 2. Fisher pass vs one epoch vs PyTorch ----
const modelDir = resolve(root, opt('--model', '../shared/models/pelt-bert-mini'));
const rows = Number(opt('--rows', quick ? '128' : '512'));
const tsv = readTsv(resolve(root, '../shared/data/glue/SST-2/train.tsv'));
const tok = BertTokenizer.fromFolder(modelDir);
const batches: { input: { inputIds: Int32Array; tokenTypeIds: Int32Array; attentionMask: Int32Array; batch: number; seqLen: number }; labels: number[] }[] = [];
for (let i = 0; i < rows; i += 16) {
  const chunk = tsv.rows.slice(i, Math.min(rows, i + 16));
  const enc = tok.encodeBatch(chunk.map((r) => r[0]!), { maxLength: 128 });
  batches.push({ input: enc, labels: chunk.map((r) => Number(r[1])) });
}
const load = () => {
  const { model, config } = loadBertFromDir(modelDir, { task: 'sequence-classification', numLabels: 2, quiet: true });
  normal_(model.classifier.weight, new Rng(7), 0.02);
  model.classifier.bias!.data.fill(0);
  model.train(); // official: dropout on during the Fisher pass
  return { model, config };
};
const { model, config } = load();
const loss = (b: (typeof batches)[number]) => model.forward(b.input, b.labels).loss!;
for (const b of batches.slice(0, 2)) loss(b).backward(); // warm-up, not timed
for (const [, p] of model.namedParameters()) p.grad = null;
let t0 = performance.now();
const F = fisher(model.trainableParameters(), batches, loss);
const child = fisherMask(F.scores, { p: 0.3 });
const fisherMs = performance.now() - t0;
const trainModel = load().model;
const trainParams = trainModel.trainableParameters().map(([, p]) => p);
const adam = new AdamW(trainParams, { lr: 4e-5 });
t0 = performance.now();
for (const b of batches) {
  adam.zeroGrad();
  trainModel.forward(b.input, b.labels).loss!.backward();
  clipGradNorm(trainParams, 1);
  adam.stepOnce();
}
const epochMs = performance.now() - t0;

const dir = mkdtempSync(join(tmpdir(), 'pelt-bench-ct-'));
let torch: Record<string, number | string>;
try {
  const casePath = join(dir, 'case.json');
  writeFileSync(casePath, JSON.stringify({
    model_dir: modelDir, threads: cpus().length,
    head: { weight: Array.from(model.classifier.weight.data), bias: Array.from(model.classifier.bias!.data) },
    batches: batches.map((b) => {
      const rowsOf = (a: ArrayLike<number>) => Array.from({ length: b.input.batch }, (_, i) => Array.from(a).slice(i * b.input.seqLen, (i + 1) * b.input.seqLen));
      return { input_ids: rowsOf(b.input.inputIds), token_type_ids: rowsOf(b.input.tokenTypeIds), attention_mask: rowsOf(b.input.attentionMask), labels: b.labels };
    }),
  }));
  torch = runJson(python, ['bench/torch_fisher.py', casePath], torchEnv());
} finally {
  rmSync(dir, { recursive: true });
}
const fisherPass = {
  model: `${modelDir.split('/').pop()} (L${config.num_hidden_layers} H${config.hidden_size})`, rows, batches: batches.length,
  pelt_fisher_ms: fisherMs, pelt_epoch_ms: epochMs, pelt_fisher_over_epoch: fisherMs / epochMs,
  torch_fisher_ms: +torch.fisher_ms!, torch_epoch_ms: +torch.epoch_ms!, pelt_over_torch_fisher: fisherMs / +torch.fisher_ms!,
  pelt_kept: child.kept, torch_kept: torch.kept, candidates: child.candidates,
};
log(`Fisher: ${JSON.stringify(fisherPass)}`);

const meta = { date: new Date().toISOString().slice(0, 10), cpus: cpus().length, cpu: cpus()[0]?.model, backend: T.backendName(), native: nativeInfo() };
if (flag('--json')) console.log(JSON.stringify({ meta, fmask, fisher: fisherPass }, null, 2));
else {
  const d = (v: number, n = 1) => v.toFixed(n);
  console.log(`Child-Tuning costs ${meta.date}, ${meta.cpus} cores (${meta.cpu}), backend ${meta.backend}`);
  console.log('| measurement | value |\n|---|---|');
  console.log(`| bert-base layer train step (16 x 128), ${(layerElems / 1e6).toFixed(2)}M trainable | ${d(fmask.layer_step_ms)} ms |`);
  console.log(`| same step with Child-Tuning_F installed | ${d(fmask.layer_step_masked_ms)} ms (${d(fmask.step_overhead_pct)}%) |`);
  console.log(`| F mask generation for the layer's tensors | ${d(fmask.mask_gen_ms, 2)} ms (${d(fmask.mask_gen_pct_of_step, 2)}% of the step) |`);
  console.log(`| AdamW step of the layer, without / with mask | ${d(fmask.adamw_ms, 2)} / ${d(fmask.adamw_masked_ms, 2)} ms |`);
  console.log(`| F mask for a whole bert-base (${(baseElems / 1e6).toFixed(1)}M) | ${d(fmask.bert_base_mask_gen_ms)} ms (${d(fmask.bert_base_mask_pct_of_12_layer_steps, 2)}% of 12 layer steps) |`);
  console.log(`| Fisher pass, ${fisherPass.model}, ${rows} SST-2 rows, pelt | ${d(fisherMs)} ms (${d(fisherPass.pelt_fisher_over_epoch, 2)} x one epoch, ${d(epochMs)} ms) |`);
  console.log(`| Fisher pass, PyTorch ${torch.torch} | ${d(+torch.fisher_ms!)} ms (epoch ${d(+torch.epoch_ms!)} ms); pelt / PyTorch ${d(fisherPass.pelt_over_torch_fisher, 2)} |`);
}
