// Bad data is refused with the file, the line and the reason: one tiny file per case, for the user
// formats (TSV, CSV, JSON lines) and for GLUE task folders. Nothing here may load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadLocalTask } from '../../src/data/glue/load.ts';
import { DataError } from '../../src/data/read.ts';
import { readUserData, type UserDataOptions } from '../../src/data/user.ts';
import { tempFiles, withBadByte } from './helpers.ts';

interface Case {
  name: string;
  file: string; // relative path; its extension picks the format
  content: string | Uint8Array;
  opts?: Partial<UserDataOptions>;
  line: number | undefined; // where the error must point (undefined: the whole file)
  reason: RegExp;
}

const SENT: UserDataOptions = { text: 'sentence', label: 'label' };

const USER_CASES: Case[] = [
  // TSV
  { name: 'tsv: missing text column', file: 'a.tsv', content: 'text\tlabel\nhi\t1\n', line: 1, reason: /^missing column "sentence" \(columns: text, label\)$/ },
  { name: 'tsv: missing pair column', file: 'a.tsv', content: 'sentence\tlabel\nhi\t1\n', opts: { pair: 'sentence2' }, line: 1, reason: /^missing column "sentence2"/ },
  { name: 'tsv: unknown label', file: 'a.tsv', content: 'sentence\tlabel\ngood\tpos\nmeh\tneutral\n', opts: { labels: ['neg', 'pos'] }, line: 3, reason: /^unknown label "neutral" \(labels: neg, pos\)$/ },
  { name: 'tsv: empty file', file: 'a.tsv', content: '', line: undefined, reason: /^empty file$/ },
  { name: 'tsv: only blank lines', file: 'a.tsv', content: '\n \n', line: undefined, reason: /^empty file$/ },
  { name: 'tsv: header and no rows', file: 'a.tsv', content: 'sentence\tlabel\n', line: undefined, reason: /no rows after the header/ },
  { name: 'tsv: ragged row (short)', file: 'a.tsv', content: 'sentence\tlabel\na\t1\nb\n', line: 3, reason: /^ragged row: 1 field, the header has 2$/ },
  { name: 'tsv: ragged row (long)', file: 'a.tsv', content: 'sentence\tlabel\na\t1\tx\n', line: 2, reason: /^ragged row: 3 fields, the header has 2$/ },
  { name: 'tsv: blank line inside', file: 'a.tsv', content: 'sentence\tlabel\na\t1\n\nb\t0\n', line: 3, reason: /^ragged row: 1 field/ },
  { name: 'tsv: invalid UTF-8', file: 'a.tsv', content: withBadByte('sentence\tlabel\nfine\t1\nbad @ byte\t0\n'), line: 3, reason: /^invalid UTF-8$/ },
  { name: 'tsv: empty text', file: 'a.tsv', content: 'sentence\tlabel\nok\t1\n  \t0\n', line: 3, reason: /^empty text in column "sentence"$/ },
  { name: 'tsv: empty pair text', file: 'a.tsv', content: 's1\ts2\tlabel\nok\t\t0\n', opts: { text: 's1', pair: 's2' }, line: 2, reason: /^empty text in column "s2"$/ },
  { name: 'tsv: empty label', file: 'a.tsv', content: 'sentence\tlabel\nok\t\n', line: 2, reason: /^empty label in column "label"$/ },
  { name: 'tsv: regression label not a number', file: 'a.tsv', content: 'sentence\tlabel\nok\t3.5\nno\tfive\n', opts: { regression: true }, line: 3, reason: /^label "five" is not a number \(regression\)$/ },
  { name: 'tsv: CRLF ragged', file: 'a.tsv', content: 'sentence\tlabel\r\na\t1\r\nb\r\n', line: 3, reason: /^ragged row/ },
  // CSV
  { name: 'csv: missing label column', file: 'a.csv', content: 'sentence,target\nhi,1\n', line: 1, reason: /^missing column "label" \(columns: sentence, target\)$/ },
  { name: 'csv: ragged row', file: 'a.csv', content: 'sentence,label\n"a, b",1\nc,0,extra\n', line: 3, reason: /^ragged row: 3 fields, the header has 2$/ },
  { name: 'csv: ragged after a multi-line field', file: 'a.csv', content: 'sentence,label\n"two\nlines",1\nshort\n', line: 4, reason: /^ragged row: 1 field/ },
  { name: 'csv: stray quote', file: 'a.csv', content: 'sentence,label\nsay "hi",1\n', line: 2, reason: /^stray quote in an unquoted field/ },
  { name: 'csv: quote never closed', file: 'a.csv', content: 'sentence,label\nok,1\n"open,0\nmore,1\n', line: 3, reason: /^quoted field is never closed$/ },
  { name: 'csv: text after closing quote', file: 'a.csv', content: 'sentence,label\n"a"b,1\n', line: 2, reason: /^unexpected "b" after a closing quote$/ },
  { name: 'csv: empty file', file: 'a.csv', content: '', line: undefined, reason: /^empty file$/ },
  { name: 'csv: invalid UTF-8', file: 'a.csv', content: withBadByte('sentence,label\n"x @",1\n'), line: 2, reason: /^invalid UTF-8$/ },
  { name: 'csv: empty quoted text', file: 'a.csv', content: 'sentence,label\n"",1\n', line: 2, reason: /^empty text in column "sentence"$/ },
  { name: 'csv: unknown label', file: 'a.csv', content: 'sentence,label\na,yes\nb,maybe\n', opts: { labels: ['no', 'yes'] }, line: 3, reason: /^unknown label "maybe"/ },
  // JSON lines
  { name: 'jsonl: invalid JSON', file: 'a.jsonl', content: '{"sentence":"a","label":1}\n{"sentence":"b",\n', line: 2, reason: /^invalid JSON: / },
  { name: 'jsonl: not an object', file: 'a.jsonl', content: '{"sentence":"a","label":1}\n["b",0]\n', line: 2, reason: /^expected a JSON object on each line$/ },
  { name: 'jsonl: missing key', file: 'a.jsonl', content: '{"sentence":"a","label":1}\n{"text":"b","label":0}\n', line: 2, reason: /^missing column "sentence"$/ },
  { name: 'jsonl: null label', file: 'a.jsonl', content: '{"sentence":"a","label":null}\n', line: 1, reason: /^missing column "label"$/ },
  { name: 'jsonl: unknown label', file: 'a.jsonl', content: '{"sentence":"a","label":1}\n{"sentence":"b","label":2}\n', opts: { labels: ['0', '1'] }, line: 2, reason: /^unknown label "2" \(labels: 0, 1\)$/ },
  { name: 'jsonl: empty text', file: 'a.jsonl', content: '{"sentence":"","label":1}\n', line: 1, reason: /^empty text in column "sentence"$/ },
  { name: 'jsonl: object as text', file: 'a.jsonl', content: '{"sentence":{"t":"a"},"label":1}\n', line: 1, reason: /holds a object, expected a string or number/ },
  { name: 'jsonl: empty file', file: 'a.jsonl', content: '\n\n', line: undefined, reason: /^empty file$/ },
  { name: 'jsonl: invalid UTF-8', file: 'a.jsonl', content: withBadByte('{"sentence":"a","label":1}\n{"sentence":"b","label":1}\n{"sentence":"@","label":0}\n'), line: 3, reason: /^invalid UTF-8$/ },
  // Files that are not there
  { name: 'no such file', file: 'missing.tsv', content: '', line: undefined, reason: /^no such file$/ },
];

