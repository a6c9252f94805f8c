// Adapter files (docs/adapter-format.md): PEFT's layout for LoRA and prefix-tuning (key names, config
// fields and values as PEFT writes them), pelt's layout for adapters and UniPELT (with the head, the gates,
// optionally the generated prefixes), and loads onto a model of the wrong shape that name the tensor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.ts';
import { BertForSequenceClassification } from '../../src/models/bert/heads.ts';
import { parseBertConfig } from '../../src/models/bert/config.ts';
import { attachMethod } from '../../src/methods/index.ts';
import { loadAdapter, saveAdapter } from '../../src/methods/checkpoint.ts';
import { PeltError } from '../../src/util/errors.ts';
import { RANDOM, fresh, logits, maxDiff, perturb } from './helpers.ts';

function tmp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'pelt-ckpt-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const json = (dir: string) => JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
const keys = (dir: string) => [...readSafetensors(join(dir, 'adapter_model.safetensors')).tensors.keys()].sort();

/** The random checkpoint's shape with some fields changed, randomly initialized. */
function other(change: Record<string, unknown>): BertForSequenceClassification {
  const raw = JSON.parse(readFileSync(join(RANDOM, 'config.json'), 'utf8'));
  return new BertForSequenceClassification(parseBertConfig({ ...raw, num_labels: 3, ...change }, 'test'));
}

test('LoRA saves in PEFT\'s layout: PEFT\'s key names and adapter_config.json fields', () => tmp((dir) => {
  const model = fresh();
  const lora = attachMethod(model, 'lora');
  saveAdapter(model, lora, dir, { baseModel: 'pelt-bert-random' });
  assert.deepEqual(keys(dir), [
    'base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight', 'base_model.model.bert.encoder.layer.0.attention.self.query.lora_B.weight',
    'base_model.model.bert.encoder.layer.0.attention.self.value.lora_A.weight', 'base_model.model.bert.encoder.layer.0.attention.self.value.lora_B.weight',
    'base_model.model.bert.encoder.layer.1.attention.self.query.lora_A.weight', 'base_model.model.bert.encoder.layer.1.attention.self.query.lora_B.weight',
    'base_model.model.bert.encoder.layer.1.attention.self.value.lora_A.weight', 'base_model.model.bert.encoder.layer.1.attention.self.value.lora_B.weight',
    'base_model.model.classifier.bias', 'base_model.model.classifier.weight',
  ]);
  const st = readSafetensors(join(dir, 'adapter_model.safetensors'));
  assert.deepEqual(st.metadata, { format: 'pt' });
  assert.deepEqual(st.tensors.get('base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight')!.shape, [8, 32]); // [r, in]
  assert.deepEqual(st.tensors.get('base_model.model.bert.encoder.layer.0.attention.self.query.lora_B.weight')!.shape, [32, 8]); // [out, r]
  const text = readFileSync(join(dir, 'adapter_config.json'), 'utf8');
  const cfg = JSON.parse(text);
  assert.deepEqual(Object.keys(cfg), [...Object.keys(cfg)].sort(), 'sort_keys=True, as PEFT writes it');
  assert.deepEqual(cfg, {
    alpha_pattern: {}, auto_mapping: null, base_model_name_or_path: 'pelt-bert-random', bias: 'none', fan_in_fan_out: false,
    inference_mode: true, init_lora_weights: true, layers_pattern: null, layers_to_transform: null,
    lora_alpha: 16, lora_dropout: 0, modules_to_save: ['classifier', 'score'], peft_type: 'LORA', r: 8, rank_pattern: {},
    revision: null, target_modules: ['query', 'value'], task_type: 'SEQ_CLS', use_dora: false, use_rslora: false,
  });
}));

test('prefix-tuning saves PEFT\'s prompt_embeddings: the generated [P, L*2*H] prefixes, not the MLP', () => tmp((dir) => {
  const model = fresh();
  const prefix = attachMethod(model, 'prefix', { prefixLength: 4, mlpWidth: 16 });
  perturb(prefix);
  saveAdapter(model, prefix, dir);
  assert.deepEqual(keys(dir), ['base_model.classifier.bias', 'base_model.classifier.weight', 'prompt_embeddings']);
  const emb = readSafetensors(join(dir, 'adapter_model.safetensors')).tensors.get('prompt_embeddings')!;
  assert.deepEqual(emb.shape, [4, 2 * 2 * 32]);
  assert.deepEqual(emb.data, prefix.prefixes!().generated.data);
  assert.deepEqual(json(dir), {
    auto_mapping: null, base_model_name_or_path: null, encoder_hidden_size: 16, inference_mode: true, num_attention_heads: 4, num_layers: 2, num_transformer_submodules: 1,
    num_virtual_tokens: 4, peft_type: 'PREFIX_TUNING', prefix_projection: true, revision: null, task_type: 'SEQ_CLS', token_dim: 32,
  });
  // loaded back, the prefixes are the tensor itself (PEFT's inference-mode encoder, projection false)
  const loaded = loadAdapter(fresh(), dir);
  assert.deepEqual(loaded.config, { prefixLength: 4, projection: false, mlpWidth: 16 });
  assert.deepEqual(loaded.groups().method.map(([n, t]) => [n, t.shape]), [['bert.prefix.embedding.weight', [4, 128]]]);
}));

