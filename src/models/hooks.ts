// The hook points every encoder offers to parameter-efficient methods (../shared/docs/unipelt-spec.md).
// A method plugs in by attaching plain objects: `model.hooks` (once per forward) and `layer.hooks` (per
// layer). Every slot is optional and every hook is a pure function of tensors, so methods never touch
// an encoder's internals, and an unhooked model (hooks = null) runs exactly the plain forward.
//
// Shapes: B batch, T tokens, H hidden, NH heads, HS = H / NH, P prefix length.
// Keys and values are [B, T, H] with heads side by side: head h owns columns h*HS .. (h+1)*HS - 1
// (what [B, T, NH, HS] reshaped to [B, T, H] gives). A prefix laid out as the spec's [B, NH, P, HS]
// becomes this layout by permute([0, 2, 1, 3]) then reshape([B, P, H]).

import type { Tensor } from '../tensor/index.ts';
import type { Linear } from '../nn/index.ts';
import { fail } from '../util/errors.ts';

/** The linear projections of one layer a method may wrap (paths relative to the layer, query/key/value under attention.self). */
export const PROJECTIONS = ['query', 'key', 'value', 'attention.output.dense', 'intermediate.dense', 'output.dense'] as const;
export type ProjectionName = (typeof PROJECTIONS)[number];

/** A projection hook: x [..., in] and the layer's Linear -> [..., out]. */
export type ProjectionHook = (x: Tensor, base: Linear, ctx: LayerContext) => Tensor;

/** What every hook of one layer sees besides its own tensors. */
export interface LayerContext {
  /** Layer number, 0-based. */
  readonly index: number;
  /** h_in [B, T, H]: the layer's input (what G_P and the LoRA gates read). */
  readonly hIn: Tensor;
  /** [B, T], 1 for tokens and 0 for padding (for a masked mean over tokens); null when every position is a token. */
  readonly tokenMask: Tensor | null;
}

/** Applies one of the layer's own (frozen) LayerNorms: LN(x) with its weight, bias and eps. */
export type LayerNormFn = (x: Tensor) => Tensor;

export interface LayerHooks {
  /**
   * Prefix-tuning: key and value prefixes [B, P, H] (gate already applied: G_P * prefix) prepended to
   * the self-attention keys and values, K = concat([prefix_k, K]), V = concat([prefix_v, V]) along the
   * token axis. Queries are unchanged; the additive mask gets P zeros in front (prefixes always visible).
   */
  prefix?: (ctx: LayerContext) => { key: Tensor; value: Tensor } | null;
  /**
   * LoRA and friends: compute the projection of x [..., in] in place of the layer. `base` is the layer's
   * Linear (W [out, in], b [out]); base.forward(x) is what the layer would compute, y = x W^T + b.
   * Return y + delta(x), e.g. y + (alpha/r) x A^T B^T or y + G_L x A^T B^T, in whatever way is cheapest
   * (LoRA: one product through W + (alpha/r) B A when that costs less, T.linearLowRank).
   */
  projection?: Partial<Record<ProjectionName, ProjectionHook>>;
  /**
   * Houlsby placement: h_A [B, T, H] is the attention output after its dense and dropout, before the
   * residual and LayerNorm. Return the attention block's output h_att; without this hook
   * h_att = LN(h_A + h_in) with ln = attention.output.LayerNorm.
   */
  attentionOutput?: (hA: Tensor, hIn: Tensor, ln: LayerNormFn, ctx: LayerContext) => Tensor;
  /**
   * Pfeiffer placement: h_F [B, T, H] is the FFN output after dropout, before its LayerNorm; h_att the
   * attention block's output (the FFN's residual input); ln = output.LayerNorm. Return the layer output.
   * Without this hook the output is LN(h_F + h_att). The spec's adapter:
   *   x = LN(h_F + h_att);  a = G_A * up(x) + h_F;  out = LN(a + h_att).
   */
  ffnOutput?: (hF: Tensor, hAtt: Tensor, ln: LayerNormFn, ctx: LayerContext) => Tensor;
}

/** What the encoder tells `model.hooks` before its layers run (e.g. to build the prefixes once per forward). */
export interface ForwardInfo {
  readonly batch: number;
  readonly seqLen: number;
  /** [B, T] 1 = token, 0 = padding; null when every position is a token. */
  readonly tokenMask: Tensor | null;
}

export interface EncoderHooks {
  beforeLayers?: (info: ForwardInfo) => void;
}

/** One layer as methods see it: its hook slots, and its projections (to hang weights under, or merge into). */
export interface HookableLayer {
  hooks: LayerHooks | null;
  /** The Linear behind a projection name; a method's child module set on it is saved under its path (`...query.lora.A`). */
  projection(name: ProjectionName): Linear;
}

/** What an encoder offers: its per-layer hook slots and the shape facts methods size themselves by. */
export interface HookableEncoder {
  hooks: EncoderHooks | null;
  readonly layers: readonly HookableLayer[];
  readonly hiddenSize: number;
  readonly numHeads: number;
}

/** base.forward(x), or what the layer's hook for `name` computes instead. */
export function project(hooks: LayerHooks | null, name: ProjectionName, x: Tensor, base: Linear, ctx: LayerContext | null): Tensor {
  const hook = hooks?.projection?.[name];
  return hook ? hook(x, base, ctx!) : base.forward(x);
}

/**
 * Merge `extra` into a layer's hooks (creating them when absent), refusing a slot another method holds,
 * so two methods never silently overwrite each other. Returns the layer's hooks.
 */
export function addLayerHooks(layer: { hooks: LayerHooks | null }, extra: LayerHooks, owner: string): LayerHooks {
  const h = (layer.hooks ??= {});
  for (const key of ['prefix', 'attentionOutput', 'ffnOutput'] as const) {
    if (!extra[key]) continue;
    if (h[key]) fail('usage', `${owner}: the layer's "${key}" hook is already taken by another method`);
    (h as Record<string, unknown>)[key] = extra[key];
  }
  for (const [name, fn] of Object.entries(extra.projection ?? {})) {
    h.projection ??= {};
    if (h.projection[name as ProjectionName]) fail('usage', `${owner}: the "${name}" projection hook is already taken by another method`);
    h.projection[name as ProjectionName] = fn;
  }
  return h;
}
