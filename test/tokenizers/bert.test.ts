import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BertTokenizer, longestFirst } from '../../src/tokenizers/bert.ts';
import { PeltError } from '../../src/util/errors.ts';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
const models = resolve(repoRoot, '../shared/models');
const folders = ['bert-base-uncased-wordpiece', 'pelt-bert-tiny'].map((f) => join(models, f));
const skip = !folders.every((f) => existsSync(f)) && 'shared models not present';

// Golden vectors from ../shared/models/README.md ("Golden vectors").
const GOLDEN: Array<[string, number[], string[]?]> = [
  ['the capital of france is [MASK].', [101, 1996, 3007, 1997, 2605, 2003, 103, 1012, 102]],
  [
    'Hello, world! Unaffable naïve café tokenization.',
    [101, 7592, 1010, 2088, 999, 14477, 20961, 3468, 15743, 7668, 19204, 3989, 1012, 102],
    ['hello', ',', 'world', '!', 'una', '##ffa', '##ble', 'naive', 'cafe', 'token', '##ization', '.'],
  ],
];

const backends = ['tokenizers', 'wordpiece'] as const;
const load = (dir: string, backend: (typeof backends)[number]) => BertTokenizer.fromFolder(dir, { backend });

for (const dir of folders) {
  for (const backend of backends) {
    test(`golden ids: ${backend} backend, ${dir.split('/').at(-1)}`, { skip }, () => {
      const tok = load(dir, backend);
      assert.equal(tok.backend, backend);
      for (const [text, ids, tokens] of GOLDEN) {
        const enc = tok.encode(text);
        assert.deepEqual(enc.ids, ids, text);
        assert.deepEqual(enc.typeIds, ids.map(() => 0));
        if (tokens) assert.deepEqual(tok.tokenize(text), tokens);
      }
      assert.deepEqual([tok.clsId, tok.sepId, tok.padId, tok.maskId, tok.unkId], [101, 102, 0, 103, 100]);
      assert.equal(tok.vocabSize, 30522);
      assert.equal(tok.idToToken(103), '[MASK]');
      assert.equal(tok.tokenToId('hello'), 7592);
      assert.equal(tok.tokenToId('not-a-token'), undefined);
      // Special tokens are split out before lower-casing; a lower-case "[mask]" is plain text.
      assert.deepEqual(tok.tokenize('a [mask] [MASK]'), ['a', '[', 'mask', ']', '[MASK]']);
    });
  }
}