for (const c of USER_CASES) {
  test(`user data refused: ${c.name}`, () => {
    const t = tempFiles(c.file === 'missing.tsv' ? {} : { [c.file]: c.content });
    try {
      const path = t.path(c.file);
      assert.throws(() => readUserData(path, { ...SENT, ...c.opts }), isDataError(path, c.line, c.reason));
    } finally {
      t.cleanup();
    }
  });
}

// GLUE task folders: the same rules, with the task's own columns and labels.
const SST_HEADER = 'sentence\tlabel\n';
const RTE_HEADER = 'index\tsentence1\tsentence2\tlabel\n';
const STS_HEADER = 'index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n';
const sts = (score: string) => `0\tg\tf\t2012\t0001\tnone\tnone\tA plane.\tAn air plane.\t${score}\n`;

const GLUE_CASES: Array<{ name: string; task: string; files: Record<string, string | Uint8Array>; bad: string; line: number | undefined; reason: RegExp }> = [
  { name: 'SST-2 label outside 0/1', task: 'sst2', files: { 'train.tsv': `${SST_HEADER}good \t1\nbad \t2\n`, 'dev.tsv': `${SST_HEADER}ok \t0\n` }, bad: 'train.tsv', line: 3, reason: /^unknown label "2" \(SST-2 labels: 0, 1\)$/ },
  { name: 'SST-2 dev missing its label column', task: 'sst2', files: { 'train.tsv': `${SST_HEADER}good \t1\n`, 'dev.tsv': 'sentence\tscore\nok \t0\n' }, bad: 'dev.tsv', line: undefined, reason: /^missing column "label" \(columns: sentence, score\)$/ },
  { name: 'CoLA (no header) ragged row', task: 'cola', files: { 'train.tsv': 'gj04\t1\t\tFine.\ngj04\t0\t*\n', 'dev.tsv': 'gj04\t1\t\tFine.\n' }, bad: 'train.tsv', line: 2, reason: /^ragged row: 3 fields, the header has 4$/ },
  { name: 'CoLA label written as a word', task: 'cola', files: { 'train.tsv': 'gj04\t1\t\tFine.\n', 'dev.tsv': 'gj04\tacceptable\t\tFine.\n' }, bad: 'dev.tsv', line: 1, reason: /^unknown label "acceptable"/ },
  { name: 'RTE empty hypothesis', task: 'rte', files: { 'train.tsv': `${RTE_HEADER}0\tA man sleeps.\t \tentailment\n`, 'dev.tsv': `${RTE_HEADER}0\ta\tb\tentailment\n` }, bad: 'train.tsv', line: 2, reason: /^empty text in column "sentence2"$/ },
  { name: 'RTE label from another task', task: 'rte', files: { 'train.tsv': `${RTE_HEADER}0\ta\tb\tneutral\n`, 'dev.tsv': `${RTE_HEADER}0\ta\tb\tentailment\n` }, bad: 'train.tsv', line: 2, reason: /^unknown label "neutral" \(RTE labels: entailment, not_entailment\)$/ },
  { name: 'STS-B score not a number', task: 'stsb', files: { 'train.tsv': STS_HEADER + sts('4.0') + sts('n/a'), 'dev.tsv': STS_HEADER + sts('1') }, bad: 'train.tsv', line: 3, reason: /^label "n\/a" is not a number$/ },
  { name: 'STS-B score out of range', task: 'stsb', files: { 'train.tsv': STS_HEADER + sts('5.5'), 'dev.tsv': STS_HEADER + sts('1') }, bad: 'train.tsv', line: 2, reason: /^label 5\.5 is outside \[0, 5\]$/ },
  { name: 'MRPC invalid UTF-8', task: 'mrpc', files: { 'train.tsv': withBadByte('\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t1\t2\ta\tb\n0\t3\t4\tc @\td\n'), 'dev.tsv': '\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t1\t2\ta\tb\n' }, bad: 'train.tsv', line: 3, reason: /^invalid UTF-8$/ },
  { name: 'empty dev file', task: 'wnli', files: { 'train.tsv': `${RTE_HEADER}0\ta\tb\t1\n`, 'dev.tsv': '' }, bad: 'dev.tsv', line: undefined, reason: /^empty file$/ },
  { name: 'MNLI official train row too short', task: 'mnli', files: { 'train.tsv': 'index\tsentence1\tsentence2\tgold_label\n0\ta\tb\tneutral\n1\tc\tcontradiction\n', 'dev_matched.tsv': 'index\tsentence1\tsentence2\tgold_label\n0\ta\tb\tneutral\n' }, bad: 'train.tsv', line: 3, reason: /^ragged row: 3 fields, the header has 4$/ },
  { name: 'QQP sample with a 3-way label', task: 'qqp', files: { 'train_sample.tsv': `question1\tquestion2\tis_duplicate\n${'a?\tb?\t0\n'.repeat(5)}c?\td?\tneutral\n` }, bad: 'train_sample.tsv', line: 7, reason: /^unknown label "neutral" \(QQP labels: 0, 1\)$/ },
];

for (const c of GLUE_CASES) {
  test(`GLUE folder refused: ${c.name}`, () => {
    const t = tempFiles(c.files);
    try {
      assert.throws(() => loadLocalTask(c.task, t.dir), isDataError(t.path(c.bad), c.line, c.reason));
    } finally {
      t.cleanup();
    }
  });
}

test('a GLUE folder without the task files says which files it looked for', () => {
  const t = tempFiles({ 'notes.txt': 'x' });
  try {
    assert.throws(() => loadLocalTask('sst2', t.dir), (e: unknown) => e instanceof Error && /no SST-2 files here \(looked for train\.tsv, dev\.tsv\)/.test(e.message));
  } finally {
    t.cleanup();
  }
});

function isDataError(file: string, line: number | undefined, reason: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof DataError, `expected a DataError, got ${String(e)}`);
    assert.equal(e.code, 'data');
    assert.equal(e.file, file);
    assert.equal(e.line, line, `line of: ${e.message}`);
    assert.match(e.reason, reason);
    assert.ok(e.message.startsWith(line === undefined ? `${file}: ` : `${file}:${line}: `), e.message);
    return true;
  };
}
