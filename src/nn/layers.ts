// The building blocks of BERT, each named as in Hugging Face (weight, bias).
import { Tensor, zeros } from '../tensor/tensor.ts';
import { linear, layerNorm, dropout, embedding } from '../tensor/index.ts';
import type { Rng } from '../util/rng.ts';
import { Module } from './module.ts';
import { normal_, ones_ } from './init.ts';

export class Linear extends Module {
  weight: Tensor; // [out, in]
  bias: Tensor | undefined; // [out]
  constructor(inFeatures: number, outFeatures: number, rng: Rng, opts: { bias?: boolean; std?: number } = {}) {
    super();
    this.weight = normal_(zeros([outFeatures, inFeatures], 'float32', true), rng, opts.std ?? 0.02);
    this.bias = opts.bias === false ? undefined : zeros([outFeatures], 'float32', true);
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias ?? null); // [..., in] -> [..., out]
  }
}

export class Embedding extends Module {
  weight: Tensor; // [num, dim]
  constructor(num: number, dim: number, rng: Rng, std = 0.02) {
    super();
    this.weight = normal_(zeros([num, dim], 'float32', true), rng, std);
  }
  forward(ids: Int32Array, shape: readonly number[]): Tensor {
    return embedding(this.weight, ids, shape); // [...shape] -> [...shape, dim]
  }
}

export class LayerNorm extends Module {
  weight: Tensor;
  bias: Tensor;
  readonly _eps: number;
  constructor(dim: number, eps: number) {
    super();
    this.weight = ones_(zeros([dim], 'float32', true));
    this.bias = zeros([dim], 'float32', true);
    this._eps = eps;
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this._eps);
  }
}

export class Dropout extends Module {
  constructor(readonly _p: number, private readonly _rng: Rng) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.training ? dropout(x, this._p, this._rng) : x;
  }
}
