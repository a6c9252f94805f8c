// A dense, contiguous, row-major tensor of float32 (float64 for gradient checks on the js backend).
// A tensor may carry `node`, the tape entry that produced it; leaves with requiresGrad collect `.grad`.

import type { Buf } from './backends/kernels.ts';
import { fail } from '../util/errors.ts';
import { fmt, sizeOf } from '../util/assert.ts';
import type { Node } from './autograd.ts';
import { backward as runBackward } from './autograd.ts';

export type DType = 'float32' | 'float64';

export class Tensor {
  data: Buf;
  readonly shape: number[];
  requiresGrad: boolean;
  grad: Tensor | null = null;
  /** The tape entry that produced this tensor (null for leaves and untracked results). */
  node: Node | null = null;
  name: string | undefined;
  /** Set once backward() has consumed (and freed) the graph that produced this tensor. */
  graphFreed = false;

  constructor(data: Buf, shape: readonly number[], requiresGrad = false) {
    const n = sizeOf(shape);
    if (data.length !== n) fail('shape', `Tensor: data has ${data.length} values but shape ${fmt(shape)} needs ${n}`);
    this.data = data;
    this.shape = [...shape];
    this.requiresGrad = requiresGrad;
  }

  get dtype(): DType {
    return this.data instanceof Float64Array ? 'float64' : 'float32';
  }
  get size(): number {
    return this.data.length;
  }
  get ndim(): number {
    return this.shape.length;
  }
  /** True for tensors that are not the output of a recorded op. */
  get isLeaf(): boolean {
    return this.node === null;
  }

  item(): number {
    if (this.size !== 1) fail('shape', `item: tensor of shape ${fmt(this.shape)} is not a single value`);
    return this.data[0]!;
  }
  toArray(): number[] {
    return Array.from(this.data);
  }
  /** Backpropagate from this scalar; gradients accumulate into the leaves' `.grad`. */
  backward(): void {
    runBackward(this);
  }
  /** Same data, cut from the tape. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, false);
  }
  zeroGrad(): void {
    if (this.grad) this.grad.data.fill(0);
  }
  toString(): string {
    return `Tensor(${fmt(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

export function alloc(dtype: DType, n: number): Buf {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

export function zeros(shape: readonly number[], dtype: DType = 'float32', requiresGrad = false): Tensor {
  return new Tensor(alloc(dtype, sizeOf(shape)), shape, requiresGrad);
}

export function full(shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor {
  const t = zeros(shape, dtype);
  t.data.fill(value);
  return t;
}

export function tensor(values: ArrayLike<number>, shape: readonly number[], dtype: DType = 'float32', requiresGrad = false): Tensor {
  const data = alloc(dtype, values.length);
  data.set(values as ArrayLike<number>);
  return new Tensor(data, shape, requiresGrad);
}

/** A leaf parameter that trains (requiresGrad = true). */
export function param(values: ArrayLike<number>, shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return tensor(values, shape, dtype, true);
}
