// Child networks and Fisher scores on disk, as safetensors files any safetensors reader opens:
// - mask: one U8 tensor per candidate tensor holding its packed bits (numpy.packbits(..., bitorder='little')
//   of the flattened mask, ceil(n / 8) bytes; shape and count in the metadata), 32x smaller than float32;
// - Fisher: one F32 tensor per scored tensor.
// Both carry their JSON description in the header's __metadata__ under "pelt.child_tuning".

import { readSafetensors, writeSafetensors, type TensorInput } from '../../io/safetensors.ts';
import { fail } from '../../util/errors.ts';
import { fmt, sameShape, sizeOf } from '../../util/assert.ts';
import { popcount, type ChildMask, type NamedValues } from './mask.ts';

export const META_KEY = 'pelt.child_tuning';

/** What a child network was computed on and how. */
export interface MaskInfo {
  model: string;
  task: string;
  /** 'fisher' (Child-Tuning_D), or an ablation. */
  network: 'fisher' | 'random' | 'lowest-fisher';
  p: number;
  seed?: number;
  /** The Fisher threshold (numpy.percentile's float64 value), for fisher-based networks. */
  threshold?: number;
  /** Batches of the Fisher pass. */
  fisherBatches?: number;
  candidatesPattern?: string;
}

export interface MaskFileMeta extends MaskInfo {
  format: 'pelt-child-tuning-mask';
  version: 1;
  /** Always 'D': Child-Tuning_F draws a fresh mask every step and has none to save. */
  mode: 'D';
  candidates: number;
  kept: number;
  tensors: Record<string, { shape: number[]; count: number }>;
}

export interface FisherInfo {
  model: string;
  task: string;
  batches: number;
  batchSize?: number;
  maxGradNorm?: number;
  /** 'train' (official, dropout on) or 'eval'. */
  modelMode?: 'train' | 'eval';
}

interface FisherFileMeta extends FisherInfo {
  format: 'pelt-child-tuning-fisher';
  version: 1;
}

/** Expected [name, shape] pairs to check a file against (e.g. the model's trainable tensors). */
export type ShapeList = readonly (readonly [string, { shape: readonly number[] }])[];

export function saveMask(path: string, mask: ChildMask, info: MaskInfo): MaskFileMeta {
  const tensors: Record<string, TensorInput> = {};
  const meta: MaskFileMeta = { format: 'pelt-child-tuning-mask', version: 1, mode: 'D', ...info, candidates: 0, kept: 0, tensors: {} };
  for (const [name, m] of mask) {
    tensors[name] = { dtype: 'U8', shape: [m.bits.length], bytes: m.bits };
    meta.tensors[name] = { shape: [...m.shape], count: m.count };
    meta.candidates += sizeOf(m.shape);
    meta.kept += m.count;
  }
  writeSafetensors(path, tensors, { [META_KEY]: JSON.stringify(meta) });
  return meta;
}

function metaOf<T>(path: string, metadata: Record<string, string>, format: string): T {
  const raw = metadata[META_KEY];
  if (raw === undefined) fail('checkpoint', `${path}: not a Child-Tuning file (no "${META_KEY}" in the safetensors metadata)`);
  let meta: { format?: string; version?: number };
  try {
    meta = JSON.parse(raw);
  } catch (e) {
    return fail('checkpoint', `${path}: metadata "${META_KEY}" is not valid JSON: ${(e as Error).message}`);
  }
  if (meta.format !== format) fail('checkpoint', `${path}: a "${meta.format}" file, expected "${format}"`);
  if (meta.version !== 1) fail('checkpoint', `${path}: ${format} version ${meta.version} is not supported (pelt reads version 1)`);
  return meta as T;
}

