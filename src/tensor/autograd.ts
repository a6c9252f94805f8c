// Reverse-mode autograd. Ops call `record` after computing their forward; a node is kept only when
// gradients are enabled and some input requires a gradient. `backward` walks the tape once in
// reverse topological order, hands each node its output gradient, and drops the node afterwards so
// saved intermediates are freed. Leaf gradients accumulate into `.grad`.

import type { Buf } from './backends/kernels.ts';
import { fail } from '../util/errors.ts';
import { fmt } from '../util/assert.ts';
import { Tensor, alloc, zeros } from './tensor.ts';
import { kernelsFor } from './backend.ts';
import { opBuf, ownedSince, releaseNow, serialNow } from './pool.ts';

export interface GradCtx {
  /** Whether input i needs a gradient (skip its work otherwise: frozen weights cost nothing). */
  needs(i: number): boolean;
  /**
   * Accumulate into input i's gradient with a kernel that takes beta / accumulate:
   * `fn(buf, accumulate)` must write buf = result when accumulate is false, buf += result otherwise.
   */
  acc(i: number, fn: (buf: Buf, accumulate: boolean) => void): void;
  /** Give input i a gradient computed by an overwrite-only kernel `fn(out)`. */
  put(i: number, fn: (out: Buf) => void): void;
  /** Give input i the buffer g itself as its gradient (no copy when nothing is there yet). */
  pass(i: number, g: Buf): void;
}

export type BackwardFn = (dy: Buf, ctx: GradCtx) => void;

export interface Node {
  readonly op: string;
  readonly inputs: readonly (Tensor | null)[];
  readonly backward: BackwardFn;
}

let gradEnabled = true;

// Gradient buffers let go by releaseGrad(), one per leaf, for that leaf's next backward to fill (a
// WeakMap: a parameter that is dropped takes its spare with it).
const spares = new WeakMap<Tensor, Buf>();

/**
 * t.grad = null, keeping the buffer for t's next backward to overwrite instead of allocating a fresh
 * zeroed one (an optimizer's zeroGrad: 44 MB per step for bert-mini's full fine-tuning). A gradient
 * tensor read before this call is overwritten by that backward: copy its values to keep them.
 */
export function releaseGrad(t: Tensor): void {
  if (t.grad) spares.set(t, t.grad.data); // fresh() checks it still fits before reuse
  t.grad = null;
}
let checkFinite = process.env.PELT_CHECK_FINITE === '1';

/** Run fn without recording a tape (inference). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Opt-in NaN/Inf check after every op's forward and backward, naming the op (also PELT_CHECK_FINITE=1). */
export function setCheckFinite(on: boolean): void {
  checkFinite = on;
}

function assertFinite(op: string, phase: string, buf: Buf): void {
  const bad = kernelsFor(buf).countNonFinite(buf, buf.length);
  if (bad > 0) fail('non-finite', `${op}: ${phase} produced ${bad} non-finite value(s) (NaN or Inf) out of ${buf.length}`);
}

/**
 * Attach a tape node to `out` if gradients flow. `backward = null` declares an op without a
 * gradient rule: using it on an input that requires a gradient is an error.
 */
