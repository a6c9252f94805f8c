// Overlap of task-driven child networks (the paper's heatmap): the Jaccard coefficient
// |Ci ∩ Cj| / |Ci ∪ Cj| over all candidate elements, for every pair of tasks.

import { fail } from '../../util/errors.ts';
import { fmt, sameShape } from '../../util/assert.ts';
import { popcount, type ChildMask } from './mask.ts';

const POP = Uint8Array.from({ length: 256 }, (_, b) => popcount(Uint8Array.of(b)));

/** |A ∩ B| / |A ∪ B|; both masks must cover the same tensors with the same shapes. Two empty sets give 1. */
export function jaccard(a: ChildMask, b: ChildMask): number {
  if (a.size !== b.size) fail('usage', `jaccard: masks over ${a.size} and ${b.size} tensors`);
  let inter = 0, union = 0;
  for (const [name, ma] of a) {
    const mb = b.get(name);
    if (!mb) fail('usage', `jaccard: tensor "${name}" is in one mask only`);
    if (!sameShape(ma.shape, mb.shape)) fail('usage', `jaccard: tensor "${name}" has shapes ${fmt(ma.shape)} and ${fmt(mb.shape)}`);
    let both = 0;
    for (let i = 0; i < ma.bits.length; i++) both += POP[ma.bits[i]! & mb.bits[i]!]!;
    inter += both;
    union += ma.count + mb.count - both;
  }
  return union === 0 ? 1 : inter / union;
}

export interface OverlapMatrix {
  tasks: string[];
  /** matrix[i][j] = jaccard(task i, task j); symmetric, 1 on the diagonal. */
  matrix: number[][];
  /** Child-network sizes by task. */
  kept: number[];
}

export function overlapMatrix(masks: readonly { task: string; mask: ChildMask }[]): OverlapMatrix {
  const n = masks.length;
  const matrix = Array.from({ length: n }, () => new Array<number>(n).fill(1));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) matrix[i]![j] = matrix[j]![i] = jaccard(masks[i]!.mask, masks[j]!.mask);
  }
  const kept = masks.map(({ mask }) => [...mask.values()].reduce((s, m) => s + m.count, 0));
  return { tasks: masks.map((m) => m.task), matrix, kept };
}

/** A Markdown table of the matrix (3 decimals). */
export function overlapMarkdown(o: OverlapMatrix, digits = 3): string {
  const head = `| | ${o.tasks.join(' | ')} |`;
  const rule = `|---|${o.tasks.map(() => '---').join('|')}|`;
  const rows = o.matrix.map((r, i) => `| **${o.tasks[i]}** | ${r.map((x) => x.toFixed(digits)).join(' | ')} |`);
  return [head, rule, ...rows].join('\n') + '\n';
}

export function overlapJson(o: OverlapMatrix): string {
  return JSON.stringify({ metric: 'jaccard', ...o }, null, 2) + '\n';
}
