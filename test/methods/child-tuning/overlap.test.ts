// Overlap analysis: Jaccard |Ci ∩ Cj| / |Ci ∪ Cj| between child networks, as a matrix over tasks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packMask, jaccard, overlapMatrix, overlapMarkdown, overlapJson, type ChildMask } from '../../../src/methods/child-tuning/index.ts';
import { Rng } from '../../../src/util/rng.ts';

const mask = (sets: Record<string, number[]>, shapes: Record<string, number[]>): ChildMask =>
  new Map(Object.entries(shapes).map(([n, s]) => [n, packMask(s, (i) => sets[n]!.includes(i))]));

test('jaccard counts elements across tensors', () => {
  const shapes = { a: [3, 5], b: [9] };
  const x = mask({ a: [0, 1, 2, 14], b: [8] }, shapes);
  const y = mask({ a: [1, 2, 3], b: [8, 0] }, shapes);
  // ∩ = {a1, a2, b8} = 3; ∪ = {a0..a3, a14, b0, b8} = 7
  assert.equal(jaccard(x, y), 3 / 7);
  assert.equal(jaccard(x, x), 1);
  assert.equal(jaccard(mask({ a: [], b: [] }, shapes), mask({ a: [], b: [] }, shapes)), 1);
  assert.throws(() => jaccard(x, mask({ a: [], b: [] }, { a: [15], b: [9] })), /tensor "a" has shapes \[3, 5\] and \[15\]/);
});

test('matrix: symmetric, 1 on the diagonal, agrees with a direct count; renderers', () => {
  const rng = new Rng(1);
  const shapes = { w: [40, 40], v: [77] };
  const tasks = ['RTE', 'MRPC', 'CoLA'].map((task) => ({
    task, mask: new Map(Object.entries(shapes).map(([n, s]) => [n, packMask(s, () => rng.uniform() < 0.3)])) as ChildMask,
  }));
  const o = overlapMatrix(tasks);
  assert.deepEqual(o.tasks, ['RTE', 'MRPC', 'CoLA']);
  for (let i = 0; i < 3; i++) {
    assert.equal(o.matrix[i]![i], 1);
    for (let j = 0; j < 3; j++) assert.equal(o.matrix[i]![j], o.matrix[j]![i]);
  }
  // independent 30% masks: E[J] = 0.09 / 0.51
  assert.ok(Math.abs(o.matrix[0]![1]! - 0.09 / 0.51) < 0.05);
  const md = overlapMarkdown(o);
  assert.match(md, /^\| \| RTE \| MRPC \| CoLA \|\n\|---\|---\|---\|---\|\n\| \*\*RTE\*\* \| 1\.000 \| 0\.\d{3} \|/);
  const json = JSON.parse(overlapJson(o));
  assert.equal(json.metric, 'jaccard');
  assert.deepEqual(json.matrix, o.matrix);
  assert.equal(json.kept.length, 3);
});