/** Checks a file's tensors against the model's: same names (where the file has them) and shapes. */
function checkAgainst(path: string, what: string, shapes: Map<string, readonly number[]>, expected: ShapeList, needAll: (name: string) => boolean): void {
  const model = new Map(expected.map(([n, t]) => [n, t.shape] as const));
  for (const [name, shape] of shapes) {
    const s = model.get(name);
    if (!s) fail('checkpoint', `${path}: ${what} tensor "${name}" is not a trainable tensor of the model`);
    if (!sameShape(s, shape)) fail('checkpoint', `${path}: ${what} tensor "${name}" has shape ${fmt(shape)}, the model's has ${fmt(s)}`);
  }
  for (const [name] of expected) {
    if (needAll(name) && !shapes.has(name)) fail('checkpoint', `${path}: no ${what} for the model's tensor "${name}"`);
  }
}

/**
 * Reads a mask file; with `expected` (the trainable [name, tensor] pairs), every mask tensor must match a
 * trainable tensor's shape, and every trainable tensor matching the file's candidate pattern must have one.
 */
export function loadMask(path: string, expected?: ShapeList): { mask: ChildMask; meta: MaskFileMeta } {
  const file = readSafetensors(path);
  const meta = metaOf<MaskFileMeta>(path, file.metadata, 'pelt-child-tuning-mask');
  const mask: ChildMask = new Map();
  for (const [name, { shape, count }] of Object.entries(meta.tensors)) {
    const raw = file.other.get(name);
    if (!raw) fail('checkpoint', `${path}: metadata lists tensor "${name}" but the file has no U8 tensor of that name`);
    if (raw.dtype !== 'U8') fail('checkpoint', `${path}: tensor "${name}" has dtype ${raw.dtype}, expected U8 packed bits`);
    const n = sizeOf(shape);
    if (raw.bytes.length !== Math.ceil(n / 8)) fail('checkpoint', `${path}: tensor "${name}" has ${raw.bytes.length} bytes, a mask of shape ${fmt(shape)} needs ${Math.ceil(n / 8)}`);
    const bits = new Uint8Array(raw.bytes); // own copy (a plain Uint8Array, not a view on the file Buffer)
    if (n % 8 !== 0 && bits[bits.length - 1]! >>> (n % 8) !== 0) fail('checkpoint', `${path}: tensor "${name}" has bits set past its ${n} elements`);
    const c = popcount(bits);
    if (c !== count) fail('checkpoint', `${path}: tensor "${name}" has ${c} bits set but the metadata says ${count} (corrupt file?)`);
    mask.set(name, { shape: [...shape], bits, count });
  }
  for (const name of [...file.other.keys(), ...file.tensors.keys()]) {
    if (!mask.has(name)) fail('checkpoint', `${path}: tensor "${name}" is not listed in the metadata`);
  }
  if (expected) {
    const pattern = meta.candidatesPattern ?? 'encoder.layer';
    checkAgainst(path, 'mask', new Map([...mask].map(([n, m]) => [n, m.shape])), expected, (n) => n.includes(pattern));
  }
  return { mask, meta };
}

export function saveFisher(path: string, scores: NamedValues, info: FisherInfo): void {
  const meta: FisherFileMeta = { format: 'pelt-child-tuning-fisher', version: 1, ...info };
  writeSafetensors(path, scores, { [META_KEY]: JSON.stringify(meta) });
}

/** Reads Fisher scores; with `expected`, every scored tensor must match a trainable tensor and all must be scored. */
export function loadFisher(path: string, expected?: ShapeList): { scores: NamedValues; meta: FisherInfo } {
  const file = readSafetensors(path);
  const meta = metaOf<FisherFileMeta>(path, file.metadata, 'pelt-child-tuning-fisher');
  for (const [name, raw] of file.other) fail('checkpoint', `${path}: tensor "${name}" has dtype ${raw.dtype}, expected F32 scores`);
  const scores: NamedValues = new Map();
  for (const [name, t] of file.tensors) {
    if (t.dtype !== 'F32') fail('checkpoint', `${path}: tensor "${name}" has dtype ${t.dtype}, expected F32 scores`);
    scores.set(name, { shape: [...t.shape], data: t.data });
  }
  if (expected) checkAgainst(path, 'Fisher', new Map([...scores].map(([n, v]) => [n, v.shape])), expected, () => true);
  return { scores, meta };
}
