// Shared by the method tests: the seeded random BERT of test/fixtures/bert/random with a 3-label head,
// a padded batch, and small helpers.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBertFromDir } from '../../src/models/bert/load.ts';
import type { BertForSequenceClassification } from '../../src/models/bert/heads.ts';
import type { BertInput } from '../../src/models/bert/model.ts';
import type { Attached } from '../../src/methods/index.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { Rng } from '../../src/util/rng.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
export const RANDOM = join(root, 'test/fixtures/bert/random');

export function fresh(): BertForSequenceClassification {
  return loadBertFromDir(RANDOM, { task: 'sequence-classification', numLabels: 3, quiet: true, seed: 3 }).model;
}

// Three rows, the last two padded.
const ids = [[1, 81, 14, 31, 25, 96, 2, 13], [1, 65, 24, 95, 50, 2, 0, 0], [1, 33, 82, 2, 5, 2, 0, 0]];
export const batch: BertInput = {
  inputIds: Int32Array.from(ids.flat()), tokenTypeIds: Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0]),
  attentionMask: ids.flat().map((t) => (t === 0 ? 0 : 1)), batch: 3, seqLen: 8,
};
export const labels = [0, 2, 1];

export function logits(model: BertForSequenceClassification, input: BertInput = batch): Float32Array {
  return noGrad(() => model.eval().forward(input).logits.data) as Float32Array;
}

/** Moves every trainable tensor away from its init, so round trips and merges compare something. */
export function perturb(attached: Attached, seed = 7, head = true): void {
  const rng = new Rng(seed);
  const g = attached.groups();
  for (const [, p] of [...g.method, ...g.gates, ...(head ? g.head : [])]) for (let i = 0; i < p.size; i++) p.data[i] = p.data[i]! + 0.1 * rng.normal();
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

