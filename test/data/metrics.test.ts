// Metrics against known values: small cases worked by hand, then the values scikit-learn and SciPy
// give (test/fixtures/metrics.json, from scripts/fixtures/metrics_fixtures.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { GLUE_TASKS } from '../../src/data/glue/tasks.ts';
import { accuracy, argmax, computeMetrics, f1, matthews, pearson, rank, scoreTask, spearman } from '../../src/data/metrics.ts';

const close = (got: number, want: number, tol: number, what: string) => assert.ok(Math.abs(got - want) <= tol, `${what}: got ${got}, want ${want} (tol ${tol})`);

test('hand-computed values', () => {
  // labels 1 1 1 0 0 0 1 0; preds 1 0 1 0 1 0 1 1: TP 3, FN 1, FP 2, TN 2.
  const y = [1, 1, 1, 0, 0, 0, 1, 0], p = [1, 0, 1, 0, 1, 0, 1, 1];
  assert.equal(accuracy(p, y), 5 / 8);
  assert.equal(f1(p, y), 6 / 9); // 2TP / (2TP + FP + FN) = 6 / 9
  close(matthews(p, y), (3 * 2 - 2 * 1) / Math.sqrt(5 * 4 * 4 * 3), 1e-15, 'mcc'); // (TP TN - FP FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN))
  assert.equal(matthews(y, y), 1);
  assert.equal(matthews(y.map((v) => 1 - v), y), -1);
  // Three classes: y = 0 1 2 0 1 2, p = 0 2 2 0 1 1 -> c = 4, s = 6, t = p = (2, 2, 2): (24 - 12) / (36 - 12) = 0.5
  assert.equal(matthews([0, 2, 2, 0, 1, 1], [0, 1, 2, 0, 1, 2]), 0.5);
  // Pearson of x = 1 2 3 4, y = 2 4 5 4: means 2.5, 3.75; sxy = 3.5, sxx = 5, syy = 4.75.
  close(pearson([1, 2, 3, 4], [2, 4, 5, 4]), 3.5 / Math.sqrt(5 * 4.75), 1e-15, 'pearson');
  assert.equal(pearson([1, 2, 3], [10, 20, 30]), 1);
  close(pearson([1, 2, 3], [3, 2, 1]), -1, 0, 'pearson -1');
  // Average ranks for ties: 10 20 20 30 -> 1 2.5 2.5 4.
  assert.deepEqual([...rank([20, 10, 30, 20])], [2.5, 1, 4, 2.5]);
  assert.deepEqual([...rank([5, 5, 5])], [2, 2, 2]);
  // Spearman = Pearson of ranks: y's ranks 1 2.5 4 2.5 against 1 2 3 4.
  close(spearman([1, 2, 3, 4], [2, 4, 5, 4]), pearson([1, 2, 3, 4], [1, 2.5, 4, 2.5]), 1e-15, 'spearman');
  assert.equal(spearman([1, 2, 3, 4], [1, 8, 27, 64]), 1); // monotone
});

test('degenerate inputs give 0 (as scikit-learn for MCC and F1), never NaN', () => {
  assert.equal(matthews([1, 1, 1], [0, 1, 0]), 0); // constant predictions
  assert.equal(f1([0, 0], [0, 0]), 0); // no positives anywhere
  assert.equal(pearson([1, 1, 1], [1, 2, 3]), 0);
  assert.equal(spearman([2, 2, 2], [1, 2, 3]), 0);
  assert.throws(() => accuracy([1], [1, 0]), /1 predictions for 2 labels/);
  assert.throws(() => pearson([], []), /no examples/);
});

interface Fixture {
  source: string;
  classification: Array<{ name: string; labels: number[]; preds: number[]; accuracy: number; mcc: number; f1?: number }>;
  regression: Array<{ name: string; x: number[]; y: number[]; pearson: number; spearman: number }>;
}
const fixture: Fixture = JSON.parse(readFileSync(new URL('../fixtures/metrics.json', import.meta.url), 'utf8'));

for (const c of fixture.classification) {
  test(`classification metrics match ${fixture.source}: ${c.name}`, () => {
    close(accuracy(c.preds, c.labels), c.accuracy, 1e-15, 'accuracy');
    close(matthews(c.preds, c.labels), c.mcc, 1e-12, 'mcc');
    if (c.f1 !== undefined) close(f1(c.preds, c.labels), c.f1, 1e-15, 'f1');
  });
}

for (const c of fixture.regression) {
  test(`correlations match ${fixture.source}: ${c.name}`, () => {
    close(pearson(c.x, c.y), c.pearson, 1e-12, 'pearson');
    close(spearman(c.x, c.y), c.spearman, 1e-12, 'spearman');
  });
}

test('computeMetrics by name, argmax of logits', () => {
  const m = computeMetrics(['accuracy', 'f1'], [1, 0, 1], [1, 1, 1]);
  assert.deepEqual(Object.keys(m), ['accuracy', 'f1']);
  close(m.accuracy!, 2 / 3, 1e-15, 'accuracy');
  close(m.f1!, 0.8, 1e-15, 'f1');
  const mrpc = scoreTask(GLUE_TASKS.mrpc, [1, 0, 1], [1, 1, 1]);
  assert.deepEqual(Object.keys(mrpc.metrics), ['accuracy', 'f1']);
  assert.equal(mrpc.selection, mrpc.metrics.f1, 'MRPC selects on F1');
  assert.equal(scoreTask(GLUE_TASKS.stsb, [1, 2, 3], [1, 3, 2]).selection, spearman([1, 2, 3], [1, 3, 2]));
  assert.deepEqual([...argmax(new Float32Array([0.1, 0.9, 2, -1, 3, 3]), 3, 2)], [1, 0, 0]); // ties: the first wins
  assert.throws(() => argmax([1, 2, 3], 2, 2), /3 values for \[2, 2\]/);
});
