// LoRA (../../../shared/docs/unipelt-spec.md, "LoRA"): on each target projection of every layer,
//   ungated: y = x W^T + b + (alpha/r) x A^T B^T
//   gated:   y = x W^T + b + G_L x A^T B^T        (UniPELT: the gate replaces alpha/r)
// A [r, in] kaiming-uniform(a = sqrt(5)), B [out, r] zeros, so the model is unchanged at init.
// Parameters sit under the projection: "...attention.self.query.lora.A" / ".lora.B".

import { Tensor, add, dropout, linear, linearLowRank, matmul, mul, noGrad, scale, zeros } from '../../tensor/index.ts';
import { Module, kaimingUniformA5_ } from '../../nn/index.ts';
import { addLayerHooks, type ProjectionHook, type ProjectionName } from '../../models/hooks.ts';
import { fail } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';
import { addChild, linearWeight, moduleAt, projectionPath, removeChild, type GateFn, type Site } from '../common.ts';
import type { LoraConfig } from './config.ts';
import { loraScaling } from './config.ts';

export class LoraModule extends Module {
  A: Tensor; // [r, in]
  B: Tensor; // [out, r]
  constructor(inFeatures: number, outFeatures: number, r: number, rng: Rng) {
    super();
    this.A = kaimingUniformA5_(zeros([r, inFeatures], 'float32', true), rng);
    this.B = zeros([outFeatures, r], 'float32', true);
  }
  /** s x A^T B^T: [..., in] -> [..., r] -> [..., out]; s is folded into B (a [out, r] product, not a [..., out] pass) */
  delta(x: Tensor, s = 1): Tensor {
    return linear(linear(x, this.A), s === 1 ? this.B : scale(this.B, s)); // [..., in] -> [..., r] -> [..., out]
  }
}

export interface LoraPieceOptions {
  /** UniPELT: a gate for target `target` of layer `layer`, made as a child of `projection`; it replaces alpha/r. */
  gate?: (layer: number, target: ProjectionName, projection: Module) => GateFn;
}

interface Site1 {
  layer: number;
  target: ProjectionName;
  projection: Module;
  weight: Tensor; // [out, in]
  lora: LoraModule;
  gated: boolean;
  saved: Float32Array | null; // W before merge()
}

export interface LoraPiece {
  readonly scaling: number;
  readonly sites: readonly Site1[];
  merge(): void;
  unmerge(): void;
  isMerged(): boolean;
  detach(): void;
}

export function attachLora(site: Site, config: LoraConfig, rng: Rng, opts: LoraPieceOptions = {}): LoraPiece {
  const s = loraScaling(config);
  const sites: Site1[] = [];
  let merged = false;
  const dropRng = rng.fork();
  site.layers.forEach((layerModule, i) => {
    const projection: Partial<Record<ProjectionName, ProjectionHook>> = {};
    for (const target of config.targets) {
      const lin = moduleAt(layerModule, projectionPath(target));
      const weight = linearWeight(lin, `${site.layerPaths[i]}.${projectionPath(target)}`);
      const [out, inF] = weight.shape as [number, number];
      const lora = new LoraModule(inF, out, config.r, rng.fork());
      addChild(lin, 'lora', lora, 'lora');
      const gate = opts.gate?.(i, target, lin) ?? null;
      sites.push({ layer: i, target, projection: lin, weight, lora, gated: gate !== null, saved: null });
      projection[target] = (x, base, ctx) => {
        if (merged) return base.forward(x); // W already holds W + (alpha/r) B A
        const dropped = lora.training && config.dropout > 0;
        const xin = dropped ? dropout(x, config.dropout, dropRng) : x; // [..., in]
        if (gate) return add(base.forward(x), mul(lora.delta(xin), gate(ctx.hIn, ctx))); // y + G_L x A^T B^T: [B, T, out] * [B, 1, 1]
        // y + (alpha/r) x A^T B^T: [B, T, out]. With one input for both terms and enough tokens, one product
        // through W + (alpha/r) B A (out*in*r to form) is cheaper than x A^T, then B^T, then an add.
        const tokens = x.size / inF;
        if (!dropped && tokens * (inF + out) >= inF * out) return linearLowRank(x, base.weight, base.bias ?? null, lora.A, lora.B, s);
        return add(base.forward(x), lora.delta(xin, s));
      };
    }
    addLayerHooks(site.encoder.layers[i]!, { projection }, 'lora');
  });

  return {
    scaling: s,
    sites,
    merge() {
      const gated = sites.find((x) => x.gated);
      if (gated) {
        fail('usage', `lora: cannot merge a gated LoRA (UniPELT, layer ${gated.layer} ${gated.target}): the gate G_L depends on each input, so G_L x A^T B^T is no fixed weight change; only ungated LoRA (plain LoRA, UniPELT-NoGate) merges`);
      }
      if (merged) return;
      noGrad(() => {
        for (const x of sites) {
          x.saved = x.weight.data.slice() as Float32Array;
          const d = matmul(x.lora.B, x.lora.A); // [out, r] @ [r, in] -> [out, in]
          const w = x.weight.data;
          for (let k = 0; k < w.length; k++) w[k] = w[k]! + s * d.data[k]!; // W + (alpha/r) B A
        }
      });
      merged = true;
    },
    unmerge() {
      if (!merged) return;
      for (const x of sites) {
        x.weight.data.set(x.saved!); // exactly the weights before merge()
        x.saved = null;
      }
      merged = false;
    },
    isMerged: () => merged,
    detach() {
      if (merged) fail('usage', 'lora: unmerge() before detaching, or save the merged weights first');
      for (const x of sites) {
        removeChild(x.projection, 'lora');
        const hooks = site.encoder.layers[x.layer]!.hooks;
        if (hooks?.projection) delete hooks.projection[x.target];
      }
    },
  };
}
