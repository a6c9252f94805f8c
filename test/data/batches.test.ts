// Batching: the same (seed, epoch) gives the same batches in any run and at any resume point,
// epochs differ, every example appears once per epoch, padding is to the longest in the batch, and the
// tensors equal what BertTokenizer.encodeBatch gives for the same texts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Batcher, epochSeed, type Encoder } from '../../src/data/batches.ts';
import { textsOf, type Example, type LabelSpace } from '../../src/data/examples.ts';
import { BertTokenizer } from '../../src/tokenizers/bert.ts';
import { sharedModels } from './helpers.ts';

// A stand-in tokenizer: one id per word (its length + 10), [CLS] = 1, [SEP] = 2, [PAD] = 0, truncating the
// longer text first, as BertTokenizer does.
const fake: Encoder = {
  padId: 0,
  encode(a, b, opts = {}) {
    const wa = a.split(' ').map((w) => w.length + 10), wb = b?.split(' ').map((w) => w.length + 10);
    const max = (opts.maxLength ?? 1e9) - (wb ? 3 : 2);
    while (wa.length + (wb?.length ?? 0) > max) (wb && wb.length > wa.length ? wb : wa).pop();
    const ids = [1, ...wa, 2, ...(wb ? [...wb, 2] : [])];
    return { ids, typeIds: ids.map((_, i) => (i < wa.length + 2 ? 0 : 1)) };
  },
};
const CLS: LabelSpace = { kind: 'classification', names: ['no', 'yes'] };
const examples: Example[] = Array.from({ length: 37 }, (_, i) => ({ textA: 'w '.repeat((i % 7) + 1).trim(), ...(i % 3 ? { textB: 'xx yy' } : {}), label: i % 2 }));

test('deterministic per (seed, epoch); each epoch a permutation; resume is random access', () => {
  const a = new Batcher(examples, fake, { batchSize: 8, labels: CLS, seed: 42 });
  const b = new Batcher(examples, fake, { batchSize: 8, labels: CLS, seed: 42 });
  assert.equal(a.batchesPerEpoch, 5);
  for (const epoch of [0, 1, 2]) {
    const all = [...a.epoch(epoch)];
    assert.deepEqual(all.map((x) => x.batch), [8, 8, 8, 8, 5], 'the last batch keeps the remainder');
    assert.deepEqual(all.flatMap((x) => [...x.indices]).sort((p, q) => p - q), examples.map((_, i) => i));
    assert.deepEqual([...b.epoch(epoch, 3)], all.slice(3), 'resuming at batch 3 gives the same batches');
    assert.deepEqual(b.batch(epoch, 1), all[1]);
  }
  assert.notDeepEqual(a.order(0), a.order(1), 'epochs are shuffled differently');
  assert.notDeepEqual(new Batcher(examples, fake, { batchSize: 8, labels: CLS, seed: 43 }).order(0), a.order(0));
  assert.notEqual(epochSeed(42, 0), epochSeed(42, 1));
  const ordered = new Batcher(examples, fake, { batchSize: 10, labels: CLS, shuffle: false });
  assert.deepEqual([...ordered.batch(3, 3).indices], [30, 31, 32, 33, 34, 35, 36], 'evaluation keeps example order');
});

test('padding to the longest in the batch (or max_length), truncation to maxLength, labels', () => {
  const ex: Example[] = [{ textA: 'a b c', textB: 'd', label: 1 }, { textA: 'a', label: 0 }];
  const batch = new Batcher(ex, fake, { batchSize: 2, labels: CLS, shuffle: false }).batch(0, 0);
  assert.equal(batch.seqLen, 7);
  assert.deepEqual([...batch.inputIds], [1, 11, 11, 11, 2, 11, 2, 1, 11, 2, 0, 0, 0, 0]);
  assert.deepEqual([...batch.attentionMask], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
  assert.deepEqual([...batch.tokenTypeIds], [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
  assert.ok(batch.labels instanceof Int32Array);
  assert.deepEqual([...batch.labels], [1, 0]);
  const fixed = new Batcher(ex, fake, { batchSize: 2, labels: CLS, shuffle: false, padding: 'max_length', maxLength: 5 }).batch(0, 0);
  assert.equal(fixed.seqLen, 5);
  assert.deepEqual([...fixed.inputIds], [1, 11, 2, 11, 2, 1, 11, 2, 0, 0], 'the longer text lost tokens first; the short row pads to 5');
  assert.deepEqual([...fixed.tokenTypeIds], [0, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
  const reg = new Batcher([{ textA: 'a', label: 3.25 }], fake, { batchSize: 4, labels: { kind: 'regression' } }).batch(0, 0);
  assert.ok(reg.labels instanceof Float32Array);
  assert.deepEqual([...reg.labels], [3.25]);
});

test('garbage never reaches a batch', () => {
  assert.throws(() => new Batcher([{ textA: 'a', label: 2 }], fake, { batchSize: 1, labels: CLS }), /example 0: label 2 is not a class index \(0\.\.1\)/);
  assert.throws(() => new Batcher([{ textA: ' ', label: 0 }], fake, { batchSize: 1, labels: CLS }), /example 0: empty text/);
  assert.throws(() => new Batcher([{ textA: 'a', label: NaN }], fake, { batchSize: 1, labels: { kind: 'regression' } }), /not a finite number/);
  assert.throws(() => new Batcher([], fake, { batchSize: 1, labels: CLS }), /no examples/);
  assert.throws(() => new Batcher(examples, fake, { batchSize: 0, labels: CLS }), /batch size must be a positive integer/);
});

const tinyBert = join(sharedModels, 'pelt-bert-tiny');
test('with a real tokenizer: the same tensors as BertTokenizer.encodeBatch (max length 128)', { skip: !existsSync(tinyBert) && 'shared models not present' }, () => {
  const tok = BertTokenizer.fromFolder(tinyBert);
  const long = 'the quick brown fox jumps over the lazy dog . '.repeat(20);
  const ex: Example[] = [
    { textA: 'Hello, world!', label: 0 },
    { textA: long, textB: 'a short hypothesis .', label: 1 },
    { textA: 'Unaffable naïve café.', textB: long, label: 1 },
    { textA: 'x', textB: 'y', label: 0 },
  ];
  for (const padding of ['longest', 'max_length'] as const) {
    const batch = new Batcher(ex, tok, { batchSize: 4, labels: CLS, shuffle: false, padding }).batch(0, 0);
    const want = tok.encodeBatch(textsOf(ex), { maxLength: 128, padding });
    assert.equal(batch.seqLen, 128);
    assert.deepEqual([batch.inputIds, batch.attentionMask, batch.tokenTypeIds, batch.batch], [want.inputIds, want.attentionMask, want.tokenTypeIds, want.batch]);
  }
  const short = new Batcher(ex.slice(0, 1).concat(ex.slice(3)), tok, { batchSize: 2, labels: CLS, shuffle: false }).batch(0, 0);
  const want = tok.encodeBatch(['Hello, world!', ['x', 'y']], { maxLength: 128 });
  assert.equal(short.seqLen, want.seqLen);
  assert.deepEqual(short.inputIds, want.inputIds);
  assert.deepEqual(short.tokenTypeIds, want.tokenTypeIds);
});
