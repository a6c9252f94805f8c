import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  floatTensor,
  parseSafetensors,
  readSafetensors,
  serializeSafetensors,
  writeSafetensors,
  type TensorInput,
} from '../../src/io/safetensors.ts';
import { decodeBF16, decodeF16, floatToBF16, floatToHalf, halfToFloat } from '../../src/io/float16.ts';
import { PeltError } from '../../src/util/errors.ts';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
const tinyModel = resolve(repoRoot, '../shared/models/pelt-bert-tiny/model.safetensors');

const enc = new TextEncoder();

/** A file from a header (object or raw text) and a data section; `n` overrides the header length. */
function file(header: object | string | Uint8Array, data: Uint8Array | number = 0, n?: bigint): Uint8Array {
  const h = header instanceof Uint8Array ? header : enc.encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + body.length);
  new DataView(out.buffer).setBigUint64(0, n ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(body, 8 + h.length);
  return out;
}

function f32(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

test('exact byte layout of a hand-built two-tensor file', () => {
  const bytes = serializeSafetensors(
    { weight: { shape: [2], data: new Float32Array([1, 2]) }, bias: { shape: [1], data: new Float32Array([0.5]) } },
    { format: 'pt' },
  );
  // Sorted by name (same dtype); compact JSON; 147 bytes padded with 5 spaces to 152.
  const json =
    '{"__metadata__":{"format":"pt"},' +
    '"bias":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},' +
    '"weight":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
  assert.equal(json.length, 147);
  const expected = [
    ...[152, 0, 0, 0, 0, 0, 0, 0], // header length, u64 little-endian
    ...enc.encode(json),
    ...[0x20, 0x20, 0x20, 0x20, 0x20], // padding to a multiple of 8
    ...[0x00, 0x00, 0x00, 0x3f], // 0.5
    ...[0x00, 0x00, 0x80, 0x3f], // 1.0
    ...[0x00, 0x00, 0x00, 0x40], // 2.0
  ];
  assert.deepEqual([...bytes], expected);
});

test('writer orders by dtype alignment (descending), then name bytes, like the reference', () => {
  const bytes = serializeSafetensors({
    b: { shape: [1], data: new Float32Array([1]), dtype: 'F16' },
    a: { shape: [1], data: new Float32Array([1]), dtype: 'BF16' },
    z: { shape: [1], data: new Float32Array([1]) },
    ids: { dtype: 'I64', shape: [1], bytes: new Uint8Array(8) },
    '10': { shape: [], data: new Float32Array([3]) },
    '9': { shape: [], data: new Float32Array([4]) },
  });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(n % 8, 0);
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + n)).trimEnd();
  const order = [...header.matchAll(/"([^"]+)":\{"dtype"/g)].map((m) => m[1]);
  assert.deepEqual(order, ['ids', '10', '9', 'z', 'a', 'b']);
  assert.ok(!header.includes('__metadata__'), 'no metadata key unless metadata is given');
});

test('reads the reference crate doc example (unpadded 60-byte header, I32 kept raw)', () => {
  const bytes = file('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}', 16);
  const st = parseSafetensors(bytes, 'doc.safetensors');
  assert.equal(st.tensors.size, 0);
  assert.deepEqual(st.other.get('test')?.shape, [2, 2]);
  assert.equal(st.other.get('test')?.bytes.length, 16);
  assert.throws(() => floatTensor(st, 'test', 'doc.safetensors'), /doc\.safetensors: tensor "test" has dtype I32/);
  assert.throws(() => floatTensor(st, 'nope', 'doc.safetensors'), (e) => e instanceof PeltError && e.code === 'checkpoint');
});

