// Prefix-tuning (../../../shared/docs/unipelt-spec.md, "Prefix-tuning"). One generator shared by all
// layers, named as PEFT's PrefixEncoder under the encoder ("bert.prefix.embedding.weight",
// "bert.prefix.transform.0.*", "bert.prefix.transform.2.*"):
//   gen = Linear(w, 2LH)(tanh(Linear(H, w)(E)))   [P, L*2*H]      (projection = false: gen = E itself)
// gen viewed as [P, L*2, NH, HS] gives layer i's key prefix in columns 2i*H .. (2i+1)*H - 1 and its value
// prefix in the next H: exactly the spec's view/permute/split, already in the hooks' [B, P, H] layout
// (heads side by side). Each layer prepends G_P * prefix to its keys and values; G_P = 1 ungated.
// The generator runs once per forward (it does not depend on the input) and is batch-broadcast.

import { Tensor, full, mul, reshape, split, tanh, zeros, noGrad } from '../../tensor/index.ts';
import { Module, Linear, normal_ } from '../../nn/index.ts';
import { addLayerHooks, type ForwardInfo, type LayerContext } from '../../models/hooks.ts';
import type { Rng } from '../../util/rng.ts';
import { addChild, moduleAt, removeChild, type GateFn, type Site } from '../common.ts';
import type { PrefixConfig } from './config.ts';

/** tanh between the MLP's Linears: no parameters, but it keeps PEFT's index 2 for the second Linear. */
class Tanh extends Module {}

class PrefixEmbedding extends Module {
  weight: Tensor;
  constructor(rows: number, dim: number, rng: Rng) {
    super();
    this.weight = normal_(zeros([rows, dim], 'float32', true), rng, 0.02); // BERT init: normal(0, 0.02)
  }
}

export class PrefixEncoder extends Module {
  embedding: PrefixEmbedding; // [P, H] with projection, else [P, L*2*H]
  transform: Module[] | undefined; // [Linear(H, w), Tanh, Linear(w, L*2*H)]
  constructor(P: number, H: number, L: number, config: PrefixConfig, rng: Rng) {
    super();
    const out = L * 2 * H;
    if (config.projection) {
      this.embedding = new PrefixEmbedding(P, H, rng.fork());
      this.transform = [new Linear(H, config.mlpWidth, rng.fork(), { std: 0.02 }), new Tanh(), new Linear(config.mlpWidth, out, rng.fork(), { std: 0.02 })];
    } else {
      this.embedding = new PrefixEmbedding(P, out, rng.fork());
      this.transform = undefined;
    }
  }
  /** The generated prefixes of every layer, [P, L*2*H]. */
  generate(): Tensor {
    const E = this.embedding.weight; // [P, H] or [P, L*2*H]
    if (!this.transform) return E;
    const [l1, , l2] = this.transform as [Linear, Tanh, Linear];
    return l2.forward(tanh(l1.forward(E))); // [P, H] -> [P, w] -> [P, L*2*H]
  }
}

export interface PrefixPieceOptions {
  /** UniPELT: a gate G_P for layer `layer`, made as a child of the layer's self-attention. */
  gate?: (layer: number, selfAttention: Module) => GateFn;
}

export interface PrefixPiece {
  readonly encoder: PrefixEncoder;
  /** 2 * L * P * H: what an exported adapter stores. */
  readonly generatedValues: number;
  /** The generated prefixes now, [P, L*2*H] (PEFT's prompt_embeddings), cut from the tape. */
  generated(): Tensor;
  detach(): void;
}

export function attachPrefix(site: Site, config: PrefixConfig, rng: Rng, opts: PrefixPieceOptions = {}): PrefixPiece {
  const H = site.hiddenSize, L = site.layers.length, P = config.prefixLength;
  const encoder = new PrefixEncoder(P, H, L, config, rng.fork());
  addChild(site.encoder, 'prefix', encoder, 'prefix');
  let parts: Tensor[] | null = null; // this forward's 2L prefixes, [P, H] each
  let batch = 0;
  const before = (info: ForwardInfo) => {
    batch = info.batch;
    parts = split(encoder.generate(), Array<number>(2 * L).fill(H), 1); // [P, L*2*H] -> 2L x [P, H]
  };
  const prev = site.encoder.hooks?.beforeLayers;
  site.encoder.hooks = { ...site.encoder.hooks, beforeLayers: (info) => { prev?.(info); before(info); } };

  site.layers.forEach((layerModule, i) => {
    const gate = opts.gate?.(i, moduleAt(layerModule, 'attention.self')) ?? null;
    addLayerHooks(site.encoder.layers[i]!, {
      prefix: (ctx: LayerContext) => {
        const k = reshape(parts![2 * i]!, [1, P, H]); // [1, P, H]
        const v = reshape(parts![2 * i + 1]!, [1, P, H]); // [1, P, H]
        const g = gate ? gate(ctx.hIn, ctx) : full([batch, 1, 1], 1, k.dtype); // [B, 1, 1]
        return { key: mul(g, k), value: mul(g, v) }; // [B, 1, 1] * [1, P, H] -> [B, P, H]
      },
    }, 'prefix');
  });

  return {
    encoder,
    generatedValues: 2 * L * P * H,
    generated: () => noGrad(() => encoder.generate()).detach(),
    detach() {
      removeChild(site.encoder, 'prefix');
      if (site.encoder.hooks) site.encoder.hooks.beforeLayers = prev;
      for (const l of site.encoder.layers) if (l.hooks) delete l.hooks.prefix;
    },
  };
}
