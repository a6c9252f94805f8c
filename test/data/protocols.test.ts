// The two papers' protocols: UniPELT's K + 1,000 split of one seeded shuffle with the original dev
// set as test, and Child-Tuning's full or 1k-subset runs reported at the last checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Example } from '../../src/data/examples.ts';
import { loadGlueTask } from '../../src/data/glue/load.ts';
import { applyProtocol, getPreset, learningRate, lowResourceSplits, PRESETS, randomSubset } from '../../src/data/protocols.ts';
import { Rng } from '../../src/util/rng.ts';
import { noSharedData, sharedData } from './helpers.ts';

const pool: Example[] = Array.from({ length: 3000 }, (_, i) => ({ textA: `s${i}`, label: i % 2 }));
const testSet: Example[] = Array.from({ length: 50 }, (_, i) => ({ textA: `t${i}`, label: i % 2 }));
const data = { train: pool, test: testSet, testSplit: 'dev' as const, testIsHeldOut: false };

test('presets carry the specs\' hyper-parameters', () => {
  const u = getPreset('unipelt-low-resource');
  assert.deepEqual(u.sampling, { kind: 'low-resource', ks: [100, 500, 1000], devSize: 1000 });
  assert.deepEqual(u.dataSeeds, [111, 222, 333, 444, 555]);
  assert.equal(u.trainingSeed, 42);
  assert.deepEqual([u.maxLength, u.batchSize, u.epochs, u.earlyStoppingPatience, u.report, u.selectOn], [128, 16, 50, 10, 'best', 'dev']);
  assert.deepEqual(u.learningRate, { full: 2e-5, adapter: 1e-4, prefix: 2e-4, bitfit: 1e-4, lora: 5e-4, unipelt: 5e-4 });
  const c = getPreset('child-tuning');
  assert.deepEqual([c.batchSize, c.epochs, c.warmupRatio, c.weightDecay, c.maxLength, c.report, c.earlyStoppingPatience], [16, 3, 0.1, 0.01, 128, 'last', null]);
  assert.equal(learningRate(c, 'full'), 4e-5);
  assert.deepEqual(getPreset('child-tuning-1k').sampling, { kind: 'subset', size: 1000 });
  assert.equal(getPreset('unipelt-full').report, 'best');
  assert.throws(() => getPreset('glue-fast'), /unknown protocol "glue-fast" \(protocols: unipelt-low-resource, unipelt-full, child-tuning, child-tuning-1k\)/);
  assert.equal(learningRate(u, 'unipelt-apl'), 5e-4);
  assert.equal(learningRate(u, 'lora'), 5e-4);
  assert.throws(() => learningRate(u, 'ia3'), /no learning rate for method "ia3"/);
  assert.equal(Object.keys(PRESETS).length, 4);
});

test('UniPELT low-resource: K train then 1,000 dev from one seeded shuffle; test is the original dev set', () => {
  const run = applyProtocol(PRESETS['unipelt-low-resource'], data, { k: 100, dataSeed: 111 });
  const shuffled = new Rng(111).shuffle([...pool]);
  assert.deepEqual(run.train, shuffled.slice(0, 100));
  assert.deepEqual(run.dev, shuffled.slice(100, 1100));
  assert.equal(run.test, testSet);
  assert.equal(run.devIsTest, false);
  assert.deepEqual(run.info, { preset: 'unipelt-low-resource', dataSeed: 111, k: 100, poolSize: 3000, trainSize: 100, devSize: 1000, testSize: 50 });
  const seen = new Set([...run.train, ...run.dev]);
  assert.equal(seen.size, 1100, 'train and dev are disjoint');
  // The K = 500 train set extends the K = 100 one (the same shuffle), and the dev set moves on.
  const k500 = applyProtocol(PRESETS['unipelt-low-resource'], data, { k: 500, dataSeed: 111 });
  assert.deepEqual(k500.train.slice(0, 100), run.train);
  assert.deepEqual(k500.dev, shuffled.slice(500, 1500));
  // Same seed, same split; another seed, another split.
  assert.deepEqual(applyProtocol(PRESETS['unipelt-low-resource'], data, { k: 100, dataSeed: 111 }).train, run.train);
  assert.notDeepEqual(applyProtocol(PRESETS['unipelt-low-resource'], data, { k: 100, dataSeed: 222 }).train, run.train);
  assert.throws(() => applyProtocol(PRESETS['unipelt-low-resource'], data, { dataSeed: 111 }), /needs K/);
  assert.throws(() => lowResourceSplits(pool.slice(0, 1000), 100, 1), /K = 100 plus 1000 dev examples needs 1100 training examples; the task has 1000/);
  assert.equal(applyProtocol(PRESETS['unipelt-low-resource'], { ...data, train: pool.slice(0, 600) }, { k: 100, dataSeed: 1, devSize: 500 }).dev.length, 500);
});

test('Child-Tuning: full train or a seeded 1k subset; dev is the test set (last checkpoint reported)', () => {
  const full = applyProtocol(PRESETS['child-tuning'], data, { dataSeed: 1 });
  assert.deepEqual(full.train, pool);
  assert.equal(full.dev, testSet);
  assert.ok(full.devIsTest);
  const sub = applyProtocol(PRESETS['child-tuning-1k'], data, { dataSeed: 3 });
  assert.equal(sub.train.length, 1000);
  assert.equal(new Set(sub.train).size, 1000);
  const idx = sub.train.map((e) => pool.indexOf(e));
  assert.deepEqual(idx, [...idx].sort((a, b) => a - b), 'pool order');
  assert.deepEqual(randomSubset(pool, 1000, 3), sub.train);
  assert.notDeepEqual(randomSubset(pool, 1000, 4), sub.train);
  assert.throws(() => applyProtocol(PRESETS['child-tuning'], data, { dataSeed: 1, k: 100 }), /takes no K/);
});

test('on shared data: SST-2 K = 1000 and MNLI (held-out test) under UniPELT\'s protocol', { skip: noSharedData }, async () => {
  const sst = await loadGlueTask('sst2', { dataDirs: [sharedData], hub: false });
  const run = applyProtocol(PRESETS['unipelt-low-resource'], sst, { k: 1000, dataSeed: 111 });
  assert.deepEqual([run.train.length, run.dev.length, run.test.length, run.testSplit], [1000, 1000, 872, 'dev']);
  const mnli = await loadGlueTask('mnli', { dataDirs: [sharedData], hub: false });
  const m = applyProtocol(PRESETS['unipelt-low-resource'], mnli, { k: 1000, dataSeed: 555 });
  assert.deepEqual([m.train.length, m.dev.length, m.test.length, m.testSplit, m.testIsHeldOut], [1000, 1000, 2000, 'heldout-test', true]);
  const heldOut = new Set(mnli.test);
  assert.ok([...m.train, ...m.dev].every((e) => !heldOut.has(e)), 'no held-out example trains or selects');
});
