// LoRA merge/unmerge (exact unmerge, merged == unmerged outputs, a merged model saves as a plain Hugging
// Face checkpoint, gated LoRA refuses) and UniPELT's gates (near 0.5 at init, readable per layer and gate
// after any forward, the masked-mean option).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBertFromDir } from '../../src/models/bert/load.ts';
import { saveBert } from '../../src/models/bert/save.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { attachMethod } from '../../src/methods/index.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { batch, fresh, logits, maxDiff, perturb } from './helpers.ts';

test('LoRA merge equals the unmerged model, and unmerge restores the weights bit for bit', () => {
  const model = fresh();
  const lora = attachMethod(model, 'lora', { targets: ['query', 'value', 'intermediate.dense'] });
  perturb(lora);
  const unmerged = logits(model);
  const weights = model.namedParameters().filter(([n]) => /query\.weight|value\.weight|intermediate\.dense\.weight/.test(n));
  const before = weights.map(([, p]) => Float32Array.from(p.data));
  lora.merge!();
  assert.equal(lora.isMerged!(), true);
  assert.ok(weights.every(([, p], i) => p.data.some((v, j) => v !== before[i]![j])), 'merge changes W');
  const merged = logits(model);
  assert.ok(maxDiff(merged, unmerged) < 1e-5, `merged differs by ${maxDiff(merged, unmerged)}`);
  lora.unmerge!();
  weights.forEach(([n, p], i) => assert.deepEqual(p.data, before[i], `${n} after unmerge`));
  assert.deepEqual(logits(model), unmerged);
});

test('a merged LoRA model saves as a plain Hugging Face checkpoint that loads without pelt\'s methods', () => {
  const model = fresh();
  const lora = attachMethod(model, 'lora');
  perturb(lora);
  lora.merge!();
  const merged = logits(model);
  const added = new Set(lora.added());
  assert.deepEqual([...added].sort().slice(0, 2), ['bert.encoder.layer.0.attention.self.query.lora.A', 'bert.encoder.layer.0.attention.self.query.lora.B']);
  const dir = mkdtempSync(join(tmpdir(), 'pelt-merged-'));
  try {
    saveBert(model, dir, { filter: (n) => !added.has(n) });
    const keys = [...readSafetensors(join(dir, 'model.safetensors')).tensors.keys()];
    assert.ok(keys.every((k) => !k.includes('lora')));
    const { model: plain, report } = loadBertFromDir(dir, { task: 'sequence-classification', quiet: true });
    assert.deepEqual(report.newlyInitialized, []);
    assert.deepEqual(logits(plain), merged);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('UniPELT-NoGate merges its LoRA (alpha/r); gated LoRA refuses with the reason', () => {
  const model = fresh();
  const nogate = attachMethod(model, 'unipelt-nogate', { prefix: { prefixLength: 2, mlpWidth: 8 } });
  perturb(nogate);
  const before = logits(model);
  nogate.merge!();
  assert.ok(maxDiff(logits(model), before) < 1e-5);
  nogate.unmerge!();
  assert.deepEqual(logits(model), before);

  const gated = attachMethod(fresh(), 'unipelt-apl');
  assert.throws(() => gated.merge!(), /cannot merge a gated LoRA \(UniPELT, layer 0 query\): the gate G_L depends on each input/);
  assert.equal(gated.isMerged!(), false);
});

test('gates start near 0.5 and are readable per layer and gate after any forward', () => {
  const model = fresh();
  const apl = attachMethod(model, 'unipelt-apl');
  assert.deepEqual(apl.gates!().map((g) => g.values.length), Array(8).fill(0), 'nothing before a forward');
  logits(model); // eval, no tape
  const readings = apl.gates!();
  assert.deepEqual(readings.map((g) => `${g.layer} ${g.gate}`).sort(), [
    '0 adapter', '0 lora_query', '0 lora_value', '0 prefix', '1 adapter', '1 lora_query', '1 lora_value', '1 prefix',
  ]);
  for (const g of readings) {
    assert.equal(g.values.length, batch.batch);
    for (const v of g.values) assert.ok(Math.abs(v - 0.5) < 0.05, `${g.layer} ${g.gate}: ${v} is not near 0.5`);
  }
  // a training forward of one example: the read-out follows the last forward
  model.train();
  const one = { ...batch, inputIds: batch.inputIds.slice(0, 8), tokenTypeIds: batch.tokenTypeIds!.slice(0, 8), attentionMask: [1, 1, 1, 1, 1, 1, 1, 1], batch: 1 };
  model.forward(one);
  assert.ok(apl.gates!().every((g) => g.values.length === 1));
});

test('masked mean: differs from the official all-positions mean only where there is padding', () => {
  const means = (gateMean: 'all' | 'masked', input = batch) => {
    const model = fresh();
    const u = attachMethod(model, 'unipelt-ap', { gateMean });
    perturb(u, 11);
    noGrad(() => model.eval().forward(input));
    return u.gates!().map((g) => Array.from(g.values));
  };
  const all = means('all'), masked = means('masked');
  for (let i = 0; i < all.length; i++) {
    assert.equal(all[i]![0], masked[i]![0], 'row 0 has no padding');
    assert.notEqual(all[i]![1], masked[i]![1], 'row 1 is padded');
  }
});
