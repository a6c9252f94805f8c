// Loading and saving Hugging Face BERT folders: round trips, key prefixes, announcements, errors; fill-mask.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors, writeSafetensors, type SafetensorsTensor } from '../../src/io/safetensors.ts';
import { loadBert, loadBertFromDir } from '../../src/models/bert/load.ts';
import { saveBert } from '../../src/models/bert/save.ts';
import { fillMask } from '../../src/models/bert/fill-mask.ts';
import { BertForPreTraining } from '../../src/models/bert/heads.ts';
import { BertTokenizer } from '../../src/tokenizers/bert.ts';
import { PeltError } from '../../src/util/errors.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const TINY = resolve(root, '../shared/models/pelt-bert-tiny');
const RANDOM = join(root, 'test/fixtures/bert/random');

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'pelt-bert-'));
}

/** A copy of the random checkpoint with its tensors edited. */
function edited(edit: (t: Map<string, SafetensorsTensor>) => void): string {
  const dir = scratch();
  copyFileSync(join(RANDOM, 'config.json'), join(dir, 'config.json'));
  const tensors = new Map(readSafetensors(join(RANDOM, 'model.safetensors')).tensors);
  edit(tensors);
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  return dir;
}

function captureStderr<T>(fn: () => T): { result: T; lines: string[] } {
  const lines: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    return { result: fn(), lines };
  } finally {
    process.stderr.write = write;
  }
}

function throwsPelt(fn: () => unknown, code: string, ...mentions: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof PeltError, `expected a PeltError, got ${err}`);
    assert.equal(err.code, code, err.message);
    for (const m of mentions) assert.ok(err.message.includes(m), `"${err.message}" does not mention ${m}`);
    return true;
  });
}

