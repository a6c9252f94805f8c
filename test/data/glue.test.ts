// The GLUE task table and local loading: every task of ../shared/data read as the files are (counts
// and label distributions from its README), the held-out rule for sample-only tasks, the official
// download-script layouts (tiny files), and where loadGlueTask looks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classCounts, numLabels } from '../../src/data/examples.ts';
import { describeTest, findTaskFolder, holdOut, HELDOUT_SEED, loadGlueTask, loadKshotRows, loadLocalTask } from '../../src/data/glue/load.ts';
import { GLUE_TASK_NAMES, GLUE_TASKS, glueTask, isGlueTask } from '../../src/data/glue/tasks.ts';
import { noSharedData, sharedData, tempFiles } from './helpers.ts';

test('task table: selection metrics, averages, label spaces, names', () => {
  const sel = Object.fromEntries(GLUE_TASK_NAMES.map((n) => [n, GLUE_TASKS[n].selectionMetric]));
  assert.deepEqual(sel, { cola: 'mcc', sst2: 'accuracy', mrpc: 'f1', stsb: 'spearman', qnli: 'accuracy', rte: 'accuracy', wnli: 'accuracy', mnli: 'accuracy', qqp: 'f1', snli: 'accuracy' });
  assert.deepEqual(GLUE_TASK_NAMES.filter((n) => !GLUE_TASKS[n].inAverage), ['wnli', 'snli']);
  for (const n of GLUE_TASK_NAMES) {
    const t = GLUE_TASKS[n];
    assert.ok(t.metrics.includes(t.selectionMetric), n);
    if (t.labels.kind === 'classification') assert.equal(t.rawLabels!.length, t.labels.names.length, n);
  }
  assert.equal(numLabels(GLUE_TASKS.stsb.labels), 1);
  assert.equal(numLabels(GLUE_TASKS.mnli.labels), 3);
  assert.equal(glueTask('SST-2'), GLUE_TASKS.sst2);
  assert.equal(glueTask('STS-B').name, 'stsb');
  assert.ok(isGlueTask('CoLA') && !isGlueTask('toString') && !isGlueTask('imdb'));
  assert.throws(() => glueTask('imdb'), /unknown task "imdb" \(tasks: cola, sst2/);
});

// ../shared/data/README.md, "Per task" ("Verified"): rows and labels per file.
const SHARED: Record<string, { layout: string; train: number; test: number; testSplit: string; trainCounts?: number[]; testCounts?: number[] }> = {
  cola: { layout: 'official', train: 8551, test: 1043, testSplit: 'dev', trainCounts: [2528, 6023], testCounts: [322, 721] },
  sst2: { layout: 'official', train: 67349, test: 872, testSplit: 'dev', trainCounts: [29780, 37569], testCounts: [428, 444] },
  mrpc: { layout: 'official', train: 3668, test: 408, testSplit: 'dev', trainCounts: [1194, 2474], testCounts: [129, 279] },
  stsb: { layout: 'official', train: 5749, test: 1500, testSplit: 'dev' },
  qnli: { layout: 'sample', train: 9999, test: 5463, testSplit: 'dev', trainCounts: [5027, 4972], testCounts: [2702, 2761] },
  rte: { layout: 'official', train: 2490, test: 277, testSplit: 'dev', trainCounts: [1249, 1241], testCounts: [146, 131] },
  wnli: { layout: 'official', train: 635, test: 71, testSplit: 'dev', trainCounts: [323, 312], testCounts: [40, 31] },
  mnli: { layout: 'sample', train: 7999, test: 2000, testSplit: 'heldout-test' },
  qqp: { layout: 'sample', train: 7999, test: 2000, testSplit: 'heldout-test' },
  snli: { layout: 'sample', train: 7999, test: 2000, testSplit: 'heldout-test' },
};
const SAMPLE_TOTALS: Record<string, number[]> = { mnli: [3408, 3313, 3278], qqp: [6370, 3629], snli: [3327, 3322, 3350] };

for (const name of GLUE_TASK_NAMES) {
  test(`shared data: ${GLUE_TASKS[name].title} reads as the README says`, { skip: noSharedData }, async () => {
    const want = SHARED[name]!;
    const data = await loadGlueTask(name, { dataDirs: [sharedData], hub: false });
    const space = data.task.labels;
    assert.equal(data.layout, want.layout);
    assert.equal(data.train.length, want.train);
    assert.equal(data.test.length, want.test);
    assert.equal(data.testSplit, want.testSplit);
    assert.equal(data.testIsHeldOut, want.testSplit === 'heldout-test');
    assert.equal(data.trainIsSample, want.layout === 'sample');
    if (want.trainCounts) assert.deepEqual(classCounts(data.train, space), want.trainCounts);
    if (want.testCounts) assert.deepEqual(classCounts(data.test, space), want.testCounts);
    if (want.testSplit === 'heldout-test') assert.match(describeTest(data), /heldout-test: 2,000 examples held out of train_sample\.tsv \(seed 7777\), not GLUE's dev set$/);
    if (name === 'qnli') assert.equal(describeTest(data), 'QNLI dev: 5,463 examples (dev.tsv); train is a sample (train_sample.tsv)');
    if (name === 'sst2') assert.equal(describeTest(data), 'SST-2 dev: 872 examples (dev.tsv)');
    if (SAMPLE_TOTALS[name]) {
      const total = classCounts([...data.train, ...data.test], space);
      assert.deepEqual(total, SAMPLE_TOTALS[name], 'held-out + pool = the whole sample');
    }
    for (const e of [...data.train, ...data.test]) {
      assert.ok(e.textA.trim() !== '' && (data.task.local.official.train.textB === undefined) === (e.textB === undefined));
    }
  });
}

test('shared data: spot checks of exact rows (BOM header, trailing spaces, no final newline, raw quotes)', { skip: noSharedData }, async () => {
  const mrpc = await loadGlueTask('mrpc', { dataDirs: [sharedData], hub: false });
  assert.deepEqual(mrpc.train[0], {
    textA: 'Amrozi accused his brother , whom he called " the witness " , of deliberately distorting his evidence .',
    textB: 'Referring to him as only " the witness " , Amrozi accused his brother of deliberately distorting his evidence .',
    label: 1,
  });
  const sst = await loadGlueTask('SST-2', { dataDirs: [sharedData], hub: false });
  assert.deepEqual(sst.train[0], { textA: 'hide new secretions from the parental units ', label: 0 }, 'the trailing space is kept');
  const cola = await loadGlueTask('cola', { dataDirs: [sharedData], hub: false });
  assert.deepEqual(cola.test.at(-1), { textA: 'John talked to Bill about himself.', label: 1 }, 'the last line has no newline and still counts');
  const stsb = await loadGlueTask('stsb', { dataDirs: [sharedData], hub: false });
  assert.deepEqual(stsb.train[0], { textA: 'A plane is taking off.', textB: 'An air plane is taking off.', label: 5 });
});

test('shared data: train_kshot_rows (SNLI rows of 11 and 15 fields, label last)', { skip: noSharedData }, () => {
  for (const [name, n, k] of [['snli', 480, 3], ['mnli', 480, 3], ['qqp', 320, 2], ['qnli', 320, 2]] as const) {
    const rows = loadKshotRows(name, findTaskFolder(glueTask(name), [sharedData])!);
    assert.equal(rows.length, n, name);
    assert.deepEqual(classCounts(rows, GLUE_TASKS[name].labels), new Array(k).fill(n / k), `${name}: class-balanced`);
  }
  assert.throws(() => loadKshotRows('sst2', sharedData), /SST-2 has no train_kshot_rows\.tsv/);
});

test('held-out rule: a fixed seeded fifth, in file order, the same every time', () => {
  const rows = Array.from({ length: 9999 }, (_, i) => i);
  const { pool, test: held } = holdOut(rows);
  assert.equal(held.length, 2000);
  assert.equal(pool.length, 7999);
  assert.deepEqual([...pool, ...held].sort((a, b) => a - b), rows, 'a partition');
  assert.deepEqual(held, [...held].sort((a, b) => a - b), 'file order');
  assert.deepEqual(holdOut(rows).test, held, 'deterministic');
  assert.notDeepEqual(holdOut(rows, HELDOUT_SEED + 1).test, held, 'the seed matters');
  assert.equal(holdOut(Array.from({ length: 10 }, (_, i) => i)).test.length, 2);
  assert.throws(() => holdOut([1]), /cannot hold out 1 of 1 rows/);
});

test('official GLUE layouts (tiny files): MNLI dev_matched, SNLI ragged rows, QQP, QNLI full train', async () => {
  const mnliHeader = 'index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tgold_label\n';
  const mnliRow = (s1: string, s2: string, l: string) => `0\t1\t1e\tfiction\t( x )\t( y )\t(ROOT x)\t(ROOT y)\t${s1}\t${s2}\t${l}\t${l}\n`;
  const devHeader = mnliHeader.replace('label1\tgold_label', 'label1\tlabel2\tlabel3\tlabel4\tlabel5\tgold_label');
  const snliHeader = 'index\tcaptionID\tpairID\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tgold_label\n';
  const t = tempFiles({
    'glue_data/MNLI/train.tsv': mnliHeader + mnliRow('A man eats.', 'Someone eats.', 'entailment') + mnliRow('A dog.', 'A cat.', 'contradiction'),
    'glue_data/MNLI/dev_matched.tsv': devHeader + '0\t1\t1e\tslate\t( x )\t( y )\t(ROOT x)\t(ROOT y)\tP.\tH.\tneutral\tneutral\tneutral\tentailment\tneutral\tneutral\n',
    'glue_data/MNLI/train_sample.tsv': 'sentence1\tsentence2\tgold_label\nnot\tused\tneutral\n',
    'nli/SNLI/train.tsv': snliHeader + '1\tc\tp\t( a )\t( b )\t(ROOT a)\t(ROOT b)\tTwo kids play.\tKids are outside.\tneutral\tneutral\n'
      + '2\tc\tp\t( a )\t( b )\t(ROOT a)\t(ROOT b)\tA man sleeps.\tA man runs.\tcontradiction\tcontradiction\tcontradiction\tneutral\tcontradiction\tcontradiction\n',
    'nli/SNLI/dev.tsv': snliHeader + '1\tc\tp\t( a )\t( b )\t(ROOT a)\t(ROOT b)\tA.\tB.\tentailment\tentailment\n',
    'glue_data/QQP/train.tsv': 'id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n0\t1\t2\tHow?\tWhy?\t0\n',
    'glue_data/QQP/dev.tsv': 'id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n0\t1\t2\tWho?\tWho is?\t1\n',
  });
  try {
    const mnli = await loadGlueTask('mnli', { dataDirs: [t.path('glue_data')], hub: false });
    assert.equal(mnli.layout, 'official', 'train.tsv wins over train_sample.tsv');
    assert.equal(mnli.source, t.path('glue_data/MNLI'));
    assert.equal(mnli.testSplit, 'dev_matched');
    assert.equal(mnli.testIsHeldOut, false);
    assert.deepEqual(mnli.train, [{ textA: 'A man eats.', textB: 'Someone eats.', label: 0 }, { textA: 'A dog.', textB: 'A cat.', label: 2 }]);
    assert.deepEqual(mnli.test, [{ textA: 'P.', textB: 'H.', label: 1 }]);
    const snli = await loadGlueTask('snli', { dataDirs: [t.dir], hub: false });
    assert.deepEqual(snli.train.map((e) => e.label), [1, 2], 'the 15-field row takes its last field as gold_label');
    assert.equal(snli.files.train, t.path('nli/SNLI/train.tsv'));
    const qqp = await loadGlueTask('qqp', { dataDirs: [t.path('nothing-here'), t.path('glue_data')], hub: false });
    assert.equal((await loadGlueTask('qqp', { dataDirs: [t.path('glue_data/QQP')], hub: false })).source, qqp.source, 'the task folder itself');
    assert.deepEqual(qqp.test, [{ textA: 'Who?', textB: 'Who is?', label: 1 }]);
    await assert.rejects(loadGlueTask('rte', { dataDirs: [t.dir], hub: false }), /no local copy of RTE \(looked in .*\) and downloading is off/);
  } finally {
    t.cleanup();
  }
});

test('loadLocalTask: a sample layout holds out its test set and says so', () => {
  const rows = Array.from({ length: 20 }, (_, i) => `q${i}?\tp${i}?\t${i % 2}\n`).join('');
  const t = tempFiles({ 'QQP/train_sample.tsv': `question1\tquestion2\tis_duplicate\n${rows}` });
  try {
    const d = loadLocalTask('qqp', t.path('QQP'));
    assert.equal(d.layout, 'sample');
    assert.equal(d.testSplit, 'heldout-test');
    assert.ok(d.testIsHeldOut && d.trainIsSample);
    assert.equal(d.test.length, 4);
    assert.equal(d.train.length, 16);
    const ids = (xs: typeof d.train) => xs.map((e) => Number(e.textA.slice(1, -1)));
    assert.deepEqual(ids(d.test), holdOut(Array.from({ length: 20 }, (_, i) => i)).test);
  } finally {
    t.cleanup();
  }
});
