// safetensors reader and writer (format: github.com/huggingface/safetensors, README "Format").
//
// Layout: u64 LE header length N | N bytes of UTF-8 JSON header | data section.
// Reading is strict, as the reference Rust crate is: the header must start with '{', every
// tensor's byte range must match dtype x shape, and the ranges, sorted by offset, must tile the
// data section exactly (no gap, no overlap, nothing left over; a hole could hide a polyglot file).
//
// Float tensors (F32, F16, BF16, F64) come back as float32 in `tensors`; F32 data that is
// 4-byte aligned in the file is a view on the file's one buffer, not a copy. Every other dtype
// (I64 position_ids of older BERT checkpoints, U8, BOOL, ...) comes back undecoded in `other`,
// so such files still load; `floatTensor()` names the tensor and its dtype if one is needed.
//
// Writing matches the reference writer byte for byte: tensors sorted by dtype alignment
// (descending) then by name, compact JSON, header padded with spaces to a multiple of 8.
// Float tensors are stored as F32 unless told otherwise; tensors passed back as read keep their
// dtype (a file read and saved again is the same file).

import { readFileSync } from 'node:fs';
import { fail, PeltError } from '../util/errors.ts';
import { writeFileAtomic } from './atomic.ts';
import { decodeBF16, decodeF16, encode16 } from './float16.ts';

/** The reference crate's limit: larger headers are refused before parsing. */
export const MAX_HEADER_SIZE = 100_000_000;

// Bits per element, in the reference crate's enum order, which is also its sort order for writing.
const DTYPES: ReadonlyArray<readonly [string, number]> = [
  ['BOOL', 8], ['F4', 4], ['F6_E2M3', 6], ['F6_E3M2', 6], ['U8', 8], ['I8', 8], ['F8_E5M2', 8],
  ['F8_E4M3', 8], ['F8_E8M0', 8], ['F8_E4M3FNUZ', 8], ['F8_E5M2FNUZ', 8], ['I16', 16], ['U16', 16],
  ['F16', 16], ['BF16', 16], ['I32', 32], ['U32', 32], ['F32', 32], ['C64', 64], ['F64', 64],
  ['I64', 64], ['U64', 64],
];
const DTYPE_BITS = new Map(DTYPES);
const DTYPE_RANK = new Map(DTYPES.map(([name], i) => [name, i]));

export type FloatDtype = 'F32' | 'F16' | 'BF16' | 'F64';
const FLOAT_DTYPES = new Set<string>(['F32', 'F16', 'BF16', 'F64']);

export interface SafetensorsTensor {
  dtype: FloatDtype; // as stored in the file; `data` is always float32
  shape: number[];
  data: Float32Array;
}

/** A tensor kept as its raw little-endian bytes (a view on the file buffer). */
export interface RawTensor {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

export interface Safetensors {
  tensors: Map<string, SafetensorsTensor>;
  other: Map<string, RawTensor>; // tensors of non-float dtypes, undecoded
  metadata: Record<string, string>;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function readSafetensors(path: string): Safetensors {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path); // the one copy of the file in memory
  } catch (err) {
    fail('safetensors', `${path}: cannot read file: ${(err as Error).message}`);
  }
  return parseSafetensors(bytes, path);
}

export function parseSafetensors(bytes: Uint8Array, source: string): Safetensors {
  const bad: (problem: string) => never = (problem) => fail('safetensors', `${source}: ${problem}`);
  if (bytes.length < 8) bad(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_SIZE)) bad(`header length ${n} exceeds the limit of ${MAX_HEADER_SIZE} bytes`);
  const headerLen = Number(n);
  if (8 + headerLen > bytes.length) {
    bad(`header length ${headerLen} runs past the end of the file (${bytes.length} bytes)`);
  }
  const header = parseHeader(bytes.subarray(8, 8 + headerLen), bad);
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;

  let metadata: Record<string, string> = {};
  const entries: Array<{ name: string; dtype: string; shape: number[]; begin: number; end: number }> = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (value === null) continue;
      if (typeof value !== 'object' || Array.isArray(value)) bad('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(value as object)) {
        if (typeof v !== 'string') bad(`__metadata__ value of "${k}" is ${JSON.stringify(v)}, not a string`);
      }
      metadata = Object.fromEntries(Object.entries(value as object)); // own keys, even "__proto__"
      continue;
    }
    entries.push({ name, ...checkEntry(value, dataLen, (p) => bad(`tensor "${name}": ${p}`)) });
  }

  // The reference sorts by (begin, end) and then demands each range start where the last ended.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev: (typeof entries)[number] | undefined;
  for (const e of sorted) {
    if (e.begin < cursor) {
      bad(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] overlap tensor "${prev!.name}" [${prev!.begin}, ${prev!.end}]`);
    }
    if (e.begin > cursor) {
      bad(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] leave bytes ${cursor}..${e.begin} of the data section unused (holes are not allowed)`);
    }
    cursor = e.end;
    prev = e;
  }
  if (cursor !== dataLen) {
    bad(`data section has ${dataLen} bytes but the tensors cover ${cursor}; the remaining ${dataLen - cursor} bytes belong to no tensor`);
  }

  const tensors = new Map<string, SafetensorsTensor>();
  const other = new Map<string, RawTensor>();
  for (const e of entries) {
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    if (FLOAT_DTYPES.has(e.dtype)) {
      tensors.set(e.name, { dtype: e.dtype as FloatDtype, shape: e.shape, data: toFloat32(raw, e.dtype) });
    } else {
      other.set(e.name, { dtype: e.dtype, shape: e.shape, bytes: raw });
    }
  }
  return { tensors, other, metadata };
}

