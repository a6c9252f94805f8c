// Child networks and Fisher scores on disk: round trips, compactness (1 bit per candidate element), the
// recorded model / task / p / counts, and errors that name the file and tensor when they do not fit the model.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as T from '../../../src/tensor/index.ts';
import type { Tensor } from '../../../src/tensor/index.ts';
import { readSafetensors, writeSafetensors } from '../../../src/io/safetensors.ts';
import { Rng } from '../../../src/util/rng.ts';
import {
  childTuning, fisherMask, loadFisher, loadMask, saveFisher, saveMask, type NamedValues,
} from '../../../src/methods/child-tuning/index.ts';

const SHAPES: Record<string, number[]> = {
  'bert.embeddings.word_embeddings.weight': [50, 8],
  'bert.encoder.layer.0.attention.self.query.weight': [13, 7], // 91 elements: a partial last byte
  'bert.encoder.layer.0.attention.self.query.bias': [13],
  'bert.encoder.layer.1.output.dense.weight': [16, 32],
  'classifier.weight': [2, 8],
};

function setup() {
  const rng = new Rng(2);
  const params: [string, Tensor][] = Object.entries(SHAPES).map(([n, s]) => [n, T.zeros(s, 'float32', true)]);
  const scores: NamedValues = new Map(Object.entries(SHAPES).map(([n, s]) => [n, { shape: s, data: Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rng.uniform() ** 3) }]));
  return { params, scores, dir: mkdtempSync(join(tmpdir(), 'pelt-ct-')) };
}

describe('mask files', () => {
  test('round trip: bits, counts and metadata; 1 bit per candidate element', () => {
    const { params, scores, dir } = setup();
    try {
      const r = fisherMask(scores, { p: 0.3 });
      const path = join(dir, 'mask.safetensors');
      const meta = saveMask(path, r.mask, { model: 'pelt-bert-tiny', task: 'RTE', network: 'fisher', p: 0.3, threshold: r.threshold, fisherBatches: 4 });
      assert.equal(meta.candidates, r.candidates);
      assert.equal(meta.kept, r.kept);
      const back = loadMask(path, params);
      assert.deepEqual(back.mask, r.mask);
      assert.equal(back.meta.model, 'pelt-bert-tiny');
      assert.equal(back.meta.task, 'RTE');
      assert.equal(back.meta.mode, 'D');
      assert.equal(back.meta.threshold, r.threshold);
      assert.deepEqual(back.meta.tensors['bert.encoder.layer.0.attention.self.query.weight'], { shape: [13, 7], count: r.mask.get('bert.encoder.layer.0.attention.self.query.weight')!.count });
      const dataBytes = Math.ceil(91 / 8) + Math.ceil(13 / 8) + (16 * 32) / 8;
      assert.ok(statSync(path).size < dataBytes + 2048, `file of ${statSync(path).size} bytes`);
      // the loaded mask drives the transform like the computed one
      assert.equal(childTuning(params, { mode: 'D' }, { mask: back.mask }).child!.kept, r.kept);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  test('errors name the file and the tensor', () => {
    const { params, scores, dir } = setup();
    try {
      const r = fisherMask(scores, { p: 0.3 });
      const path = join(dir, 'mask.safetensors');
      saveMask(path, r.mask, { model: 'm', task: 't', network: 'fisher', p: 0.3 });
      // a model with another shape
      const other = params.map(([n, p]) => [n, n.endsWith('query.weight') ? T.zeros([7, 13], 'float32', true) : p] as [string, Tensor]);
      assert.throws(() => loadMask(path, other), (e: Error) => e.message.includes(path) && e.message.includes('"bert.encoder.layer.0.attention.self.query.weight" has shape [13, 7], the model\'s has [7, 13]'));
      // a model without the tensor, or with a candidate the mask lacks
      assert.throws(() => loadMask(path, params.filter(([n]) => !n.includes('layer.1'))), /mask tensor "bert.encoder.layer.1.output.dense.weight" is not a trainable tensor of the model/);
      const more = [...params, ['bert.encoder.layer.2.output.dense.bias', T.zeros([4], 'float32', true)] as [string, Tensor]];
      assert.throws(() => loadMask(path, more), /no mask for the model's tensor "bert.encoder.layer.2.output.dense.bias"/);
      assert.throws(() => childTuning(more, { mode: 'D' }, { mask: loadMask(path).mask }), /no entry for candidate tensor "bert.encoder.layer.2.output.dense.bias"/);
      // corrupt counts, and a file of another kind
      const f = readSafetensors(path);
      const meta = JSON.parse(f.metadata['pelt.child_tuning']!);
      meta.tensors['bert.encoder.layer.0.attention.self.query.bias'].count += 1;
      writeSafetensors(join(dir, 'bad.safetensors'), f.other, { 'pelt.child_tuning': JSON.stringify(meta) });
      assert.throws(() => loadMask(join(dir, 'bad.safetensors')), /bad.safetensors: tensor "bert.encoder.layer.0.attention.self.query.bias" has \d+ bits set but the metadata says/);
      saveFisher(join(dir, 'fisher.safetensors'), scores, { model: 'm', task: 't', batches: 1 });
      assert.throws(() => loadMask(join(dir, 'fisher.safetensors')), /fisher.safetensors: a "pelt-child-tuning-fisher" file, expected "pelt-child-tuning-mask"/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('Fisher files', () => {
  test('round trip as F32 with metadata; shape errors name the tensor', () => {
    const { params, scores, dir } = setup();
    try {
      const path = join(dir, 'fisher.safetensors');
      saveFisher(path, scores, { model: 'pelt-bert-tiny', task: 'SST-2', batches: 4211, batchSize: 16, maxGradNorm: 1, modelMode: 'train' });
      const back = loadFisher(path, params);
      assert.deepEqual([...back.scores.keys()].sort(), Object.keys(SHAPES).sort());
      for (const [n, v] of scores) assert.deepEqual(back.scores.get(n)!.data, v.data);
      assert.equal(back.meta.batches, 4211);
      assert.equal(back.meta.task, 'SST-2');
      const other = params.map(([n, p]) => [n, n === 'classifier.weight' ? T.zeros([3, 8], 'float32', true) : p] as [string, Tensor]);
      assert.throws(() => loadFisher(path, other), /fisher.safetensors: Fisher tensor "classifier.weight" has shape \[2, 8\], the model's has \[3, 8\]/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
