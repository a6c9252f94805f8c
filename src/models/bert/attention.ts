// BERT self-attention block: Q, K, V projections, fused multi-head attention, output dense, residual + LayerNorm.
import { Tensor, add, attention, concat, zeros } from '../../tensor/index.ts';
import { Module, Linear, LayerNorm, Dropout } from '../../nn/index.ts';
import type { Rng } from '../../util/rng.ts';
import { project, type LayerContext, type LayerHooks } from '../hooks.ts';
import type { BertConfig } from './config.ts';

export class BertSelfAttention extends Module {
  query: Linear;
  key: Linear;
  value: Linear;
  readonly _numHeads: number;
  readonly _probsDropout: { p: number; rng: Rng };

  constructor(config: BertConfig, rng: Rng) {
    super();
    const H = config.hidden_size, std = config.initializer_range;
    this.query = new Linear(H, H, rng.fork(), { std });
    this.key = new Linear(H, H, rng.fork(), { std });
    this.value = new Linear(H, H, rng.fork(), { std });
    this._numHeads = config.num_attention_heads;
    this._probsDropout = { p: config.attention_probs_dropout_prob, rng: rng.fork() };
  }

  /** h [B, T, H], additive mask [B, T] or null  ->  context [B, T, H] */
  forward(h: Tensor, mask: Tensor | null, hooks: LayerHooks | null, ctx: LayerContext | null): Tensor {
    const q = project(hooks, 'query', h, this.query, ctx); // [B, T, H]
    let k = project(hooks, 'key', h, this.key, ctx); // [B, T, H]
    let v = project(hooks, 'value', h, this.value, ctx); // [B, T, H]
    const prefix = hooks?.prefix?.(ctx!);
    if (prefix) {
      const [B, T] = h.shape as [number, number];
      const P = prefix.key.shape[1]!;
      k = concat([prefix.key, k], 1); // [B, P, H] + [B, T, H] -> [B, P+T, H]
      v = concat([prefix.value, v], 1); // [B, P, H] + [B, T, H] -> [B, P+T, H]
      mask = concat([zeros([B, P], h.dtype), mask ?? zeros([B, T], h.dtype)], 1); // [B, P+T], prefixes always visible
    }
    const dropout = this.training ? this._probsDropout : null;
    return attention(q, k, v, { numHeads: this._numHeads, mask, dropout }); // softmax(Q K^T / sqrt(HS) + mask) V: [B, T, H]
  }
}

export class BertSelfOutput extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  dropout: Dropout;

  constructor(config: BertConfig, rng: Rng) {
    super();
    this.dense = new Linear(config.hidden_size, config.hidden_size, rng.fork(), { std: config.initializer_range });
    this.LayerNorm = new LayerNorm(config.hidden_size, config.layer_norm_eps);
    this.dropout = new Dropout(config.hidden_dropout_prob, rng.fork());
  }
}

export class BertAttention extends Module {
  self: BertSelfAttention;
  output: BertSelfOutput;

  constructor(config: BertConfig, rng: Rng) {
    super();
    this.self = new BertSelfAttention(config, rng.fork());
    this.output = new BertSelfOutput(config, rng.fork());
  }

  /** h_in [B, T, H]  ->  h_att [B, T, H] */
  forward(hIn: Tensor, mask: Tensor | null, hooks: LayerHooks | null, ctx: LayerContext | null): Tensor {
    const c = this.self.forward(hIn, mask, hooks, ctx); // [B, T, H]
    const out = this.output;
    const hA = out.dropout.forward(project(hooks, 'attention.output.dense', c, out.dense, ctx)); // [B, T, H]
    const ln = (x: Tensor) => out.LayerNorm.forward(x); // [B, T, H] -> [B, T, H]
    return hooks?.attentionOutput ? hooks.attentionOutput(hA, hIn, ln, ctx!) : ln(add(hA, hIn)); // [B, T, H]
  }
}
