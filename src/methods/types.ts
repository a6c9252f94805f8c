// The one interface every method offers (design.md, "One folder per method"): `attach(model, config)`
// freezes what the method does not train, wires its pieces into the encoder's hooks (../models/hooks.ts),
// and returns its trainable parameters by group plus optional capabilities. The trainer never switches
// on a method's name: it asks for `trainable()`, sets `gradMask` on AdamW when there is one, and reads
// `gates()` when it records gate values.

import type { z } from 'zod';
import type { Tensor } from '../tensor/index.ts';
import type { Module } from '../nn/index.ts';
import type { GradMaskFn } from '../optim/adamw.ts';

export type NamedTensor = [name: string, tensor: Tensor];

/** How trainable parameters are reported: the method's own, UniPELT's gates, the task head. */
export const PARAM_GROUPS = ['method', 'gates', 'head'] as const;
export type ParamGroup = (typeof PARAM_GROUPS)[number];

/** One gate's values from the last forward: one scalar per example (the mean over tokens of sigmoid(w.x_t + b)). */
export interface GateReading {
  layer: number;
  /** 'adapter' (after the FFN), 'adapter_attention' (Houlsby), 'prefix', 'lora_query', 'lora_value', ... */
  gate: string;
  /** [B] values of the last forward. */
  values: Float32Array;
}

export interface AttachOptions {
  /** Seed of the method's initial values (default 42, the spec's training seed). */
  seed?: number;
}

/** A method attached to a model: what trains, and what else it can do. */
export interface Attached<C = unknown> {
  /** Registry name ('lora', 'unipelt', ...). */
  readonly method: string;
  /** The resolved config (schema defaults filled in). */
  readonly config: C;
  /** Trainable parameters by group, full parameter names (e.g. "bert.encoder.layer.0.attention.self.query.lora.A"). */
  groups(): Record<ParamGroup, NamedTensor[]>;
  /** Every trainable parameter (method, gates, head): what the optimizer gets. */
  trainable(): NamedTensor[];
  /** Names of the parameters the method added to the model (absent from a base checkpoint). */
  added(): string[];
  /**
   * Values a saved adapter keeps for the method group when that differs from the trainable count:
   * prefix-tuning trains a generator but needs only its 2*L*P*H generated prefixes afterwards.
   */
  storedMethodValues?(): number;
  /** Fold the method into the base weights (LoRA without gates); forward then skips the method. */
  merge?(): void;
  /** Restore the base weights exactly as they were before merge(). */
  unmerge?(): void;
  isMerged?(): boolean;
  /**
   * Prefix-tuning's generator and the prefixes it generates now, [P, L*2*H] cut from the tape: what an
   * exported adapter stores instead of the generator (prefix-tuning, UniPELT with a prefix).
   */
  prefixes?(): { generator: Tensor[]; generated: Tensor };
  /** Gate values per layer and gate, from the last forward (UniPELT). */
  gates?(): GateReading[];
  /** A gradient transform for AdamW (`opt.gradMask = attached.gradMask`), e.g. Child-Tuning's masks. */
  gradMask?: GradMaskFn;
  /** Remove the method's hooks and parameters from the model (the base weights stay as they are). */
  detach(): void;
}

export interface MethodDef<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly summary: string;
  /** One zod schema: the config type and its runtime check (unknown keys rejected). */
  readonly schema: S;
  attach(model: Module, config: z.output<S>, opts?: AttachOptions): Attached<z.output<S>>;
}

/** Parameter counts like PEFT's print_trainable_parameters, split by group. */
export interface ParamReport {
  method: string;
  /** Parameters of the model as loaded (encoder + head), before the method added any. */
  base: number;
  /** base + the method's added parameters. */
  total: number;
  trainable: number;
  groups: Record<ParamGroup, number>;
  /** Method values a saved adapter stores, when that differs from groups.method (prefix: generated prefixes). */
  stored?: number;
  /** 100 * trainable / total. */
  trainablePercent: number;
}

export function paramReport(model: Module, attached: Attached): ParamReport {
  const all = model.namedParameters();
  const added = new Set(attached.added());
  const count = (xs: NamedTensor[]) => xs.reduce((n, [, t]) => n + t.size, 0);
  const groups = attached.groups();
  const g = { method: count(groups.method), gates: count(groups.gates), head: count(groups.head) };
  const total = count(all);
  const trainable = g.method + g.gates + g.head;
  const stored = attached.storedMethodValues?.();
  return {
    method: attached.method,
    base: count(all.filter(([n]) => !added.has(n))),
    total,
    trainable,
    groups: g,
    ...(stored !== undefined ? { stored } : {}),
    trainablePercent: (100 * trainable) / total,
  };
}
