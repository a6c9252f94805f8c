// Opt-in buffer recycling for ops and autograd: `scope(fn)` (like tfjs's tidy).
//
// Outside any scope nothing changes: every op buffer is a fresh, zero-filled typed array.
// Inside a scope, the buffers ops and the tape allocate come from a pool of free blocks, and when fn
// returns every block the scope allocated goes back to the pool, except the blocks backing what fn
// returns (a Tensor, its .grad, or Tensors inside returned arrays / plain objects / Maps / Sets,
// including views that share a block through reshape or subarray). Those escape to the enclosing
// scope (released when it ends, unless returned from it too) or, at the outermost level, to the
// garbage collector. Things that never come from the pool: leaf `.grad` buffers (autograd allocates
// them fresh), optimizer moments, parameters, anything made by `tensor`/`zeros`/`alloc`.
//
// The contract for the caller: a tensor made inside a scope and neither returned nor passed to keep()
// must not be used after the scope ends (store numbers or copies instead). If fn returns a tensor whose
// graph is still live (backward not run yet), the graph's saved buffers are unknowable, so nothing the
// scope allocated is recycled.
//
// Requests say whether they need zeros: 'uninit' hands a recycled block out as it is (the op's kernel
// overwrites every element), 'zero' clears it first. Blocks come in size classes (2^k times 1, 1.25,
// 1.5 or 1.75) and are handed out as views of the requested length, so varying shapes (dynamic
// padding) still reuse memory. Free blocks unused for a few outermost scopes are dropped.

import type { Buf } from './backends/kernels.ts';
import { fail } from '../util/errors.ts';

type DT = 'float32' | 'float64';

interface Block {
  readonly full: Buf;
  /** Outermost-scope generation at release (for eviction). */
  gen: number;
  /** Handout serial number (see serialNow / ownedSince). */
  serial: number;
}

interface Scope {
  readonly parent: Scope | null;
  /** Blocks this scope owns, by their ArrayBuffer. */
  readonly owned: Map<ArrayBufferLike, Block>;
}

let current: Scope | null = null;
let generation = 0;
let serial = 0;
const free = new Map<string, Block[]>();
let poison = false;
/** Free blocks older than this many outermost scopes are dropped. */
const MAX_IDLE_GENERATIONS = 2;
const stats = { hits: 0, misses: 0, released: 0, evicted: 0 };

function sizeClass(n: number): number {
  if (n <= 64) return 64;
  const p = 2 ** Math.floor(Math.log2(n));
  for (const f of [1, 1.25, 1.5, 1.75, 2]) {
    const c = p * f;
    if (c >= n) return c;
  }
  return 2 * p;
}

function keyOf(dtype: DT, cap: number): string {
  return dtype === 'float64' ? `d${cap}` : `f${cap}`;
}

function dtypeOf(b: Buf): DT {
  return b instanceof Float64Array ? 'float64' : 'float32';
}

