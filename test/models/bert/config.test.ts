import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bertConfigToJson, parseBertConfig, readBertConfig, writeBertConfig } from '../../../src/models/bert/config.ts';
import { PeltError } from '../../../src/util/errors.ts';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../..');
const tinyDir = resolve(repoRoot, '../shared/models/pelt-bert-tiny');

test('reads pelt-bert-tiny config.json', { skip: !existsSync(tinyDir) && 'shared models not present' }, () => {
  const c = readBertConfig(tinyDir);
  assert.equal(c.hidden_size, 128);
  assert.equal(c.num_hidden_layers, 2);
  assert.equal(c.num_attention_heads, 2);
  assert.equal(c.intermediate_size, 512);
  assert.equal(c.vocab_size, 30522);
  assert.equal(c.layer_norm_eps, 1e-12);
  assert.equal(c.hidden_act, 'gelu');
  assert.deepEqual(c.architectures, ['BertForPreTraining']);
  assert.equal(c.num_labels, 2);
  assert.deepEqual(c.id2label, { 0: 'LABEL_0', 1: 'LABEL_1' });
  assert.deepEqual(c.label2id, { LABEL_0: 0, LABEL_1: 1 });
  assert.equal(c['torch_dtype'], 'float32', 'unknown keys pass through');
  assert.equal(c['use_cache'], true);
});

test('Hugging Face defaults fill a sparse config', () => {
  const c = parseBertConfig({}, 'sparse');
  assert.equal(c.model_type, 'bert');
  assert.equal(c.vocab_size, 30522);
  assert.equal(c.hidden_size, 768);
  assert.equal(c.num_hidden_layers, 12);
  assert.equal(c.num_attention_heads, 12);
  assert.equal(c.intermediate_size, 3072);
  assert.equal(c.hidden_dropout_prob, 0.1);
  assert.equal(c.attention_probs_dropout_prob, 0.1);
  assert.equal(c.max_position_embeddings, 512);
  assert.equal(c.type_vocab_size, 2);
  assert.equal(c.pad_token_id, 0);
  assert.equal(c.position_embedding_type, 'absolute');
  assert.equal(c.classifier_dropout, null);
  assert.equal(c.problem_type, null);
  assert.equal(c.tie_word_embeddings, true);
  assert.equal(c.num_labels, 2);
});

test('labels: num_labels builds LABEL_i; id2label wins and sets num_labels', () => {
  assert.deepEqual(parseBertConfig({ num_labels: 3 }, 's').id2label, { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' });
  const c = parseBertConfig({ id2label: { 1: 'pos', 0: 'neg' }, problem_type: 'single_label_classification' }, 's');
  assert.equal(c.num_labels, 2);
  assert.deepEqual(c.label2id, { neg: 0, pos: 1 });
  const r = parseBertConfig({ num_labels: 1, problem_type: 'regression' }, 's');
  assert.equal(r.num_labels, 1);
});

test('save: sorted keys, extra keys kept, num_labels left out; loads back identically', () => {
  const c = parseBertConfig({ hidden_size: 64, num_attention_heads: 4, id2label: { 0: 'a', 1: 'b', 2: 'c' }, transformers_version: '4.40.0', custom: { x: [1] } }, 's');
  const json = bertConfigToJson(c);
  assert.deepEqual(Object.keys(json), Object.keys(json).sort());
  assert.equal(json['custom'] && (json['custom'] as { x: number[] }).x[0], 1);
  assert.equal(json['transformers_version'], '4.40.0');
  assert.ok(!('num_labels' in json));
  assert.deepEqual(parseBertConfig(JSON.parse(JSON.stringify(json)), 'again'), c);

  const dir = mkdtempSync(join(tmpdir(), 'pelt-cfg-'));
  try {
    writeBertConfig(dir, c);
    assert.deepEqual(readdirSync(dir), ['config.json']);
    assert.ok(readFileSync(join(dir, 'config.json'), 'utf8').endsWith('}\n'));
    assert.deepEqual(readBertConfig(dir), c);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const badConfigs: Array<[string, unknown, string]> = [
  ['not an object', [1, 2], '(root): Invalid input: expected object'],
  ['relative positions', { position_embedding_type: 'relative_key' }, 'position_embedding_type: "relative_key" is not supported'],
  ['relative_key_query', { position_embedding_type: 'relative_key_query' }, 'position_embedding_type: "relative_key_query" is not supported'],
  ['tanh GELU', { hidden_act: 'gelu_new' }, 'hidden_act: "gelu_new" is not supported; pelt implements "gelu" (erf) only'],
  ['relu', { hidden_act: 'relu' }, 'hidden_act: "relu" is not supported'],
  ['decoder', { is_decoder: true }, 'is_decoder: true is not supported'],
  ['cross attention', { add_cross_attention: true }, 'add_cross_attention: true is not supported'],
  ['heads do not divide hidden', { hidden_size: 100, num_attention_heads: 3 }, 'hidden_size: 100 is not a multiple of num_attention_heads (3)'],
  ['other model type', { model_type: 'roberta' }, 'model_type: "roberta" is not supported'],
  ['string size', { hidden_size: '768' }, 'hidden_size: Invalid input: expected number, received string'],
  ['zero layers', { num_hidden_layers: 0 }, 'num_hidden_layers: Too small'],
  ['fractional heads', { num_attention_heads: 1.5 }, 'num_attention_heads: Invalid input: expected int'],
  ['dropout of 1', { hidden_dropout_prob: 1 }, 'hidden_dropout_prob: Too big'],
  ['negative eps', { layer_norm_eps: -1 }, 'layer_norm_eps: Too small'],
  ['pad outside vocab', { vocab_size: 10, pad_token_id: 10 }, 'pad_token_id: 10 is outside the vocabulary (vocab_size 10)'],
  ['unknown problem type', { problem_type: 'ranking' }, 'problem_type: Invalid option'],
  ['num_labels vs id2label', { num_labels: 3, id2label: { 0: 'a', 1: 'b' } }, 'num_labels: 3 does not match id2label, which has 2 labels'],
  ['id2label gap', { id2label: { 0: 'a', 2: 'c' } }, 'id2label: key "2" is not an id in 0..1'],
  ['id2label non-string', { id2label: { 0: 1 } }, 'id2label.0: Invalid input: expected string'],
  ['regression with 2 labels', { problem_type: 'regression' }, 'problem_type: "regression" needs num_labels 1, not 2'],
];

for (const [name, json, message] of badConfigs) {
  test(`bad config: ${name}`, () => {
    assert.throws(
      () => parseBertConfig(json, 'cfg.json'),
      (err: unknown) => {
        assert.ok(err instanceof PeltError, String(err));
        assert.equal(err.code, 'config');
        assert.ok(err.message.startsWith('cfg.json: '), err.message);
        assert.ok(err.message.includes(message), `"${err.message}" lacks "${message}"`);
        return true;
      },
    );
  });
}

test('readBertConfig: missing folder and invalid JSON are config errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pelt-cfg-'));
  try {
    assert.throws(() => readBertConfig(dir), (e) => e instanceof PeltError && e.code === 'config' && /config\.json: cannot read/.test(e.message));
    writeBertConfig(dir, parseBertConfig({}, 's'));
    readBertConfig(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