test('load -> save -> load gives identical tensors (pretraining and classification, tied decoder kept shared)', async () => {
  for (const [src, task] of [[TINY, 'pretraining'], [RANDOM, 'sequence-classification']] as const) {
    const { model } = await loadBert(src, { task, quiet: true });
    const dir = scratch();
    try {
      saveBert(model, dir);
      const again = loadBertFromDir(dir, { task, quiet: true });
      assert.deepEqual(again.report, { newlyInitialized: [], unexpected: [] });
      const a = model.namedParameters(), b = again.model.namedParameters();
      assert.deepEqual(b.map(([n]) => n), a.map(([n]) => n));
      a.forEach(([name, t], i) => assert.deepEqual(b[i]![1].data, t.data, name));
      const saved = readSafetensors(join(dir, 'model.safetensors'));
      assert.equal(saved.metadata.format, 'pt');
      assert.ok(!saved.tensors.has('cls.predictions.decoder.weight'), 'the tied decoder is not written twice');
      assert.deepEqual(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).architectures, [model.constructor.name]);
      const m = again.model;
      if (m instanceof BertForPreTraining) {
        assert.equal(m.cls.predictions._decoderWeight, m.bert.embeddings.word_embeddings.weight, 'decoder shares the embedding tensor');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('a fresh classifier is announced on one stderr line and returned; pretraining heads are unexpected', () => {
  const { result, lines } = captureStderr(() => loadBertFromDir(RANDOM, { task: 'sequence-classification', numLabels: 3 }));
  assert.deepEqual(result.report.newlyInitialized, ['classifier.weight', 'classifier.bias']);
  assert.ok(result.report.unexpected.includes('cls.seq_relationship.weight'));
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /BertForSequenceClassification.*newly initialized: classifier\.weight, classifier\.bias/);
  assert.deepEqual(result.model.classifier.weight.shape, [3, 32]);
  assert.equal(result.config.num_labels, 3);
  // initialized as transformers does: normal(0, initializer_range), bias 0
  const w = result.model.classifier.weight.data;
  const std = Math.sqrt(Array.from(w).reduce((s, v) => s + v * v, 0) / w.length);
  assert.ok(std > 0.01 && std < 0.03, `classifier weight std ${std}`);
  assert.ok(result.model.classifier.bias!.data.every((v) => v === 0));
  const quiet = captureStderr(() => loadBertFromDir(RANDOM, { task: 'sequence-classification', quiet: true }));
  assert.equal(quiet.lines.length, 0);
});

test('checkpoints with and without the "bert." prefix load either way, as transformers does', () => {
  const base = loadBertFromDir(RANDOM, { task: 'base', quiet: true }); // strips "bert."
  assert.ok(base.report.unexpected.every((k) => k.startsWith('cls.')));
  const dir = scratch();
  try {
    saveBert(base.model, dir); // a BertModel checkpoint: no prefix
    const keys = [...readSafetensors(join(dir, 'model.safetensors')).tensors.keys()];
    assert.ok(keys.includes('encoder.layer.0.attention.self.query.weight') && !keys.some((k) => k.startsWith('bert.')));
    const head = loadBertFromDir(dir, { task: 'pretraining', quiet: true }); // adds "bert."
    assert.deepEqual(head.report.newlyInitialized.filter((k) => k.startsWith('bert.')), []);
    assert.deepEqual(head.model.bert.encoder.layer[1]!.output.dense.weight.data, base.model.encoder.layer[1]!.output.dense.weight.data);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing encoder weight is an error naming it', () => {
  const dir = edited((t) => t.delete('bert.encoder.layer.1.attention.self.value.bias'));
  try {
    throwsPelt(() => loadBertFromDir(dir, { task: 'sequence-classification', quiet: true }), 'checkpoint', 'bert.encoder.layer.1.attention.self.value.bias', 'missing');
    throwsPelt(() => loadBertFromDir(dir, { task: 'base', quiet: true }), 'checkpoint', 'encoder.layer.1.attention.self.value.bias');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing pooler is newly initialized (MLM-only checkpoints have none), not an error', () => {
  const dir = edited((t) => {
    t.delete('bert.pooler.dense.weight');
    t.delete('bert.pooler.dense.bias');
  });
  try {
    const { report } = loadBertFromDir(dir, { task: 'pretraining', quiet: true });
    assert.deepEqual(report.newlyInitialized, ['bert.pooler.dense.weight', 'bert.pooler.dense.bias']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a tensor of the wrong shape is an error naming it and both shapes', () => {
  const dir = edited((t) => {
    const w = t.get('bert.encoder.layer.0.intermediate.dense.weight')!;
    t.set('bert.encoder.layer.0.intermediate.dense.weight', { ...w, shape: [32, 64] });
  });
  try {
    throwsPelt(() => loadBertFromDir(dir, { task: 'base', quiet: true }), 'checkpoint', 'encoder.layer.0.intermediate.dense.weight', '[32, 64]', '[64, 32]');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const tied = edited((t) => t.set('cls.predictions.decoder.weight', { dtype: 'F32', shape: [10], data: new Float32Array(10) }));
  try {
    throwsPelt(() => loadBertFromDir(tied, { task: 'pretraining', quiet: true }), 'checkpoint', 'cls.predictions.decoder.weight');
  } finally {
    rmSync(tied, { recursive: true, force: true });
  }
});

test('an encoder weight the config does not have is an error (config and checkpoint disagree)', () => {
  const dir = edited((t) => t.set('bert.encoder.layer.2.output.dense.bias', { dtype: 'F32', shape: [32], data: new Float32Array(32) }));
  try {
    throwsPelt(() => loadBertFromDir(dir, { task: 'pretraining', quiet: true }), 'checkpoint', 'bert.encoder.layer.2.output.dense.bias', 'config.json');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a folder without model.safetensors, or with an unsupported config, fails with the reason', () => {
  const dir = scratch();
  try {
    copyFileSync(join(RANDOM, 'config.json'), join(dir, 'config.json'));
    writeFileSync(join(dir, 'pytorch_model.bin'), '');
    throwsPelt(() => loadBertFromDir(dir, { task: 'base' }), 'checkpoint', 'model.safetensors', 'pytorch_model.bin');
    const cfg = JSON.parse(readFileSync(join(RANDOM, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, position_embedding_type: 'relative_key' }));
    throwsPelt(() => loadBertFromDir(dir, { task: 'base' }), 'config', 'position_embedding_type');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fill-mask on pelt-bert-tiny gives the PyTorch reference top-10 tokens and probabilities', async () => {
  const meta = JSON.parse(readFileSync(join(root, 'test/fixtures/bert/tiny/inputs.json'), 'utf8'));
  const { model } = await loadBert(TINY, { task: 'pretraining' });
  const tokenizer = BertTokenizer.fromFolder(TINY);
  for (const ref of meta.fill_mask as { text: string; input_ids: number[]; top: { id: number; token: string; prob: number }[] }[]) {
    assert.deepEqual(Array.from(tokenizer.encodeBatch([ref.text]).inputIds), ref.input_ids);
    const [preds] = fillMask(model, tokenizer, ref.text, 10);
    assert.deepEqual(preds!.map((p) => p.token_str), ref.top.map((t) => t.token), ref.text);
    preds!.forEach((p, i) => assert.ok(Math.abs(p.score - ref.top[i]!.prob) < 1e-5, `${p.token_str}: ${p.score} vs ${ref.top[i]!.prob}`));
  }
  const [top] = fillMask(model, tokenizer, 'the capital of france is [MASK].', 1);
  assert.deepEqual(top, [{ score: top![0]!.score, token: 1012, token_str: '.', sequence: 'the capital of france is..' }]);
  assert.equal(model.training, true, 'fill-mask restores the training mode');
});