/** The float32 tensor `name`, or a 'checkpoint' / 'safetensors' error saying why there is none. */
export function floatTensor(file: Safetensors, name: string, source: string): SafetensorsTensor {
  const t = file.tensors.get(name);
  if (t) return t;
  const o = file.other.get(name);
  if (o) fail('safetensors', `${source}: tensor "${name}" has dtype ${o.dtype}; only F32, F16, BF16 and F64 can be read as float32`);
  return fail('checkpoint', `${source}: no tensor named "${name}"`);
}

function parseHeader(raw: Uint8Array, bad: (p: string) => never): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    return bad('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) bad(`header must be a JSON object starting with '{', found ${JSON.stringify(text.slice(0, 20))}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    return bad(`header is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) bad('header is not a JSON object');
  const seen = new Set<string>();
  for (const key of topLevelKeys(text)) {
    if (seen.has(key)) bad(`duplicate key "${key}" in header`);
    seen.add(key);
  }
  return header as Record<string, unknown>;
}

// JSON.parse keeps the last of duplicate keys silently; the spec forbids duplicates, so list the
// top-level keys of the (already valid) JSON text to find them.
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(text.slice(i, j + 1)) as string);
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = c === '{' && depth === 1;
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',') expectKey = depth === 1;
  }
  return keys;
}