test('auto picks tokenizer.json when present, vocab.txt otherwise', { skip }, () => {
  assert.equal(BertTokenizer.fromFolder(folders[0]!).backend, 'tokenizers');
  const dir = mkdtempSync(join(tmpdir(), 'pelt-tok-'));
  try {
    copyFileSync(join(folders[0]!, 'vocab.txt'), join(dir, 'vocab.txt'));
    const tok = BertTokenizer.fromFolder(dir);
    assert.equal(tok.backend, 'wordpiece');
    assert.deepEqual(tok.encode(GOLDEN[0]![0]).ids, GOLDEN[0]![1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tokenizer.json's own truncation / padding (Fixed 128) are ignored", { skip }, () => {
  const tok = load(folders[0]!, 'tokenizers'); // this file carries max_length 128, Fixed 128 padding
  assert.equal(tok.encode('hello').ids.length, 3);
  assert.equal(tok.encode('word '.repeat(300)).ids.length, 302);
});

// Tricky inputs on which pelt's WordPiece must agree with @huggingface/tokenizers.
const TRICKY = [
  'İstanbul ﬁ ½ \u0000a\u200bb', 'naïve ÀÉÎÕÜ ñ ç ß', '你好世界！こんにちは 한국어', '😀 emoji 👍🏽',
  'a\u2028b\u0085c\u00a0d\u3000e\tf\ng\r\nh', 'x'.repeat(100), 'x'.repeat(101), '[CLS][SEP][MASK] [PAD][UNK]',
  '$5+3^2=14 ~`|\\ "quoted" (paren) {brace}', 'Ωmega µ e\u0301 é', 'तो क्या مرحبا', '«quote» „x“ ¿qué? ¡sí!',
  "I can't believe it's 3.14159 o'clock...", '\ufeffbom word\u00adhyphen', '', '   ',
];

test('pelt WordPiece agrees with @huggingface/tokenizers on tricky text', { skip }, () => {
  const a = load(folders[0]!, 'tokenizers');
  const b = load(folders[0]!, 'wordpiece');
  for (const text of TRICKY) assert.deepEqual(b.encode(text).ids, a.encode(text).ids, JSON.stringify(text));
  assert.deepEqual(a.tokenize('x'.repeat(101)), ['[UNK]']); // max 100 characters per word
});

test('longestFirst matches the tokenizers crate (max_length 7)', () => {
  // [n1, n2] -> kept lengths, the table of tokenizers' truncation tests.
  const cases: Array<[number, number, number, number]> = [
    [0, 0, 0, 0], [0, 2, 0, 2], [0, 4, 0, 4], [0, 8, 0, 7],
    [2, 0, 2, 0], [2, 2, 2, 2], [2, 4, 2, 4], [2, 8, 2, 5],
    [4, 0, 4, 0], [4, 2, 4, 2], [4, 4, 3, 4], [4, 8, 3, 4],
    [8, 0, 7, 0], [8, 2, 5, 2], [8, 4, 4, 3], [8, 8, 3, 4],
  ];
  for (const [n1, n2, k1, k2] of cases) assert.deepEqual(longestFirst(n1, n2, 7), [k1, k2], `${n1}, ${n2}`);
  assert.deepEqual(longestFirst(20, 30, 0), [0, 0]);
});

for (const backend of backends) {
  test(`pairs, truncation, padding and masks (${backend})`, { skip }, () => {
    const tok = load(folders[0]!, backend);
    const hello = tok.encode('hello', 'world');
    assert.deepEqual(hello.ids, [101, 7592, 102, 2088, 102]);
    assert.deepEqual(hello.typeIds, [0, 0, 0, 1, 1]);

    // "one two ... ten" is 10 tokens, "a b c d" is 4; maxLength 12 leaves 9: the longer keeps 5.
    const ten = 'one two three four five six seven eight nine ten';
    const [one, two, three, four, five] = [2028, 2048, 2093, 2176, 2274];
    const abcd = [1037, 1038, 1039, 1040];
    assert.deepEqual(tok.encode(ten, 'a b c d', { maxLength: 12 }).ids, [101, one, two, three, four, five, 102, ...abcd, 102]);
    // Both too long: 9 split as 4 + 5, the second gets the odd token.
    const b = tok.encodeBatch([[ten, ten]], { maxLength: 12 });
    assert.deepEqual([...b.inputIds], [101, one, two, three, four, 102, one, two, three, four, five, 102]);
    assert.deepEqual([...b.tokenTypeIds], [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    // A single sentence keeps its first maxLength - 2 tokens.
    assert.deepEqual(tok.encode(ten, undefined, { maxLength: 4 }).ids, [101, one, two, 102]);

    const batch = tok.encodeBatch(['hello', ['hello', 'world'], 'the capital of france is [MASK].'], { maxLength: 8 });
    assert.equal(batch.batch, 3);
    assert.equal(batch.seqLen, 8); // longest row after truncation
    assert.deepEqual([...batch.inputIds], [
      101, 7592, 102, 0, 0, 0, 0, 0,
      101, 7592, 102, 2088, 102, 0, 0, 0,
      101, 1996, 3007, 1997, 2605, 2003, 103, 102,
    ]);
    assert.deepEqual([...batch.attentionMask], [
      1, 1, 1, 0, 0, 0, 0, 0,
      1, 1, 1, 1, 1, 0, 0, 0,
      1, 1, 1, 1, 1, 1, 1, 1,
    ]);
    assert.deepEqual([...batch.tokenTypeIds], [
      0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 1, 1, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    assert.ok(batch.inputIds instanceof Int32Array && batch.attentionMask instanceof Int32Array);

    const fixed = tok.encodeBatch(['hello', 'hello world'], { maxLength: 6, padding: 'max_length' });
    assert.equal(fixed.seqLen, 6);
    assert.deepEqual([...fixed.inputIds], [101, 7592, 102, 0, 0, 0, 101, 7592, 2088, 102, 0, 0]);
    assert.deepEqual([...fixed.attentionMask], [1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0]);
    const empty = tok.encodeBatch([]);
    assert.deepEqual([empty.batch, empty.seqLen, empty.inputIds.length], [0, 0, 0]);
  });

  test(`decode (${backend})`, { skip }, () => {
    const tok = load(folders[0]!, backend);
    const ids = GOLDEN[1]![1];
    assert.equal(tok.decode(ids), '[CLS] hello, world! unaffable naive cafe tokenization. [SEP]');
    assert.equal(tok.decode(ids, { skipSpecialTokens: true }), 'hello, world! unaffable naive cafe tokenization.');
    assert.equal(tok.decode(Int32Array.from([2123, 1005, 1056, 2644])), "don't stop");
    assert.equal(tok.decode([]), '');
  });
}

test('errors: no tokenizer files, vocab without specials, bad maxLength', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pelt-tok-'));
  const isErr = (code: string, re: RegExp) => (e: unknown) => e instanceof PeltError && e.code === code && re.test(e.message);
  try {
    assert.throws(() => BertTokenizer.fromFolder(dir), isErr('tokenizer', /no tokenizer\.json or vocab\.txt/));
    writeFileSync(join(dir, 'vocab.txt'), '[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n');
    assert.throws(() => BertTokenizer.fromFolder(dir), isErr('tokenizer', /vocab\.txt: mask_token "\[MASK\]" is not in the vocabulary/));
    writeFileSync(join(dir, 'tokenizer.json'), '{ not json');
    assert.throws(() => BertTokenizer.fromFolder(dir), isErr('tokenizer', /tokenizer\.json: not valid JSON/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const tok = load(folders[0]!, 'wordpiece');
  assert.throws(() => tok.encodeBatch([['a', 'b']], { maxLength: 2 }), isErr('usage', /maxLength 2 leaves no room for the 3 special tokens of a pair/));
  assert.throws(() => tok.encodeBatch(['a'], { padding: 'left' as 'longest' }), isErr('usage', /padding must be/));
});
