// The Fisher pass against a PyTorch fixture of the official procedure (scripts/fixtures/child_tuning_fixtures.py):
// pelt-bert-tiny on 55 SST-2 training rows in a fixed batch order (16, 16, 16, 7), and a random small BERT with a
// 3-label (cross-entropy) and a 1-label (MSE) head. Eval mode: identical dropout across frameworks is impossible.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as T from '../../../src/tensor/index.ts';
import { readSafetensors } from '../../../src/io/safetensors.ts';
import { readTsv } from '../../../src/data/tsv.ts';
import { BertTokenizer } from '../../../src/tokenizers/bert.ts';
import { loadBertFromDir } from '../../../src/models/bert/load.ts';
import type { BertForSequenceClassification } from '../../../src/models/bert/heads.ts';
import type { BertInput } from '../../../src/models/bert/model.ts';
import { fisher, fisherMask, type FisherScores } from '../../../src/methods/child-tuning/index.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');
const FX = join(root, 'test/fixtures/child-tuning');
const TINY = resolve(root, '../shared/models/pelt-bert-tiny');
const GLUE = resolve(root, '../shared/data/glue');

interface Stats { sum: number; sq_sum: number; max: number; nonzero: number }
interface Threshold { p: number; lowest: boolean; polar: number; counts: Record<string, number>; candidates: number; kept: number }
interface TinyMeta { stats: Record<string, Stats>; thresholds: Threshold[]; batches: { rows: number[]; input_ids: number[][]; labels: number[] }[] }

const backends = T.nativeAvailable() ? (['native', 'js'] as const) : (['js'] as const);

function setHead(model: BertForSequenceClassification, tensors: Map<string, { data: Float32Array }>, w: string, b: string): void {
  model.classifier.weight.data.set(tensors.get(w)!.data);
  model.classifier.bias!.data.set(tensors.get(b)!.data);
}

function padded(ids: number[][]): BertInput {
  return {
    inputIds: Int32Array.from(ids.flat()), batch: ids.length, seqLen: ids[0]!.length,
    attentionMask: ids.flat().map((id, i) => (id !== 0 || i % ids[0]!.length === 0 ? 1 : 0)),
  };
}

/**
 * Max |a - b| <= rel * max |b| + floor: Fisher values span decades, so compare at the tensor's own scale.
 * The floor (a millionth of the D threshold) covers tensors whose true gradient is 0 and whose scores are
 * rounding noise: attention key biases (softmax ignores a per-row constant) sit near 1e-17.
 */
function closeScaled(what: string, got: Float32Array, want: Float32Array, rel: number, floor: number): void {
  let scale = 0, diff = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]!));
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
  }
  assert.ok(diff <= rel * scale + floor, `${what}: max |diff| ${diff.toExponential(3)} > ${rel} * ${scale.toExponential(3)}`);
}

function checkStats(what: string, got: Float32Array, want: Stats, rel: number, floor: number): void {
  let sum = 0, sq = 0, max = 0, nz = 0;
  for (const v of got) {
    sum += v;
    sq += v * v;
    max = Math.max(max, v);
    if (v !== 0) nz++;
  }
  if (want.max < floor) { // rounding noise (see closeScaled)
    assert.ok(max < floor, `${what}: max ${max}, torch ${want.max}, both should be noise below ${floor}`);
    return;
  }
  const near = (a: number, b: number, f: number) => Math.abs(a - b) <= rel * Math.abs(b) + f;
  assert.ok(near(sum, want.sum, floor * got.length) && near(sq, want.sq_sum, floor * floor * got.length) && near(max, want.max, floor),
    `${what}: sum ${sum} / ${want.sum}, sq ${sq} / ${want.sq_sum}, max ${max} / ${want.max}`);
  assert.equal(nz, want.nonzero, `${what}: nonzero elements`);
}

describe('Fisher on pelt-bert-tiny, SST-2, against PyTorch', () => {
  const meta = JSON.parse(readFileSync(join(FX, 'fisher-tiny.json'), 'utf8')) as TinyMeta;
  const full = readSafetensors(join(FX, 'fisher-tiny.safetensors')).tensors;

  test('the fixture batches are the SST-2 train rows as pelt tokenizes them', () => {
    const tsv = readTsv(join(GLUE, 'SST-2/train.tsv'));
    const tok = BertTokenizer.fromFolder(TINY);
    for (const b of meta.batches) {
      const enc = tok.encodeBatch(b.rows.map((r) => tsv.rows[r]![0]!.trim()));
      assert.deepEqual(Array.from(enc.inputIds), b.input_ids.flat());
      assert.deepEqual(b.rows.map((r) => Number(tsv.rows[r]![1])), b.labels);
    }
  });

  for (const backend of backends) {
    test(`scores, thresholds and child-network sizes, ${backend}`, () => {
      T.setBackend(backend);
      const { model } = loadBertFromDir(TINY, { task: 'sequence-classification', numLabels: 2, quiet: true });
      setHead(model, full, 'classifier.weight', 'classifier.bias');
      model.eval();
      const params = model.trainableParameters();
      const batches = meta.batches.map((b) => ({ input: padded(b.input_ids), labels: b.labels }));
      const losses: number[] = [];
      const F = fisher(params, batches, (b) => model.forward(b.input, b.labels).loss!, { onBatch: (_, l) => losses.push(l) });
      assert.equal(F.batches, 4);
      assert.equal(losses.length, 4);
      assert.ok(params.every(([, p]) => p.grad === null), 'gradients cleared');
      assert.deepEqual([...F.scores.keys()].sort(), Object.keys(meta.stats).sort());
      const floor = 1e-6 * meta.thresholds[0]!.polar;
      for (const [name, s] of Object.entries(meta.stats)) checkStats(name, F.scores.get(name)!.data, s, 2e-5, floor);
      for (const [name, want] of full) {
        if (name.startsWith('classifier')) continue; // the head's weights, stored for loading
        closeScaled(name, F.scores.get(name)!.data, want.data, 2e-5, floor);
      }
      for (const t of meta.thresholds) {
        const r = fisherMask(F.scores, { p: t.p, lowest: t.lowest });
        assert.equal(r.candidates, t.candidates);
        assert.ok(Math.abs(r.threshold! - t.polar) <= 2e-5 * t.polar, `p ${t.p} lowest ${t.lowest}: polar ${r.threshold} vs ${t.polar}`);
        // elements within float noise of the threshold may fall either side
        assert.ok(Math.abs(r.kept - t.kept) <= 1e-4 * t.candidates, `kept ${r.kept} vs ${t.kept}`);
        for (const [name, count] of Object.entries(t.counts)) {
          assert.ok(Math.abs(r.mask.get(name)!.count - count) <= 1e-4 * t.candidates, `${name}: ${r.mask.get(name)!.count} vs ${count}`);
        }
        assert.ok(Math.abs(t.kept - t.p * t.candidates) <= 1, 'torch keeps p_D of the candidates');
      }
      T.setBackend('js');
    });
  }
});

