// IEEE half (F16) and bfloat16 (BF16) <-> float32, for safetensors files stored in 16 bits.
// Both directions round to nearest, ties to even, as PyTorch's `.half()` / `.bfloat16()` do.

let halfTable: Float32Array | undefined;

// All 65536 half values, built once (256 KiB): decoding is then one lookup per element.
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) table[h] = sign * frac * 2 ** -24; // zero and subnormals
    else if (exp === 31) table[h] = frac ? NaN : sign * Infinity;
    else table[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  halfTable = table;
  return table;
}

export function halfToFloat(h: number): number {
  return halfToFloatTable()[h & 0xffff]!;
}

/** Decodes `count` little-endian 16-bit values starting at `bytes[0]` (any alignment). */
export function decodeF16(bytes: Uint8Array, count: number, out: Float32Array): void {
  const table = halfToFloatTable();
  for (let i = 0; i < count; i++) out[i] = table[bytes[2 * i]! | (bytes[2 * i + 1]! << 8)]!;
}

/** bfloat16 is the top half of a float32, so decoding is a shift into the float's bits. */
export function decodeBF16(bytes: Uint8Array, count: number, out: Float32Array): void {
  const bits = new Uint32Array(out.buffer, out.byteOffset, count);
  for (let i = 0; i < count; i++) bits[i] = ((bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16) >>> 0;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0); // Inf, NaN (quiet)
  const e = exp - 127 + 15; // rebias
  if (e >= 31) return sign | 0x7c00; // overflow to Inf
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: signed zero
    const m = mant | 0x800000; // implicit leading 1
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry into the exponent is still correct
  return sign | h;
}

export function floatToBF16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff; // quiet NaN
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Encodes float32 values as little-endian F16 or BF16 bytes. */
export function encode16(data: Float32Array, dtype: 'F16' | 'BF16'): Uint8Array {
  const out = new Uint8Array(data.length * 2);
  const enc = dtype === 'F16' ? floatToHalf : floatToBF16;
  for (let i = 0; i < data.length; i++) {
    const h = enc(data[i]!);
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >>> 8;
  }
  return out;
}
