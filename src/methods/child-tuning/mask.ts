// Fixed child networks as bitsets: Child-Tuning_D's (highest Fisher), and the paper's ablations (a random
// child network of the same size, the lowest-Fisher one). Only candidate tensors get a mask; every other
// trainable tensor is always fully updated.

import { fail } from '../../util/errors.ts';
import { fmt, sizeOf } from '../../util/assert.ts';
import { percentile, selectKeys, type KeySource } from './quantile.ts';
import { hash32 } from '../../tensor/backends/js/misc.ts'; // the bernoulliMask kernel's counter hash

/**
 * A 0/1 mask over one tensor. Element i (row-major) is bit (i & 7) of byte i >> 3, as
 * numpy.packbits(..., bitorder='little'); padding bits of the last byte are 0.
 */
export interface BitMask {
  shape: number[];
  bits: Uint8Array;
  /** Elements in the child network (bits set). */
  count: number;
}

/** Candidate tensor name -> its mask. */
export type ChildMask = Map<string, BitMask>;

/** Values and shapes by tensor name (Fisher scores, or anything else to threshold). */
export type NamedValues = Map<string, { shape: number[]; data: Float32Array }>;

/** Official ChildTuningD: only encoder layers are candidates (it tests `'layer' in name`). */
export const DEFAULT_CANDIDATES = 'encoder.layer';

export const isCandidate = (name: string, pattern: string = DEFAULT_CANDIDATES): boolean => name.includes(pattern);

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => {
  let c = 0;
  for (let x = b; x; x >>= 1) c += x & 1;
  return c;
});

export function popcount(bits: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < bits.length; i++) c += POPCOUNT[bits[i]!]!;
  return c;
}

/** Packs keep(i) for i < size into a BitMask. */
export function packMask(shape: readonly number[], keep: (i: number) => boolean): BitMask {
  const n = sizeOf(shape);
  const bits = new Uint8Array((n + 7) >>> 3);
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (keep(i)) {
      bits[i >>> 3]! |= 1 << (i & 7);
      count++;
    }
  }
  return { shape: [...shape], bits, count };
}

/** The mask as 0/1 floats (the multiplier AdamW applies to the gradient). */
export function maskToFloat(m: BitMask, out: Float32Array = new Float32Array(sizeOf(m.shape))): Float32Array {
  const n = sizeOf(m.shape);
  if (out.length < n) fail('shape', `maskToFloat: buffer of ${out.length} for a mask of shape ${fmt(m.shape)}`);
  for (let i = 0; i < n; i++) out[i] = (m.bits[i >>> 3]! >>> (i & 7)) & 1;
  return out;
}

export interface MaskResult {
  mask: ChildMask;
  /** Candidate elements and those kept. */
  candidates: number;
  kept: number;
  /** Fisher threshold (numpy.percentile's float64 value; elements are compared with its float32 rounding). */
  threshold?: number;
}

function candidatesOf(values: NamedValues, pattern: string): [string, { shape: number[]; data: Float32Array }][] {
  const c = [...values].filter(([name]) => isCandidate(name, pattern));
  if (c.length === 0) fail('config', `Child-Tuning: no trainable tensor name contains "${pattern}" (tensors: ${[...values.keys()].slice(0, 5).join(', ')}${values.size > 5 ? ', ...' : ''})`);
  return c;
}

/**
 * Child-Tuning_D as the official code computes it: one threshold over every candidate element,
 * polar = numpy.percentile(F, (1 - p) * 100), child = F >= polar (ties at the threshold all kept).
 * lowest: the ablation's lowest-Fisher child network, polar = percentile(F, p * 100), child = F <= polar.
 */
export function fisherMask(fisher: NamedValues, opts: { p: number; candidates?: string; lowest?: boolean }): MaskResult {
  const { p, lowest = false } = opts;
  if (!(p > 0 && p <= 1)) fail('config', `Child-Tuning: p_D must be in (0, 1], got ${p}`);
  const cands = candidatesOf(fisher, opts.candidates ?? DEFAULT_CANDIDATES);
  const threshold = percentile(cands.map(([, v]) => v.data), lowest ? p * 100 : (1 - p) * 100);
  const thr = Math.fround(threshold); // torch casts the float64 polar to the tensor's float32
  const mask: ChildMask = new Map();
  let candidates = 0, kept = 0;
  for (const [name, { shape, data }] of cands) {
    const m = lowest ? packMask(shape, (i) => data[i]! <= thr) : packMask(shape, (i) => data[i]! >= thr);
    mask.set(name, m);
    candidates += data.length;
    kept += m.count;
  }
  return { mask, candidates, kept, threshold };
}

export { hash32 };

/**
 * The random-child ablation: exactly `count` candidate elements (default round(p * candidates)) drawn
 * uniformly without replacement, reproducible from seed. Element j of the concatenated candidates is
 * kept when hash32(j, seed) is among the `count` smallest; the hash is a bijection, so there are no ties.
 */
export function randomMask(tensors: readonly (readonly [string, { shape: readonly number[] }])[], opts: { p: number; seed: number; candidates?: string; count?: number }): MaskResult {
  const pattern = opts.candidates ?? DEFAULT_CANDIDATES;
  const cands = tensors.filter(([name]) => isCandidate(name, pattern));
  if (cands.length === 0) fail('config', `Child-Tuning: no trainable tensor name contains "${pattern}"`);
  const n = cands.reduce((s, [, t]) => s + sizeOf(t.shape), 0);
  const count = opts.count ?? Math.round(opts.p * n);
  if (!(Number.isInteger(count) && count >= 0 && count <= n)) fail('config', `Child-Tuning: random child network of ${count} elements out of ${n} candidates`);
  const seed = opts.seed >>> 0;
  const keys: KeySource = {
    size: n,
    forEachChunk(sink) {
      const buf = new Uint32Array(1 << 16);
      for (let start = 0; start < n; start += buf.length) {
        const m = Math.min(buf.length, n - start);
        for (let i = 0; i < m; i++) buf[i] = hash32(start + i, seed);
        sink(buf, m);
      }
    },
  };
  const cut = count === 0 ? -1 : selectKeys(keys, [count - 1])[0]!;
  const mask: ChildMask = new Map();
  let offset = 0;
  for (const [name, t] of cands) {
    const base = offset;
    mask.set(name, packMask(t.shape, (i) => hash32(base + i, seed) <= cut));
    offset += sizeOf(t.shape);
  }
  return { mask, candidates: n, kept: count };
}
