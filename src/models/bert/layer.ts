// One post-LN transformer layer: attention block, then GELU feed-forward block with residual + LayerNorm.
import { Tensor, add, gelu } from '../../tensor/index.ts';
import { Module, Linear, LayerNorm, Dropout } from '../../nn/index.ts';
import type { Rng } from '../../util/rng.ts';
import { project, type HookableLayer, type LayerContext, type LayerHooks, type ProjectionName } from '../hooks.ts';
import { BertAttention } from './attention.ts';
import type { BertConfig } from './config.ts';

export class BertIntermediate extends Module {
  dense: Linear;
  constructor(config: BertConfig, rng: Rng) {
    super();
    this.dense = new Linear(config.hidden_size, config.intermediate_size, rng, { std: config.initializer_range });
  }
}

export class BertOutput extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  dropout: Dropout;
  constructor(config: BertConfig, rng: Rng) {
    super();
    this.dense = new Linear(config.intermediate_size, config.hidden_size, rng.fork(), { std: config.initializer_range });
    this.LayerNorm = new LayerNorm(config.hidden_size, config.layer_norm_eps);
    this.dropout = new Dropout(config.hidden_dropout_prob, rng.fork());
  }
}

export class BertLayer extends Module implements HookableLayer {
  attention: BertAttention;
  intermediate: BertIntermediate;
  output: BertOutput;
  /** Method hooks (see ../hooks.ts); null = the plain layer. */
  hooks: LayerHooks | null = null;
  readonly _index: number;

  constructor(config: BertConfig, index: number, rng: Rng) {
    super();
    this.attention = new BertAttention(config, rng.fork());
    this.intermediate = new BertIntermediate(config, rng.fork());
    this.output = new BertOutput(config, rng.fork());
    this._index = index;
  }

  projection(name: ProjectionName): Linear {
    const a = this.attention;
    const table: Record<ProjectionName, Linear> = {
      query: a.self.query, key: a.self.key, value: a.self.value, 'attention.output.dense': a.output.dense,
      'intermediate.dense': this.intermediate.dense, 'output.dense': this.output.dense,
    };
    return table[name];
  }

  /** h_in [B, T, H], additive mask [B, T] (or null), 0/1 token mask [B, T] (for hooks)  ->  [B, T, H] */
  forward(hIn: Tensor, mask: Tensor | null, tokenMask: Tensor | null): Tensor {
    const hooks = this.hooks;
    const ctx: LayerContext | null = hooks ? { index: this._index, hIn, tokenMask } : null;
    const hAtt = this.attention.forward(hIn, mask, hooks, ctx); // [B, T, H]
    const d1 = this.intermediate.dense, d2 = this.output.dense;
    const hI = gelu(project(hooks, 'intermediate.dense', hAtt, d1, ctx)); // [B, T, H] -> [B, T, I]
    const hF = this.output.dropout.forward(project(hooks, 'output.dense', hI, d2, ctx)); // [B, T, I] -> [B, T, H]
    const ln = (x: Tensor) => this.output.LayerNorm.forward(x); // [B, T, H] -> [B, T, H]
    return hooks?.ffnOutput ? hooks.ffnOutput(hF, hAtt, ln, ctx!) : ln(add(hF, hAtt)); // [B, T, H]
  }
}

export class BertEncoder extends Module {
  layer: BertLayer[];
  constructor(config: BertConfig, rng: Rng) {
    super();
    this.layer = Array.from({ length: config.num_hidden_layers }, (_, i) => new BertLayer(config, i, rng.fork()));
  }
}
