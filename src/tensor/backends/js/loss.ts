import { fail } from '../../../util/errors.ts';
import type { Buf } from '../kernels.ts';
import { softmaxRow } from './norm.ts';

export function embeddingForward(weight: Buf, ids: Int32Array, V: number, H: number, out: Buf): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id < 0 || id >= V) fail('shape', `embedding: id ${id} at position ${i} is outside the table [0, ${V})`);
    for (let j = 0; j < H; j++) out[i * H + j] = weight[id * H + j]!;
  }
}

export function embeddingBackward(dOut: Buf, ids: Int32Array, V: number, H: number, dWeight: Buf): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id < 0 || id >= V) fail('shape', `embedding backward: id ${id} outside [0, ${V})`);
    for (let j = 0; j < H; j++) dWeight[id * H + j]! += dOut[i * H + j]!;
  }
}

export function crossEntropyForward(logits: Buf, labels: Int32Array, N: number, C: number, ignoreIndex: number, probs: Buf): number {
  let total = 0;
  for (let i = 0; i < N; i++) {
    softmaxRow(logits, i * C, C, probs, i * C);
    const y = labels[i]!;
    if (y === ignoreIndex) continue;
    if (y < 0 || y >= C) fail('shape', `cross_entropy: label ${y} at row ${i} is outside [0, ${C})`);
    // log-softmax computed directly for accuracy: -(x_y - max - log sum exp(x - max))
    let m = -Infinity;
    for (let j = 0; j < C; j++) if (logits[i * C + j]! > m) m = logits[i * C + j]!;
    let s = 0;
    for (let j = 0; j < C; j++) s += Math.exp(logits[i * C + j]! - m);
    total += -(logits[i * C + y]! - m - Math.log(s));
  }
  return total;
}

export function crossEntropyBackward(probs: Buf, labels: Int32Array, N: number, C: number, ignoreIndex: number, scale: number, dLogits: Buf): void {
  for (let i = 0; i < N; i++) {
    const y = labels[i]!;
    for (let j = 0; j < C; j++) dLogits[i * C + j] = y === ignoreIndex ? 0 : scale * (probs[i * C + j]! - (j === y ? 1 : 0));
  }
}
