// BertModel behaviour beyond parity: dropout only in training and seeded, padding_idx, the mask, input checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBertConfig } from '../../src/models/bert/config.ts';
import { BertModel, MASK_MIN, type BertInput } from '../../src/models/bert/model.ts';
import { BertForSequenceClassification } from '../../src/models/bert/heads.ts';
import { loadBertFromDir } from '../../src/models/bert/load.ts';
import { noGrad, sum } from '../../src/tensor/index.ts';
import { PeltError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

const RANDOM = join(resolve(fileURLToPath(import.meta.url), '../../..'), 'test/fixtures/bert/random');
const config = readBertConfig(RANDOM);
const input: BertInput = {
  inputIds: Int32Array.from([1, 5, 6, 7, 2, 1, 8, 9, 2, 0]),
  attentionMask: [1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
  batch: 2,
  seqLen: 5,
};

function isPelt(code: string, pattern: RegExp) {
  return (e: unknown) => e instanceof PeltError && e.code === code && pattern.test(e.message);
}

test('MASK_MIN is torch.finfo(torch.float32).min, exactly representable in float32', () => {
  assert.equal(MASK_MIN, -3.4028234663852886e38);
  assert.equal(Math.fround(MASK_MIN), MASK_MIN);
});

test('dropout acts only in training mode and is reproducible from the construction seed', () => {
  const a = new BertModel(config, new Rng(3)), b = new BertModel(config, new Rng(3));
  const evalOut = noGrad(() => a.eval().forward(input).lastHiddenState.toArray());
  assert.deepEqual(noGrad(() => a.forward(input).lastHiddenState.toArray()), evalOut, 'eval is deterministic');
  a.train();
  b.train();
  const t1 = noGrad(() => a.forward(input).lastHiddenState.toArray());
  assert.notDeepEqual(t1, evalOut, 'training applies dropout');
  assert.deepEqual(noGrad(() => b.forward(input).lastHiddenState.toArray()), t1, 'same seed, same masks');
  assert.notDeepEqual(noGrad(() => a.forward(input).lastHiddenState.toArray()), t1, 'fresh masks on each call');
});

test('classifier dropout is classifier_dropout when set, else hidden_dropout_prob', () => {
  assert.equal(new BertForSequenceClassification(config).dropout._p, config.hidden_dropout_prob);
  assert.equal(new BertForSequenceClassification({ ...config, classifier_dropout: 0.3 }).dropout._p, 0.3);
});

test('the padding row of the word embeddings gets no gradient (nn.Embedding padding_idx), other rows do', () => {
  const { model } = loadBertFromDir(RANDOM, { task: 'base', quiet: true });
  model.eval();
  sum(model.forward({ ...input, attentionMask: undefined }).lastHiddenState).backward(); // the pad token's output counts
  const g = model.embeddings.word_embeddings.weight.grad!.data;
  const H = config.hidden_size, pad = config.pad_token_id!;
  assert.ok(g.subarray(pad * H, (pad + 1) * H).every((v) => v === 0));
  assert.ok(g.subarray(5 * H, 6 * H).some((v) => v !== 0));
});

test('an all-ones attention mask gives exactly the unmasked result; padding does not change real tokens', () => {
  const { model } = loadBertFromDir(RANDOM, { task: 'base', quiet: true });
  model.eval();
  const row: BertInput = { inputIds: input.inputIds.slice(5, 9), batch: 1, seqLen: 4 };
  const plain = noGrad(() => model.forward(row).lastHiddenState.toArray());
  assert.deepEqual(noGrad(() => model.forward({ ...row, attentionMask: [1, 1, 1, 1] }).lastHiddenState.toArray()), plain);
  const inBatch = noGrad(() => model.forward(input).lastHiddenState.toArray()).slice(5 * 32, 9 * 32);
  inBatch.forEach((v, i) => assert.ok(Math.abs(v - plain[i]!) < 1e-5));
});

test('bad inputs fail with the reason', () => {
  const m = new BertForSequenceClassification({ ...config, num_labels: 3 }).eval();
  assert.throws(() => m.forward({ ...input, seqLen: 4 }), isPelt('shape', /inputIds has 10 values.*2 x seqLen 4/));
  assert.throws(() => m.forward({ ...input, tokenTypeIds: new Int32Array(3) }), isPelt('shape', /tokenTypeIds/));
  assert.throws(() => m.forward({ inputIds: new Int32Array(65), batch: 1, seqLen: 65 }), isPelt('usage', /max_position_embeddings \(64\)/));
  assert.throws(() => m.forward({ ...input, inputIds: input.inputIds.map((v) => v + 95) }), isPelt('data', /input_ids: id 100 at position 1 is outside 0\.\.99 \(config\.vocab_size = 100\)/));
  assert.throws(() => m.forward({ ...input, tokenTypeIds: new Int32Array(10).fill(2) }), isPelt('data', /token_type_ids: id 2/));
  assert.throws(() => m.forward(input, [0, 3]), isPelt('data', /label 3/));
  assert.throws(() => m.forward(input, [0]), isPelt('shape', /labels/));
  const ignored = m.forward(input, [1, -100]).loss!.item();
  assert.ok(Math.abs(ignored - m.forward({ ...input, inputIds: input.inputIds.slice(0, 5), attentionMask: undefined, batch: 1 }, [1]).loss!.item()) < 1e-6);
});