function fresh(dtype: DT, n: number): Buf {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/** Whether op buffers are being recycled now (inside scope()). */
export function inScope(): boolean {
  return current !== null;
}

/**
 * A buffer of n elements for an op or the tape. zeroed = false only where the kernel writing it
 * overwrites all n elements before anything reads them. Outside a scope: always a fresh zeroed array.
 */
export function opBuf(dtype: DT, n: number, zeroed: boolean): Buf {
  const s = current;
  if (s === null || n === 0) return fresh(dtype, n);
  const cap = sizeClass(n);
  const list = free.get(keyOf(dtype, cap));
  let block = list?.pop();
  const recycled = block !== undefined;
  if (block) stats.hits++;
  else {
    stats.misses++;
    block = { full: fresh(dtype, cap), gen: generation, serial: 0 };
  }
  const view = n === cap ? block.full : block.full.subarray(0, n);
  if (recycled && zeroed) view.fill(0);
  block.serial = serial++;
  s.owned.set(block.full.buffer, block);
  return view;
}

/** A buffer like `like` (same element type), from opBuf. */
export function opBufLike(like: Buf, n: number, zeroed: boolean): Buf {
  return opBuf(dtypeOf(like), n, zeroed);
}

function release(block: Block): void {
  if (poison) block.full.fill(NaN);
  block.gen = generation;
  const k = keyOf(dtypeOf(block.full), block.full.length);
  let list = free.get(k);
  if (!list) free.set(k, (list = []));
  list.push(block);
  stats.released++;
}

/**
 * Give a buffer back before its scope ends. Only for buffers nothing else references (the tape's own
 * dead gradient buffers); a no-op for buffers the innermost scope does not own.
 */
export function releaseNow(buf: Buf): void {
  const s = current;
  if (s === null) return;
  const block = s.owned.get(buf.buffer);
  if (!block) return;
  s.owned.delete(buf.buffer);
  release(block);
}

/** A mark for ownedSince: buffers handed out from now on have a serial at least this. */
export function serialNow(): number {
  return serial;
}

/** Whether the innermost scope owns the block behind buf and handed it out at or after mark. */
export function ownedSince(buf: Buf, mark: number): boolean {
  const b = current?.owned.get(buf.buffer);
  return b !== undefined && b.serial >= mark;
}

interface TensorLike {
  data: Buf;
  grad: TensorLike | null;
  node: unknown;
}

function isTensorLike(x: object): x is TensorLike {
  return 'data' in x && 'shape' in x && 'node' in x && ArrayBuffer.isView((x as { data: unknown }).data);
}

/** Collect the ArrayBuffers reachable from a value; returns true if a tensor with a live graph was met. */
function collect(x: unknown, out: Set<ArrayBufferLike>, seen: Set<object>): boolean {
  if (x === null || typeof x !== 'object') return false;
  if (seen.has(x)) return false;
  seen.add(x);
  if (ArrayBuffer.isView(x)) {
    out.add((x as Buf).buffer);
    return false;
  }
  let live = false;
  if (isTensorLike(x)) {
    out.add(x.data.buffer);
    if (x.grad) live = collect(x.grad, out, seen) || live;
    return x.node !== null || live;
  }
  if (x instanceof Map) {
    for (const [k, v] of x) live = collect(k, out, seen) || collect(v, out, seen) || live;
  } else if (x instanceof Set || Array.isArray(x)) {
    for (const v of x) live = collect(v, out, seen) || live;
  } else {
    const proto = Object.getPrototypeOf(x);
    if (proto === Object.prototype || proto === null) for (const v of Object.values(x)) live = collect(v, out, seen) || live;
  }
  return live;
}

function isThenable(x: unknown): boolean {
  return x !== null && (typeof x === 'object' || typeof x === 'function') && typeof (x as { then?: unknown }).then === 'function';
}

function evict(): void {
  for (const [k, list] of free) {
    const keep = list.filter((b) => generation - b.gen <= MAX_IDLE_GENERATIONS);
    stats.evicted += list.length - keep.length;
    if (keep.length === 0) free.delete(k);
    else if (keep.length !== list.length) free.set(k, keep);
  }
}

/**
 * Run fn, then recycle every op / tape buffer it allocated except those backing its result.
 * fn must be synchronous. On a throw nothing is recycled (the buffers are left to the GC).
 */
export function scope<R>(fn: () => R): R {
  const s: Scope = { parent: current, owned: new Map() };
  current = s;
  let result: R;
  try {
    result = fn();
  } catch (e) {
    current = s.parent;
    if (s.parent) for (const [k, b] of s.owned) s.parent.owned.set(k, b);
    throw e;
  }
  current = s.parent;
  if (isThenable(result)) fail('usage', 'scope: fn must be synchronous (it returned a promise)');
  const escaped = new Set<ArrayBufferLike>();
  const live = collect(result, escaped, new Set());
  for (const [k, b] of s.owned) {
    if (live || escaped.has(k)) {
      if (s.parent) s.parent.owned.set(k, b);
    } else {
      release(b);
    }
  }
  if (s.parent === null) {
    generation++;
    evict();
  }
  return result;
}

/** Exempt the buffers behind a value (tensors, arrays, objects of them) from recycling by every active scope. */
export function keep<V>(x: V): V {
  const escaped = new Set<ArrayBufferLike>();
  collect(x, escaped, new Set());
  for (let s = current; s !== null; s = s.parent) for (const k of escaped) s.owned.delete(k);
  return x;
}

/** Debug hook: fill every block with NaN when it is returned to the pool (catches reads of recycled memory and kernels that rely on zeros). */
export function setPoolPoison(on: boolean): void {
  poison = on;
}

/** Drop every free block. */
export function clearPool(): void {
  free.clear();
}

export function poolStats(): { hits: number; misses: number; released: number; evicted: number; freeBlocks: number; freeBytes: number } {
  let freeBlocks = 0, freeBytes = 0;
  for (const list of free.values()) for (const b of list) { freeBlocks++; freeBytes += b.full.byteLength; }
  return { ...stats, freeBlocks, freeBytes };
}