describe('Fisher on a random small BERT against PyTorch (cross-entropy and MSE)', () => {
  const meta = JSON.parse(readFileSync(join(FX, 'adamw-random.json'), 'utf8')) as {
    batches: { input_ids: number[][]; token_type_ids: number[][]; attention_mask: number[][]; labels: number[]; targets: number[] }[];
    polar: number; mask_bits: Record<string, string>; regression: { stats: Record<string, Stats>; thresholds: Threshold[] };
  };
  const fx = readSafetensors(join(FX, 'adamw-random.safetensors')).tensors;
  const heads = readSafetensors(join(root, 'test/fixtures/bert/random/heads.safetensors')).tensors;
  const batches = meta.batches.map((b) => ({
    input: { inputIds: Int32Array.from(b.input_ids.flat()), tokenTypeIds: Int32Array.from(b.token_type_ids.flat()), attentionMask: b.attention_mask.flat(), batch: b.input_ids.length, seqLen: b.input_ids[0]!.length },
    labels: b.labels, targets: b.targets,
  }));
  const run = (head: 'cls3' | 'reg'): FisherScores => {
    const { model } = loadBertFromDir(join(root, 'test/fixtures/bert/random'), { task: 'sequence-classification', numLabels: head === 'cls3' ? 3 : 1, quiet: true });
    setHead(model, heads, `${head}.weight`, `${head}.bias`);
    model.eval();
    const params = model.trainableParameters();
    return fisher(params, batches, (b) => model.forward(b.input, head === 'cls3' ? b.labels : b.targets).loss!);
  };

  for (const backend of backends) {
    test(`every tensor's Fisher, and the D mask bit for bit from torch's scores, ${backend}`, () => {
      T.setBackend(backend);
      const F = run('cls3');
      const floor = 1e-6 * meta.polar;
      for (const [name, s] of F.scores) closeScaled(name, s.data, fx.get(`fisher.${name}`)!.data, 2e-5, floor);
      // the threshold step alone, on torch's own Fisher values: numpy's polar and torch's mask exactly
      const torchF = new Map([...F.scores.keys()].map((n) => [n, { shape: F.scores.get(n)!.shape, data: fx.get(`fisher.${n}`)!.data }]));
      const r = fisherMask(torchF, { p: 0.3 });
      assert.equal(r.threshold, meta.polar);
      for (const [name, hex] of Object.entries(meta.mask_bits)) assert.equal(Buffer.from(r.mask.get(name)!.bits).toString('hex'), hex, name);
      const reg = run('reg');
      const regFloor = 1e-6 * meta.regression.thresholds[0]!.polar;
      for (const [name, s] of Object.entries(meta.regression.stats)) checkStats(`reg ${name}`, reg.scores.get(name)!.data, s, 2e-5, regFloor);
      for (const [key, want] of fx) if (key.startsWith('fisher_reg.')) closeScaled(key, reg.scores.get(key.slice(11))!.data, want.data, 2e-5, regFloor);
      T.setBackend('js');
    });
  }

  test('numBatches: accumulates grad^2 / N per batch; an iterator sums and divides once; counts are checked', () => {
    const { model } = loadBertFromDir(join(root, 'test/fixtures/bert/random'), { task: 'sequence-classification', numLabels: 3, quiet: true });
    model.eval();
    const params = model.trainableParameters();
    const loss = (b: (typeof batches)[number]) => model.forward(b.input, b.labels).loss!;
    const a = fisher(params, batches, loss);
    const b = fisher(params, batches.values(), loss);
    for (const [name, s] of a.scores) closeScaled(name, b.scores.get(name)!.data, s.data, 1e-6, 0);
    assert.throws(() => fisher(params, batches.values(), loss, { numBatches: 3 }), /more batches than numBatches/);
    assert.throws(() => fisher(params, [], loss), /no batches|positive integer, got 0/);
    assert.throws(() => fisher(params, [].values(), loss), /no batches/);
  });
});