test('round trip: write, read back, identical tensors and metadata; atomic (no temp files left)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pelt-st-'));
  try {
    const rnd = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
    const tensors = new Map([
      ['encoder.layer.0.attention.self.query.weight', { shape: [8, 8], data: rnd(64) }],
      ['encoder.layer.0.attention.self.query.bias', { shape: [8], data: rnd(8) }],
      ['scalar', { shape: [], data: new Float32Array([Math.PI]) }],
      ['empty', { shape: [0, 4], data: new Float32Array(0) }],
    ]);
    const path = join(dir, 'model.safetensors');
    writeFileSync(path, 'old contents');
    writeSafetensors(path, tensors, { format: 'pt', note: 'ünïcode "quoted"' });
    assert.deepEqual(readdirSync(dir), ['model.safetensors']);
    const back = readSafetensors(path);
    assert.deepEqual(back.metadata, { format: 'pt', note: 'ünïcode "quoted"' });
    assert.equal(back.tensors.size, 4);
    for (const [name, t] of tensors) {
      const b = back.tensors.get(name)!;
      assert.equal(b.dtype, 'F32');
      assert.deepEqual(b.shape, t.shape);
      assert.deepEqual(b.data, t.data);
    }
    // Saving what was read gives the same bytes again.
    assert.deepEqual(serializeSafetensors(back.tensors, back.metadata), new Uint8Array(readFileSync(path)));

    // F16 / BF16 storage: values come back rounded to the storage precision.
    writeSafetensors(path, { x: { shape: [3], data: new Float32Array([1, -2.5, 1 / 3]) } }, undefined, { dtype: 'BF16' });
    const bf = readSafetensors(path).tensors.get('x')!;
    assert.equal(bf.dtype, 'BF16');
    assert.deepEqual([...bf.data], [1, -2.5, 0.333984375]);
    writeSafetensors(path, { x: { shape: [3], data: new Float32Array([1, -2.5, 1 / 3]) } }, undefined, { dtype: 'F16' });
    assert.deepEqual([...readSafetensors(path).tensors.get('x')!.data], [1, -2.5, 0.333251953125]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mixed dtypes (F64, F32, BF16, F16, I64) read and save back to identical bytes', () => {
  const original = serializeSafetensors(
    {
      d: { shape: [2], data: new Float32Array([0.5, -8]), dtype: 'F64' },
      w: { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
      b: { shape: [3], data: new Float32Array([1, -2.5, 3.140625]), dtype: 'BF16' },
      h: { shape: [1], data: new Float32Array([0.333251953125]), dtype: 'F16' },
      'embeddings.position_ids': { dtype: 'I64', shape: [1, 3], bytes: new Uint8Array(new BigInt64Array([0n, 1n, 2n]).buffer) },
    },
    { format: 'pt' },
  );
  const st = parseSafetensors(original, 'mixed');
  assert.deepEqual([...st.tensors.keys()].sort(), ['b', 'd', 'h', 'w']);
  assert.deepEqual([...st.tensors.values()].map((t) => t.dtype).sort(), ['BF16', 'F16', 'F32', 'F64']);
  assert.deepEqual([...st.tensors.get('d')!.data], [0.5, -8]);
  assert.deepEqual(st.other.get('embeddings.position_ids')?.dtype, 'I64');
  const resaved = serializeSafetensors(new Map<string, TensorInput>([...st.tensors, ...st.other]), st.metadata);
  assert.deepEqual(resaved, original);
});

test('aligned F32 data is a view on the file buffer; unaligned data is copied correctly', () => {
  const aligned = file('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  ', f32([1.5, -3]));
  assert.equal((aligned.length - 8) % 4, 0);
  const a = parseSafetensors(aligned, 'a').tensors.get('w')!;
  assert.equal(a.data.buffer, aligned.buffer);
  assert.deepEqual([...a.data], [1.5, -3]);

  const unaligned = file('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}   ', f32([1.5, -3]));
  const u = parseSafetensors(unaligned, 'u').tensors.get('w')!;
  assert.notEqual(u.data.buffer, unaligned.buffer);
  assert.deepEqual([...u.data], [1.5, -3]);

  const f64 = new Uint8Array(new Float64Array([0.1, -1e300]).buffer);
  const d = parseSafetensors(file('{"d":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}  ', f64), 'd').tensors.get('d')!;
  assert.deepEqual([...d.data], [Math.fround(0.1), -Infinity]);
});

test('F16 and BF16 decode to known values', () => {
  const half: Array<[number, number]> = [
    [0x3c00, 1], [0xc000, -2], [0x7bff, 65504], [0x0001, 2 ** -24], [0x0400, 2 ** -14],
    [0x3555, 0.333251953125], [0x7c00, Infinity], [0xfc00, -Infinity], [0x8000, -0],
  ];
  const bf: Array<[number, number]> = [
    [0x3f80, 1], [0xc000, -2], [0x4049, 3.140625], [0x7f80, Infinity], [0x0001, 2 ** -133],
    [0x7f7f, 3.3895313892515355e38], [0x8000, -0],
  ];
  const bytes = (codes: number[]) => new Uint8Array(codes.flatMap((c) => [c & 0xff, c >> 8]));
  const outH = new Float32Array(half.length);
  decodeF16(bytes(half.map((h) => h[0])), half.length, outH);
  assert.deepEqual([...outH], half.map((h) => h[1]));
  const outB = new Float32Array(bf.length);
  decodeBF16(bytes(bf.map((h) => h[0])), bf.length, outB);
  assert.deepEqual([...outB], bf.map((h) => h[1]));
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));

  // Through a file, at an odd byte offset (16-bit data need no alignment).
  const st = parseSafetensors(
    file('{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]}}', bytes([0x3c00, 0xc000, 0x4049])),
    'half.safetensors',
  );
  assert.deepEqual([...st.tensors.get('h')!.data], [1, -2]);
  assert.deepEqual([...st.tensors.get('b')!.data], [3.140625]);
});