export function record(op: string, out: Tensor, inputs: readonly (Tensor | null)[], backward: BackwardFn | null): Tensor {
  if (checkFinite) assertFinite(op, 'forward', out.data);
  if (!gradEnabled) return out;
  if (!inputs.some((t) => t !== null && t.requiresGrad)) return out;
  if (backward === null) fail('no-backward', `${op} has no backward, but an input requires a gradient; call it inside noGrad() or on detached inputs`);
  out.requiresGrad = true;
  out.node = { op, inputs, backward };
  return out;
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.node ? t.node.inputs : [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const child = inputs[i];
      if (child && child.node && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order; // inputs before outputs
}

class Ctx implements GradCtx {
  constructor(
    private readonly node: Node,
    private readonly grads: Map<Tensor, Buf>,
  ) {}
  needs(i: number): boolean {
    const t = this.node.inputs[i];
    return !!t && t.requiresGrad;
  }
  private target(i: number): { t: Tensor; buf: Buf | null } {
    const t = this.node.inputs[i]!;
    if (t.node === null) return { t, buf: t.grad ? t.grad.data : null };
    return { t, buf: this.grads.get(t) ?? null };
  }
  /**
   * A buffer for input t's gradient, filled in full by the caller's kernel. A leaf's gradient outlives
   * any T.scope(), so it never comes from the pool: it is the buffer releaseGrad() kept for that leaf,
   * else a fresh array; the tape's own gradients of intermediates come from the pool inside a scope
   * (unspecified contents: acc/put kernels overwrite them).
   */
  private fresh(t: Tensor): Buf {
    if (t.node !== null) return opBuf(t.dtype, t.size, false);
    const spare = spares.get(t);
    if (spare && spare.length === t.size && (spare instanceof Float64Array) === (t.dtype === 'float64')) {
      spares.delete(t);
      return spare;
    }
    return alloc(t.dtype, t.size);
  }
  private set(t: Tensor, buf: Buf): void {
    if (t.node === null) t.grad = new Tensor(buf, t.shape);
    else this.grads.set(t, buf);
  }
  private check(buf: Buf): void {
    if (checkFinite) assertFinite(this.node.op, 'backward', buf);
  }
  acc(i: number, fn: (buf: Buf, accumulate: boolean) => void): void {
    if (!this.needs(i)) return;
    const { t, buf } = this.target(i);
    if (buf) {
      fn(buf, true);
      this.check(buf);
    } else {
      const fresh = this.fresh(t);
      fn(fresh, false);
      this.check(fresh);
      this.set(t, fresh);
    }
  }
  put(i: number, fn: (out: Buf) => void): void {
    if (!this.needs(i)) return;
    const { t, buf } = this.target(i);
    const out = buf ? opBuf(t.dtype, t.size, false) : this.fresh(t); // a temporary when adding into buf
    fn(out);
    this.check(out);
    if (buf) {
      kernelsFor(buf).axpy(1, out, buf, buf.length);
      releaseNow(out);
    } else this.set(t, out);
  }
  pass(i: number, g: Buf): void {
    if (!this.needs(i)) return;
    const { t, buf } = this.target(i);
    if (g.length !== t.size) fail('autograd', `${this.node.op}: gradient of size ${g.length} for input of shape ${fmt(t.shape)}`);
    this.check(g);
    if (buf) kernelsFor(buf).axpy(1, g, buf, buf.length);
    else if (t.node === null) { // a leaf must not alias a buffer others may reuse: a copy in its own buffer
      const own = this.fresh(t);
      own.set(g);
      this.set(t, own);
    }
    else this.set(t, g);
  }
}

function pending(grads: Map<Tensor, Buf>, buf: Buf): boolean {
  for (const g of grads.values()) if (g.buffer === buf.buffer) return true;
  return false;
}

export function backward(root: Tensor): void {
  if (root.size !== 1) fail('autograd', `backward: the root must be a single value, got shape ${fmt(root.shape)}`);
  if (!root.requiresGrad) fail('autograd', 'backward: the root does not require a gradient (no trainable input, or computed under noGrad)');
  if (root.graphFreed) fail('autograd', 'backward: this tensor\'s graph was already used by an earlier backward() and has been freed; recompute the forward pass');
  if (root.node === null) {
    const g = root.grad ?? zeros(root.shape, root.dtype);
    g.data[0]! += 1;
    root.grad = g;
    return;
  }
  const order = topoOrder(root);
  const mark = serialNow();
  const grads = new Map<Tensor, Buf>();
  const seed = alloc(root.dtype, 1);
  seed[0] = 1;
  grads.set(root, seed);
  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k]!;
    const node = t.node!;
    const dy = grads.get(t);
    grads.delete(t);
    t.node = null; // release saved intermediates as soon as this node is done
    t.graphFreed = true;
    if (!dy) continue;
    node.backward(dy, new Ctx(node, grads));
    // Inside a scope, dy is dead now unless the node passed it on as an input's gradient: recycle it
    // for the rest of this backward. Only buffers the tape allocated during this backward (never a
    // forward output; leaf gradients are never pooled), still owned by the innermost scope, and not
    // pending as any tensor's gradient (the map holds only the tape's frontier, so this scan is short).
    if (ownedSince(dy, mark) && !pending(grads, dy)) releaseNow(dy);
  }
}