function checkEntry(value: unknown, dataLen: number, bad: (p: string) => never) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('entry is not an object');
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== 'string' || !DTYPE_BITS.has(dtype)) bad(`unknown dtype ${JSON.stringify(dtype)}`);
  const dt = dtype as string;
  if (!Array.isArray(shape) || !shape.every(isIndex)) {
    bad(`shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const dims = shape as number[];
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
    bad(`data_offsets must be [begin, end] with non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) bad(`data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataLen) bad(`data_offsets [${begin}, ${end}] run past the end of the data section (${dataLen} bytes)`);
  // Capped so a hostile shape cannot lose precision; anything that large mismatches anyway.
  let count = dims.includes(0) ? 0 : 1;
  for (const d of dims) count = Math.min(count * d, 2 ** 53);
  const bits = count * DTYPE_BITS.get(dt)!;
  if (bits % 8 !== 0) bad(`shape [${dims.join(', ')}] of ${dt} is not a whole number of bytes`);
  if (bits / 8 !== end - begin) {
    bad(`shape [${dims.join(', ')}] of ${dt} needs ${bits / 8} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { dtype: dt, shape: [...dims], begin, end };
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function toFloat32(raw: Uint8Array, dtype: string): Float32Array {
  const abs = raw.byteOffset;
  if (dtype === 'F32') {
    const count = raw.length / 4;
    if (LITTLE_ENDIAN && abs % 4 === 0) return new Float32Array(raw.buffer, abs, count);
    const out = new Float32Array(count);
    if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(raw);
    else {
      const view = new DataView(raw.buffer, abs, raw.length);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
    }
    return out;
  }
  if (dtype === 'F64') {
    const count = raw.length / 8;
    if (LITTLE_ENDIAN && abs % 8 === 0) return Float32Array.from(new Float64Array(raw.buffer, abs, count));
    const out = new Float32Array(count);
    const view = new DataView(raw.buffer, abs, raw.length);
    for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
    return out;
  }
  const out = new Float32Array(raw.length / 2);
  (dtype === 'F16' ? decodeF16 : decodeBF16)(raw, out.length, out);
  return out;
}

// ---- writing ----

/** How float32 data is stored; F64 is accepted so tensors read from any float file can be saved back. */
export type StorageDtype = FloatDtype;

/** A float32 tensor to write; `dtype` overrides the file-wide storage dtype for this tensor. */
export interface FloatTensorInput {
  shape: readonly number[];
  data: Float32Array;
  dtype?: StorageDtype;
}
export type TensorInput = FloatTensorInput | RawTensor;
export type TensorsInput = Map<string, TensorInput> | Record<string, TensorInput>;

export interface WriteOptions {
  dtype?: StorageDtype; // storage dtype of float tensors, default F32
}

export function serializeSafetensors(
  tensors: TensorsInput,
  metadata?: Record<string, string>,
  opts: WriteOptions = {},
): Uint8Array {
  const chunks = prepare(tensors, metadata, opts, '<serialize>');
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Writes atomically (temp file + rename): a crash never leaves a truncated file at `path`. */
export function writeSafetensors(
  path: string,
  tensors: TensorsInput,
  metadata?: Record<string, string>,
  opts: WriteOptions = {},
): void {
  const chunks = prepare(tensors, metadata, opts, path);
  try {
    writeFileAtomic(path, chunks);
  } catch (err) {
    if (err instanceof PeltError) throw err;
    fail('safetensors', `${path}: cannot write file: ${(err as Error).message}`);
  }
}

// Header bytes followed by each tensor's bytes; F32 data is passed as a view, never copied.
function prepare(tensors: TensorsInput, metadata: Record<string, string> | undefined, opts: WriteOptions, target: string): Uint8Array[] {
  const bad: (p: string) => never = (p) => fail('safetensors', `${target}: ${p}`);
  const items: Array<{ name: string; dtype: string; shape: number[]; bytes: Uint8Array }> = [];
  const list = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  for (const [name, t] of list) {
    if (name === '__metadata__') bad('"__metadata__" cannot be a tensor name');
    const shape = [...t.shape];
    if (!shape.every((d) => isIndex(d))) bad(`tensor "${name}": shape [${shape.join(', ')}] is not a list of non-negative integers`);
    const count = shape.reduce((a, b) => a * b, 1);
    if ('bytes' in t) {
      const bitsPer = DTYPE_BITS.get(t.dtype);
      if (bitsPer === undefined) bad(`tensor "${name}": unknown dtype "${t.dtype}"`);
      if ((count * bitsPer) / 8 !== t.bytes.length) bad(`tensor "${name}": ${t.bytes.length} bytes do not fit shape [${shape.join(', ')}] of ${t.dtype}`);
      items.push({ name, dtype: t.dtype, shape, bytes: t.bytes });
      continue;
    }
    if (t.data.length !== count) bad(`tensor "${name}": ${t.data.length} values do not fit shape [${shape.join(', ')}]`);
    const dtype = t.dtype ?? opts.dtype ?? 'F32';
    if (!FLOAT_DTYPES.has(dtype)) bad(`tensor "${name}": cannot write dtype "${dtype}"`);
    items.push({ name, dtype, shape, bytes: floatBytes(t.data, dtype) });
  }
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') bad(`metadata value of "${k}" is not a string`);
    }
  }
  // Descending alignment, then name in byte order (the reference compares Rust Strings: UTF-8 bytes).
  items.sort((a, b) => DTYPE_RANK.get(b.dtype)! - DTYPE_RANK.get(a.dtype)! || Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));

  // Built by hand, not JSON.stringify(object): objects move integer-like keys ("0", "1") first.
  const parts: string[] = [];
  if (metadata) {
    const keys = Object.keys(metadata).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    parts.push(`"__metadata__":{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`);
  }
  let offset = 0;
  for (const it of items) {
    const end = offset + it.bytes.length;
    parts.push(`${JSON.stringify(it.name)}:{"dtype":"${it.dtype}","shape":[${it.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded > MAX_HEADER_SIZE) bad(`header of ${padded} bytes exceeds the limit of ${MAX_HEADER_SIZE}`);
  const head = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  return [head, ...items.map((it) => it.bytes)];
}

function floatBytes(data: Float32Array, dtype: StorageDtype): Uint8Array {
  if (dtype === 'F16' || dtype === 'BF16') return encode16(data, dtype);
  if (dtype === 'F32' && LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const size = dtype === 'F32' ? 4 : 8;
  const out = new Uint8Array(data.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (size === 4) view.setFloat32(4 * i, data[i]!, true);
    else view.setFloat64(8 * i, data[i]!, true);
  }
  return out;
}