test('F16 / BF16 encoding rounds to nearest even and inverts decoding for every code', () => {
  assert.equal(floatToHalf(65520), 0x7c00); // halfway to 65536: rounds up to Inf
  assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00); // tie, to even
  assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02); // tie, to even
  assert.equal(floatToHalf(2 ** -25), 0x0000); // tie between 0 and the smallest subnormal
  assert.equal(floatToHalf(1.5 * 2 ** -25), 0x0001);
  assert.equal(floatToBF16(1 + 2 ** -8), 0x3f80);
  assert.equal(floatToBF16(1 + 3 * 2 ** -8), 0x3f82);
  assert.equal(floatToBF16(NaN) & 0x7fc0, 0x7fc0);
  const out = new Float32Array(1);
  for (let h = 0; h < 65536; h++) {
    const v = halfToFloat(h);
    if (!Number.isNaN(v)) assert.equal(floatToHalf(v), h);
    decodeBF16(new Uint8Array([h & 0xff, h >> 8]), 1, out);
    if (!Number.isNaN(out[0]!)) assert.equal(floatToBF16(out[0]!), h);
  }
});

test('reads pelt-bert-tiny: 47 tensors with the expected shapes', { skip: !existsSync(tinyModel) && 'shared models not present' }, () => {
  const st = readSafetensors(tinyModel);
  assert.equal(st.tensors.size, 47);
  assert.equal(st.other.size, 0);
  assert.deepEqual(st.metadata, { format: 'pt' });
  const shapes: Record<string, number[]> = {
    'bert.embeddings.word_embeddings.weight': [30522, 128],
    'bert.embeddings.position_embeddings.weight': [512, 128],
    'bert.embeddings.token_type_embeddings.weight': [2, 128],
    'bert.embeddings.LayerNorm.weight': [128],
    'bert.encoder.layer.0.attention.self.query.weight': [128, 128],
    'bert.encoder.layer.1.intermediate.dense.weight': [512, 128],
    'bert.encoder.layer.1.output.dense.weight': [128, 512],
    'bert.pooler.dense.weight': [128, 128],
    'cls.predictions.bias': [30522],
    'cls.predictions.decoder.weight': [30522, 128],
    'cls.seq_relationship.weight': [2, 128],
  };
  for (const [name, shape] of Object.entries(shapes)) assert.deepEqual(st.tensors.get(name)?.shape, shape, name);
  const layerKeys = [...st.tensors.keys()].filter((k) => k.startsWith('bert.encoder.layer.0.'));
  assert.equal(layerKeys.length, 16);
  // The decoder is stored as a copy of the tied word embeddings.
  assert.deepEqual(st.tensors.get('cls.predictions.decoder.weight')!.data, st.tensors.get('bert.embeddings.word_embeddings.weight')!.data);
  // Load, save, load: identical tensors.
  const again = parseSafetensors(serializeSafetensors(st.tensors, st.metadata), 'resaved');
  for (const [name, t] of st.tensors) assert.deepEqual(again.tensors.get(name)!.data, t.data, name);
});

