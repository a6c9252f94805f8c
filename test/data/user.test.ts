// A user's own data: RFC 4180 CSV, GLUE-style TSV and JSON lines give the same examples; labels map
// to indices sorted (numerically when numeric) or in the order given; the mapping is returned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv } from '../../src/data/csv.ts';
import { labelMaps, textsOf } from '../../src/data/examples.ts';
import { readUserData, readUserSplits, sortLabels, formatOf } from '../../src/data/user.ts';
import { tempFiles } from './helpers.ts';

test('CSV (RFC 4180): quoted commas, doubled quotes, line breaks in fields, CRLF, and each record\'s first line', () => {
  const text = 'a,b,c\r\n"x, y","say ""hi""",3\r\n"multi\nline",,""\n"",plain,"end"';
  const { records, lines } = parseCsv(text, 'mem.csv');
  assert.deepEqual(records, [
    ['a', 'b', 'c'],
    ['x, y', 'say "hi"', '3'],
    ['multi\nline', '', ''],
    ['', 'plain', 'end'],
  ]);
  assert.deepEqual(lines, [1, 2, 3, 5]);
  // A trailing newline and blank lines add no records; a lone quoted empty field is a record.
  assert.deepEqual(parseCsv('a\n\nb\n', 'm').records, [['a'], ['b']]);
  assert.deepEqual(parseCsv('""\n', 'm').records, [['']]);
  assert.deepEqual(parseCsv('a,\n', 'm').records, [['a', '']]);
  // A bare CR inside an unquoted field is data (only CRLF or LF end a record).
  assert.deepEqual(parseCsv('a\rb,c\n', 'm').records, [['a\rb', 'c']]);
});

const ROWS = [
  ['great movie , really', 'pos'],
  ['it said "no"', 'neg'],
  ['fine', 'neutral'],
  ['bad', 'neg'],
];

test('the same data as TSV, CSV and JSON lines gives the same examples and sorted labels', () => {
  const tsv = 'text\tlabel\n' + ROWS.map((r) => r.join('\t')).join('\n') + '\n';
  const csv = 'text,label\r\n' + ROWS.map(([t, l]) => `${/[",\n]/.test(t!) ? `"${t!.replaceAll('"', '""')}"` : t},${l}`).join('\r\n');
  const jsonl = ROWS.map(([text, label]) => JSON.stringify({ text, label, extra: [1, 2] })).join('\n');
  const t = tempFiles({ 'd.tsv': tsv, 'd.csv': csv, 'd.jsonl': jsonl });
  try {
    const want = {
      examples: [{ textA: 'great movie , really', label: 2 }, { textA: 'it said "no"', label: 0 }, { textA: 'fine', label: 1 }, { textA: 'bad', label: 0 }],
      labels: { kind: 'classification', names: ['neg', 'neutral', 'pos'] },
    };
    for (const f of ['d.tsv', 'd.csv', 'd.jsonl']) {
      const d = readUserData(t.path(f), { text: 'text', label: 'label' });
      assert.deepEqual({ examples: d.examples, labels: d.labels }, want, f);
      assert.equal(d.file, t.path(f));
    }
    // Labels in a given order; the mapping can be saved as Hugging Face's id2label/label2id.
    const given = readUserData(t.path('d.csv'), { text: 'text', label: 'label', labels: ['pos', 'neutral', 'neg'] });
    assert.deepEqual(given.examples.map((e) => e.label), [0, 2, 1, 2]);
    assert.deepEqual(labelMaps(given.labels), { id2label: { 0: 'pos', 1: 'neutral', 2: 'neg' }, label2id: { pos: 0, neutral: 1, neg: 2 } });
  } finally {
    t.cleanup();
  }
});

test('pairs, numeric labels, regression, and format by name', () => {
  const t = tempFiles({
    'p.jsonl': [{ q: 'who?', a: 'me', y: 10 }, { q: 'what?', a: 'it', y: 2 }, { q: 'why?', a: 'so', y: 1 }].map((o) => JSON.stringify(o)).join('\n') + '\n',
    'r.csv': 's1,s2,score\na,b,4.5\nc,d,0\n',
    'data.txt': 's\tl\nx\ty\n',
  });
  try {
    const p = readUserData(t.path('p.jsonl'), { text: 'q', pair: 'a', label: 'y' });
    assert.deepEqual(p.labels, { kind: 'classification', names: ['1', '2', '10'] }, 'numeric labels sort as numbers');
    assert.deepEqual(p.examples[0], { textA: 'who?', textB: 'me', label: 2 });
    assert.deepEqual(textsOf(p.examples), [['who?', 'me'], ['what?', 'it'], ['why?', 'so']]);
    const r = readUserData(t.path('r.csv'), { text: 's1', pair: 's2', label: 'score', regression: true });
    assert.deepEqual(r.labels, { kind: 'regression' });
    assert.deepEqual(r.examples.map((e) => e.label), [4.5, 0]);
    assert.throws(() => readUserData(t.path('data.txt'), { text: 's', label: 'l' }), /cannot tell the format from the extension "\.txt"/);
    assert.equal(readUserData(t.path('data.txt'), { text: 's', label: 'l', format: 'tsv' }).examples.length, 1);
    assert.equal(formatOf('x.NDJSON'), 'jsonl');
    assert.deepEqual(sortLabels(['b', 'B', 'a', '10']), ['10', 'B', 'a', 'b']);
    assert.deepEqual(sortLabels(['-1', '0.5', '1e1']), ['-1', '0.5', '1e1']);
  } finally {
    t.cleanup();
  }
});

test('dev and test files use the mapping of train; a class missing from train is an error there', () => {
  const t = tempFiles({
    'train.csv': 'text,label\na,cat\nb,dog\n',
    'dev.csv': 'text,label\nc,dog\n',
    'test.csv': 'text,label\nd,bird\n',
  });
  try {
    const s = readUserSplits({ train: t.path('train.csv'), dev: t.path('dev.csv') }, { text: 'text', label: 'label' });
    assert.deepEqual(s.dev!.examples, [{ textA: 'c', label: 1 }], 'dog is 1 in train, although dev alone would make it 0');
    assert.deepEqual(s.dev!.labels, s.train.labels);
    assert.throws(() => readUserSplits({ train: t.path('train.csv'), test: t.path('test.csv') }, { text: 'text', label: 'label' }), /test\.csv:2: unknown label "bird" \(labels: cat, dog\)/);
    assert.throws(() => readUserData(t.path('train.csv'), { text: 'text', label: 'label', labels: ['cat', 'cat'] }), /duplicates/);
  } finally {
    t.cleanup();
  }
});
