// The method registry: every method by name, its config schema, and `attachMethod`, the one entry the
// trainer and the command line use. UniPELT's variants are presets of the unipelt method.
import type { Module } from '../nn/index.ts';
import { fail } from '../util/errors.ts';
import { parseWith } from '../util/schema.ts';
import type { Attached, AttachOptions, MethodDef } from './types.ts';
import { full } from './full/index.ts';
import { bitfit } from './bitfit/index.ts';
import { adapter } from './adapter/index.ts';
import { prefix } from './prefix/index.ts';
import { lora } from './lora/index.ts';
import { unipelt, UNIPELT_PRESETS } from './unipelt/index.ts';

const methods = new Map<string, MethodDef>([full, bitfit, adapter, prefix, lora, unipelt].map((m) => [m.name, m as MethodDef]));
const presets = new Map<string, { method: string; config: Record<string, unknown> }>(
  Object.entries(UNIPELT_PRESETS).map(([name, config]) => [name, { method: 'unipelt', config }]),
);

/** Adds a method (e.g. Child-Tuning) to the registry. */
export function registerMethod(def: MethodDef): void {
  if (methods.has(def.name) || presets.has(def.name)) fail('usage', `method "${def.name}" is registered already`);
  methods.set(def.name, def);
}

/** Every name `attachMethod` accepts: methods and presets. */
export function methodNames(): string[] {
  return [...methods.keys(), ...presets.keys()];
}

export function methodDef(name: string): MethodDef {
  const def = methods.get(presets.get(name)?.method ?? name);
  if (!def) fail('usage', `unknown method "${name}"; known: ${methodNames().join(', ')}`);
  return def;
}

/**
 * Validates a method config against the method's schema (a preset's settings first, the given config
 * over them), naming the field at fault. Returns the method and its resolved config.
 */
export function resolveMethod(name: string, config: unknown = {}, source = 'method config'): { def: MethodDef; config: unknown } {
  const def = methodDef(name);
  if (config === null || typeof config !== 'object' || Array.isArray(config)) fail('config', `${source}: must be a JSON object`);
  const merged = { ...(presets.get(name)?.config ?? {}), ...config };
  return { def, config: parseWith(def.schema, merged, `${source}: ${name}`) };
}

/** Attach method `name` (or a preset) with `config` to `model`; see MethodDef.attach. */
export function attachMethod(model: Module, name: string, config: unknown = {}, opts: AttachOptions = {}): Attached {
  const { def, config: resolved } = resolveMethod(name, config);
  return def.attach(model, resolved, opts);
}
