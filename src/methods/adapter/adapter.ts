// Bottleneck adapters (../../../shared/docs/unipelt-spec.md, "Adapter"): up(act(x W_down^T + b_down)),
// H -> H/reductionFactor -> H, BERT init (normal(0, 0.02), biases 0), so not an exact no-op at init.
//
// Pfeiffer (default), through the FFN output hook, with the layer's own frozen output LayerNorm:
//   x = LN(h_F + h_att);  a = G_A * up(x) + h_F;  out = LN(a + h_att)          (G_A = 1 ungated)
// Houlsby (AdapterHub's HoulsbyConfig: original_ln_before false), after attention and after the FFN:
//   out = LN(G * up(h_S) + h_S + residual)   with h_S the sublayer output (h_A or h_F)
// Parameters: "...output.adapter.{down,up}.{weight,bias}" (Houlsby also "...attention.output.adapter.*").

import { Tensor, add, mul, relu, sigmoid } from '../../tensor/index.ts';
import { Module, Linear } from '../../nn/index.ts';
import { addLayerHooks, type LayerContext, type LayerHooks, type LayerNormFn } from '../../models/hooks.ts';
import { fail } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';
import { addChild, moduleAt, removeChild, type GateFn, type Site } from '../common.ts';
import type { AdapterConfig } from './config.ts';

export class BottleneckAdapter extends Module {
  down: Linear; // [m, H]
  up: Linear; // [H, m]
  readonly _act: 'relu' | 'swish';
  constructor(hidden: number, bottleneck: number, act: 'relu' | 'swish', rng: Rng) {
    super();
    this.down = new Linear(hidden, bottleneck, rng.fork(), { std: 0.02 });
    this.up = new Linear(bottleneck, hidden, rng.fork(), { std: 0.02 });
    this._act = act;
  }
  /** up(act(down(x))): [B, T, H] -> [B, T, m] -> [B, T, H] */
  forward(x: Tensor): Tensor {
    const h = this.down.forward(x); // [B, T, m]
    const a = this._act === 'relu' ? relu(h) : mul(h, sigmoid(h)); // [B, T, m]
    return this.up.forward(a); // [B, T, H]
  }
}

export type AdapterSpot = 'ffn' | 'attention';

export interface AdapterPieceOptions {
  /** UniPELT: a gate G_A for the adapter at `spot` of layer `layer`, made as a child of `parent` (the adapter's block). */
  gate?: (layer: number, spot: AdapterSpot, parent: Module) => GateFn;
}

export interface AdapterPiece {
  readonly bottleneck: number;
  detach(): void;
}

export function bottleneckSize(hidden: number, config: AdapterConfig): number {
  const m = Math.floor(hidden / config.reductionFactor);
  if (m < 1) fail('config', `adapter: reductionFactor ${config.reductionFactor} leaves no bottleneck for hidden size ${hidden}`);
  return m;
}

export function attachAdapters(site: Site, config: AdapterConfig, rng: Rng, opts: AdapterPieceOptions = {}): AdapterPiece {
  const H = site.hiddenSize, m = bottleneckSize(H, config);
  const placed: Module[] = [];
  site.layers.forEach((layerModule, i) => {
    const make = (spot: AdapterSpot, blockPath: string) => {
      const block = moduleAt(layerModule, blockPath);
      const adapter = new BottleneckAdapter(H, m, config.nonLinearity, rng.fork());
      addChild(block, 'adapter', adapter, 'adapter');
      placed.push(block);
      return { adapter, gate: opts.gate?.(i, spot, block) ?? null };
    };
    const hooks: LayerHooks = {};
    const ffn = make('ffn', 'output');
    if (config.placement === 'pfeiffer') {
      hooks.ffnOutput = (hF: Tensor, hAtt: Tensor, ln: LayerNormFn, ctx: LayerContext) => {
        const s = add(hF, hAtt); // h_F + h_att: [B, T, H]
        const x = ln(s); // [B, T, H]: the adapter's input, with the layer's frozen LayerNorm
        const u = ffn.adapter.forward(x); // up(x): [B, T, H]
        return ln(add(ffn.gate ? mul(u, ffn.gate(x, ctx)) : u, s)); // LN(a + h_att) = LN(G_A up(x) + (h_F + h_att)): [B, T, H]
      };
    } else {
      const att = make('attention', 'attention.output');
      hooks.attentionOutput = (hA, hIn, ln, ctx) => houlsby(att, hA, hIn, ln, ctx); // [B, T, H]
      hooks.ffnOutput = (hF, hAtt, ln, ctx) => houlsby(ffn, hF, hAtt, ln, ctx); // [B, T, H]
    }
    addLayerHooks(site.encoder.layers[i]!, hooks, 'adapter');
  });
  return {
    bottleneck: m,
    detach() {
      for (const block of placed) removeChild(block, 'adapter');
      for (const l of site.encoder.layers) {
        if (!l.hooks) continue;
        delete l.hooks.ffnOutput;
        if (config.placement === 'houlsby') delete l.hooks.attentionOutput;
      }
    },
  };
}

/** LN(G * up(h_S) + h_S + residual): the adapter reads the sublayer output h_S [B, T, H] itself. */
function houlsby(a: { adapter: BottleneckAdapter; gate: GateFn | null }, hS: Tensor, residual: Tensor, ln: LayerNormFn, ctx: LayerContext): Tensor {
  const u = a.adapter.forward(hS); // [B, T, H]
  return ln(add(add(a.gate ? mul(u, a.gate(hS, ctx)) : u, hS), residual)); // [B, T, H]
}