test('a PEFT LoRA adapter as PEFT writes it loads: targets from the keys, alpha/r from the config', () => tmp((dir) => {
  const src = fresh();
  const lora = attachMethod(src, 'lora', { r: 2, alpha: 2, targets: ['query', 'key'] });
  perturb(lora);
  const want = logits(src);
  saveAdapter(src, lora, dir);
  const cfg = json(dir);
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, target_modules: ['key', 'query'], lora_dropout: 0.1, peft_version: '0.17.1' }));
  const loaded = loadAdapter(fresh(), dir);
  assert.deepEqual(loaded.config, { r: 2, alpha: 2, targets: ['query', 'key'], dropout: 0.1, rslora: false });
  assert.equal((loaded as unknown as { scaling: number }).scaling, 1);
  const model = fresh();
  loadAdapter(model, dir);
  assert.deepEqual(logits(model), want); // eval: no LoRA dropout
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, use_dora: true }));
  assert.throws(() => loadAdapter(fresh(), dir), /use_dora true is not supported/);
}));

test('UniPELT saves in pelt\'s layout with gates and head; exported prefixes replace the generator', () => tmp((dir) => {
  const model = fresh();
  const u = attachMethod(model, 'unipelt-apl', { prefix: { prefixLength: 3, mlpWidth: 8 } });
  perturb(u);
  const want = logits(model);
  saveAdapter(model, u, dir, { baseModel: 'random' });
  const cfg = json(dir);
  assert.equal(cfg.format, 'pelt-adapter');
  assert.equal(cfg.method, 'unipelt');
  assert.equal(cfg.model_class, 'BertForSequenceClassification');
  assert.deepEqual([cfg.hidden_size, cfg.num_hidden_layers, cfg.num_attention_heads], [32, 2, 4]);
  const names = keys(dir);
  assert.ok(names.includes('bert.encoder.layer.1.output.adapter_gate.weight'));
  assert.ok(names.includes('bert.encoder.layer.0.attention.self.prefix_gate.bias'));
  assert.ok(names.includes('bert.encoder.layer.0.attention.self.value.lora_gate.weight'));
  assert.ok(names.includes('bert.prefix.transform.2.weight'));
  assert.ok(names.includes('classifier.weight'));
  assert.equal(names.length, u.trainable().length);

  rmSync(dir, { recursive: true });
  saveAdapter(model, u, dir, { exportPrefix: true });
  const exported = json(dir);
  assert.equal(exported.prefix_exported, true);
  assert.equal(exported.config.prefix.projection, false);
  assert.ok(!keys(dir).some((k) => k.includes('transform')));
  assert.deepEqual(readSafetensors(join(dir, 'adapter_model.safetensors')).tensors.get('bert.prefix.embedding.weight')!.shape, [3, 128]);
  const again = fresh();
  const loaded = loadAdapter(again, dir);
  assert.ok(maxDiff(logits(again), want) < 1e-6);
  assert.equal(loaded.groups().method.reduce((n, [, t]) => n + t.size, 0), u.storedMethodValues!());
}));

test('loading onto a model of the wrong shape fails naming the tensor, and leaves no method attached', () => tmp((dir) => {
  const model = fresh();
  const u = attachMethod(model, 'unipelt-apl', { prefix: { prefixLength: 3, mlpWidth: 8 } });
  saveAdapter(model, u, dir);
  const narrow = other({ hidden_size: 16, intermediate_size: 32 });
  assert.throws(() => loadAdapter(narrow, dir), (e: unknown) => e instanceof PeltError && e.code === 'checkpoint'
    && /adapter_model\.safetensors: bert\.[\w.]+: checkpoint has shape \[[\d, ]+\], model expects \[[\d, ]+\]/.test(e.message));
  attachMethod(narrow, 'lora'); // the failed load detached its method
  const shallow = other({ num_hidden_layers: 1 });
  assert.throws(() => loadAdapter(shallow, dir), /bert\.encoder\.layer\.1\.[\w.]+: the model has no such parameter/);
  const twoLabels = other({ num_labels: 2 });
  assert.throws(() => loadAdapter(twoLabels, dir), /classifier\.(weight|bias): checkpoint has shape \[3(, 32)?\], model expects \[2(, 32)?\]/);
}));

test('PEFT adapters onto the wrong model name the tensor too', () => tmp((dir) => {
  const model = fresh();
  saveAdapter(model, attachMethod(model, 'prefix', { prefixLength: 2, mlpWidth: 8 }), join(dir, 'prefix'));
  assert.throws(() => loadAdapter(other({ num_hidden_layers: 3 }), join(dir, 'prefix')), /prompt_embeddings: adapter has shape \[2, 128\], model expects \[2, 192\]/);
  const m2 = fresh();
  saveAdapter(m2, attachMethod(m2, 'lora'), join(dir, 'lora'));
  assert.throws(() => loadAdapter(other({ hidden_size: 64 }), join(dir, 'lora')),
    /adapter_model\.safetensors: bert\.encoder\.layer\.0\.attention\.self\.query\.lora\.A: checkpoint has shape \[8, 32\], model expects \[8, 64\]/);
  // LoRA where pelt has no hook (PEFT's target "dense" would also wrap the pooler)
  writeSafetensors(join(dir, 'lora', 'adapter_model.safetensors'), { 'base_model.model.bert.pooler.dense.lora_A.weight': { shape: [8, 32], data: new Float32Array(256) } });
  assert.throws(() => loadAdapter(fresh(), join(dir, 'lora')), /pooler\.dense\.lora_A\.weight: LoRA outside the encoder layers' projections is not supported/);
}));

test('an adapter for a head model onto a bare BertModel names the tensor and both models', () => tmp((dir) => {
  const model = fresh();
  saveAdapter(model, attachMethod(model, 'adapter'), dir);
  assert.throws(() => loadAdapter(fresh().bert, dir),
    /bert\.encoder\.layer\.0\.output\.adapter\.down\.bias: the model has no such parameter .*saved from a BertForSequenceClassification with hidden size \/ layers \/ heads 32 \/ 2 \/ 4; this model is a BertModel with 32 \/ 2 \/ 4/);
}));
