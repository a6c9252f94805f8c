// What every method needs from a model, found through the hook interface and Hugging Face names only:
// the encoder (the module that offers hooks), its layers as modules with their parameter paths, and the
// head (every parameter outside the encoder). Method pieces become child modules of the model, so their
// parameters are named like the checkpoint keys around them ("...attention.self.query.lora.A").

import { Module } from '../nn/index.ts';
import { Tensor } from '../tensor/index.ts';
import type { HookableEncoder, LayerContext, LayerHooks, ProjectionName } from '../models/hooks.ts';
import { fail } from '../util/errors.ts';
import type { Attached, NamedTensor, ParamGroup } from './types.ts';

export type EncoderModule = Module & HookableEncoder;

export interface Site {
  /** The model the method is attached to (e.g. BertForSequenceClassification). */
  root: Module;
  encoder: EncoderModule;
  /** Path of the encoder inside root: "bert", or "" when root is the encoder. */
  encoderPath: string;
  /** The encoder's layers as modules, in order, and their paths inside root ("bert.encoder.layer.3"). */
  layers: Module[];
  layerPaths: string[];
  hiddenSize: number;
  numHeads: number;
}

function isEncoder(m: Module): m is EncoderModule {
  const e = m as Partial<HookableEncoder>;
  return 'hooks' in m && Array.isArray(e.layers) && typeof e.hiddenSize === 'number' && typeof e.numHeads === 'number';
}

/** Finds the hookable encoder inside `model` (or `model` itself). */
export function locate(model: Module): Site {
  const modules = model.namedModules();
  const found = modules.find(([, m]) => isEncoder(m));
  if (!found) fail('usage', `${model.constructor.name} has no encoder with method hooks (models/hooks.ts HookableEncoder)`);
  const [encoderPath, encoder] = found as [string, EncoderModule];
  const pathOf = new Map(modules.map(([p, m]) => [m, p]));
  const layers = encoder.layers.map((l, i) => {
    if (!(l instanceof Module) || !pathOf.has(l)) fail('usage', `encoder layer ${i} is not a module of the model`);
    return l;
  });
  return {
    root: model, encoder, encoderPath, layers, layerPaths: layers.map((l) => pathOf.get(l)!),
    hiddenSize: encoder.hiddenSize, numHeads: encoder.numHeads,
  };
}

/** Paths of the hook projections inside a layer (models/hooks.ts: query/key/value sit under attention.self). */
export function projectionPath(name: ProjectionName): string {
  return name === 'query' || name === 'key' || name === 'value' ? `attention.self.${name}` : name;
}

/** The module at a dotted path below `m` ("attention.self.query"). */
export function moduleAt(m: Module, path: string): Module {
  let cur: unknown = m;
  for (const key of path.split('.')) {
    cur = (cur as Record<string, unknown>)[key];
    if (!(cur instanceof Module)) fail('usage', `${m.constructor.name} has no module at "${path}"`);
  }
  return cur as Module;
}

/** Makes `child` a named child of `parent` (its parameters then appear under `field`). */
export function addChild(parent: Module, field: string, child: Module, owner: string): void {
  if (field in parent) fail('usage', `${owner}: "${field}" already exists on ${parent.constructor.name}; is a method attached already?`);
  (parent as unknown as Record<string, unknown>)[field] = child;
}

export function removeChild(parent: Module, field: string): void {
  delete (parent as unknown as Record<string, unknown>)[field];
}

/** A linear projection's weight [out, in] and bias, as nn.Linear holds them. */
export function linearWeight(m: Module, what: string): Tensor {
  const w = (m as unknown as { weight?: unknown }).weight;
  if (!(w instanceof Tensor) || w.ndim !== 2) fail('usage', `${what} is not a linear layer with a [out, in] weight`);
  return w;
}

/** Is `name` a parameter of the encoder (rather than of the head)? */
export function inEncoder(site: Site, name: string): boolean {
  return site.encoderPath === '' || name.startsWith(site.encoderPath + '.');
}

/** Gate parameters are named "<site>.<piece>_gate.{weight,bias}" (../unipelt/gate.ts). */
export const GATE_PARAM = /_gate\.(weight|bias)$/;

/** Freeze every parameter, then let the head train: the state every method starts from. */
export function freezeBase(site: Site): void {
  for (const [name, p] of site.root.namedParameters()) {
    p.requiresGrad = !inEncoder(site, name);
    if (!p.requiresGrad) p.grad = null;
  }
}

export function groupsOf(site: Site): Record<ParamGroup, NamedTensor[]> {
  const out: Record<ParamGroup, NamedTensor[]> = { method: [], gates: [], head: [] };
  for (const entry of site.root.namedParameters()) {
    const [name, p] = entry;
    if (!p.requiresGrad) continue;
    if (!inEncoder(site, name)) out.head.push(entry);
    else if (GATE_PARAM.test(name)) out.gates.push(entry);
    else out.method.push(entry);
  }
  return out;
}

/** A layer's hooks object, created when absent. */
export function hooksOf(layer: { hooks: LayerHooks | null }): LayerHooks {
  return (layer.hooks ??= {});
}

/** The parts every method's Attached shares: groups by name, the added names, detach. */
export function attachedBase<C>(method: string, config: C, site: Site, before: Set<string>, detach: () => void): Attached<C> {
  return {
    method,
    config,
    groups: () => groupsOf(site),
    trainable: () => {
      const g = groupsOf(site);
      return [...g.method, ...g.gates, ...g.head];
    },
    added: () => site.root.namedParameters().map(([n]) => n).filter((n) => !before.has(n)),
    detach,
  };
}

export function parameterNames(m: Module): Set<string> {
  return new Set(m.namedParameters().map(([n]) => n));
}

function holdsHooks(h: LayerHooks | null): boolean {
  return !!h && (!!h.prefix || !!h.attentionOutput || !!h.ffnOutput || Object.values(h.projection ?? {}).some(Boolean));
}

/**
 * Where every attach starts: the model's site and its parameter names before the method adds any.
 * One method per model (UniPELT is how methods combine): a second attach fails until detach().
 */
export function prepare(model: Module, method: string): { site: Site; before: Set<string> } {
  const site = locate(model);
  if (site.encoder.hooks?.beforeLayers || site.encoder.layers.some((l) => holdsHooks(l.hooks))) {
    fail('usage', `${method}: the model already has a method attached; detach() it first (UniPELT is how methods combine)`);
  }
  return { site, before: parameterNames(model) };
}

/** Clears the hooks of every layer and of the encoder. */
export function clearHooks(site: Site): void {
  site.encoder.hooks = null;
  for (const l of site.encoder.layers) l.hooks = null;
}

/** A gate of one piece in one layer: its input [B, T, H] -> g [B, 1, 1], broadcast over tokens and features. */
export type GateFn = (input: Tensor, ctx: LayerContext) => Tensor;