const T = (dtype: unknown, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });
const malformed: Array<[string, Uint8Array, string]> = [
  ['empty file', new Uint8Array(0), 'file is 0 bytes, too short for the 8-byte header length'],
  ['truncated header length', new Uint8Array(7), 'file is 7 bytes, too short'],
  ['header length beyond the file', file('{}', 0, 100n), 'header length 100 runs past the end of the file (10 bytes)'],
  ['header length over 100MB', file('{}', 0, 100_000_001n), 'header length 100000001 exceeds the limit of 100000000 bytes'],
  ['header length u64 max', file('{}', 0, 0xffffffffffffffffn), 'header length 18446744073709551615 exceeds the limit'],
  ['invalid UTF-8', file(new Uint8Array([0x7b, 0xff, 0x7d])), 'header is not valid UTF-8'],
  ['invalid JSON', file('{"w":'), 'header is not valid JSON'],
  ['not an object', file('[1,2]'), "header must be a JSON object starting with '{'"],
  ['leading whitespace', file(' {}'), "header must be a JSON object starting with '{'"],
  ['duplicate key', file('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4), 'duplicate key "w" in header'],
  ['entry not an object', file({ w: [1, 2] }), 'tensor "w": entry is not an object'],
  ['unknown dtype', file({ w: T('F33', [1], [0, 4]) }, 4), 'tensor "w": unknown dtype "F33"'],
  ['missing dtype', file({ w: { shape: [1], data_offsets: [0, 4] } }, 4), 'tensor "w": unknown dtype undefined'],
  ['negative shape', file({ w: T('F32', [-1], [0, 4]) }, 4), 'tensor "w": shape must be an array of non-negative integers, got [-1]'],
  ['fractional shape', file({ w: T('F32', [1.5], [0, 4]) }, 4), 'shape must be an array of non-negative integers, got [1.5]'],
  ['shape not an array', file({ w: T('F32', '1', [0, 4]) }, 4), 'shape must be an array of non-negative integers, got "1"'],
  ['one offset', file({ w: T('F32', [1], [0]) }, 4), 'tensor "w": data_offsets must be [begin, end] with non-negative integers, got [0]'],
  ['string offset', file({ w: T('F32', [1], [0, '4']) }, 4), 'data_offsets must be [begin, end]'],
  ['end before begin', file({ w: T('F32', [0], [4, 0]) }, 4), 'tensor "w": data_offsets [4, 0] end before they begin'],
  ['size mismatch', file({ w: T('F32', [2], [0, 4]) }, 4), 'tensor "w": shape [2] of F32 needs 8 bytes but data_offsets [0, 4] hold 4'],
  ['huge shape', file({ w: T('F32', [2 ** 40, 2 ** 40], [0, 4]) }, 4), 'tensor "w": shape [1099511627776, 1099511627776] of F32 needs'],
  ['sub-byte size', file({ w: T('F4', [3], [0, 1]) }, 1), 'tensor "w": shape [3] of F4 is not a whole number of bytes'],
  ['out-of-range offsets', file({ w: T('F32', [4], [0, 16]) }, 8), 'tensor "w": data_offsets [0, 16] run past the end of the data section (8 bytes)'],
  ['overlapping ranges', file({ a: T('F32', [2], [0, 8]), b: T('F32', [2], [4, 12]) }, 12), 'tensor "b": data_offsets [4, 12] overlap tensor "a" [0, 8]'],
  ['gap between tensors', file({ a: T('F32', [1], [0, 4]), b: T('F32', [1], [8, 12]) }, 12), 'tensor "b": data_offsets [8, 12] leave bytes 4..8 of the data section unused'],
  ['first tensor not at 0', file({ a: T('F32', [1], [4, 8]) }, 8), 'tensor "a": data_offsets [4, 8] leave bytes 0..4'],
  ['leftover bytes', file({ a: T('F32', [1], [0, 4]) }, 8), 'data section has 8 bytes but the tensors cover 4; the remaining 4 bytes belong to no tensor'],
  ['data without tensors', file({}, 3), 'data section has 3 bytes but the tensors cover 0'],
  ['non-string metadata', file({ __metadata__: { format: 1 } }), '__metadata__ value of "format" is 1, not a string'],
  ['metadata not an object', file({ __metadata__: 'pt' }), '__metadata__ must be an object of strings'],
];

for (const [name, bytes, message] of malformed) {
  test(`malformed: ${name}`, () => {
    assert.throws(
      () => parseSafetensors(bytes, 'bad.safetensors'),
      (err: unknown) => {
        assert.ok(err instanceof PeltError, `expected PeltError, got ${String(err)}`);
        assert.equal(err.code, 'safetensors');
        assert.ok(err.message.startsWith('bad.safetensors: '), err.message);
        assert.ok(err.message.includes(message), `"${err.message}" lacks "${message}"`);
        return true;
      },
    );
  });
}

test('writer refuses bad input with safetensors errors', () => {
  const bad = (t: Parameters<typeof serializeSafetensors>[0], msg: RegExp) =>
    assert.throws(() => serializeSafetensors(t), (e) => e instanceof PeltError && e.code === 'safetensors' && msg.test(e.message));
  bad({ w: { shape: [3], data: new Float32Array(2) } }, /tensor "w": 2 values do not fit shape \[3\]/);
  bad({ __metadata__: { shape: [1], data: new Float32Array(1) } }, /cannot be a tensor name/);
  bad({ w: { shape: [-1], data: new Float32Array(0) } }, /shape \[-1\] is not a list/);
  bad({ w: { dtype: 'X9', shape: [1], bytes: new Uint8Array(1) } }, /unknown dtype "X9"/);
  const dir = mkdtempSync(join(tmpdir(), 'pelt-st-'));
  try {
    assert.throws(() => writeSafetensors(join(dir, 'no/such/dir/x.safetensors'), {}), /cannot write file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
