// Saving and loading adapters (docs/adapter-format.md). LoRA and prefix-tuning go to PEFT's layout
// (./peft.ts); bottleneck adapters, BitFit and UniPELT to pelt's layout, AdapterHub-like: one
// adapter_config.json naming the method, its resolved config and the model's shape, and one
// adapter_model.safetensors holding every trainable tensor (method, gates, head) under its pelt name.

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type FloatTensorInput } from '../io/safetensors.ts';
import { writeTextAtomic } from '../io/atomic.ts';
import type { Module } from '../nn/index.ts';
import { fail } from '../util/errors.ts';
import { locate } from './common.ts';
import { resolveMethod } from './registry.ts';
import { CONFIG_FILE, WEIGHTS_FILE, fill, loadPeft, readAdapterConfig, saveLoraPeft, savePrefixPeft } from './peft.ts';
import type { LoraAttached } from './lora/index.ts';
import type { PrefixAttached } from './prefix/index.ts';
import type { Attached, AttachOptions } from './types.ts';

export const PELT_FORMAT = 'pelt-adapter';
export const PELT_FORMAT_VERSION = 1;

export interface SaveAdapterOptions {
  /** The base checkpoint's folder or Hub id, recorded as base_model_name_or_path. */
  baseModel?: string | null;
  /** 'auto' (default): PEFT's layout for LoRA and prefix-tuning, pelt's for every other method. */
  format?: 'auto' | 'peft' | 'pelt';
  /**
   * pelt layout: store the generated prefixes [P, L*2*H] instead of the prefix generator (the config then
   * says projection: false, and the adapter loads for inference or further tuning of the prefixes
   * themselves). PEFT's layout always stores the generated prefixes.
   */
  exportPrefix?: boolean;
}

export type AdapterFormat = 'peft' | 'pelt';

export function saveAdapter(model: Module, attached: Attached, dir: string, opts: SaveAdapterOptions = {}): AdapterFormat {
  const peftable = attached.method === 'lora' || attached.method === 'prefix';
  const format = opts.format === 'peft' || (opts.format !== 'pelt' && peftable) ? 'peft' : 'pelt';
  if (attached.method === 'full') fail('usage', 'full fine-tuning trains every weight: save the whole model (saveBert), not an adapter');
  if (format === 'peft') {
    if (attached.method === 'lora') saveLoraPeft(model, attached as LoraAttached, dir, opts);
    else if (attached.method === 'prefix') savePrefixPeft(model, attached as PrefixAttached, dir, opts);
    else fail('usage', `PEFT's layout has no ${attached.method} adapter (gates and bottleneck adapters save in pelt's layout)`);
    return 'peft';
  }
  savePelt(model, attached, dir, opts);
  return 'pelt';
}

function savePelt(model: Module, attached: Attached, dir: string, opts: SaveAdapterOptions): void {
  if (attached.isMerged?.()) fail('usage', `${attached.method}: unmerge() before saving the adapter`);
  const site = locate(model);
  const prefixes = opts.exportPrefix ? attached.prefixes?.() ?? null : null;
  const exportPrefix = prefixes !== null;
  const generator = new Set(prefixes?.generator ?? []);
  let config = attached.config as Record<string, unknown>;
  const tensors = new Map<string, FloatTensorInput>();
  for (const [name, p] of attached.trainable()) {
    if (!generator.has(p)) tensors.set(name, { shape: p.shape, data: p.data as Float32Array });
  }
  if (exportPrefix) {
    const gen = prefixes!.generated; // [P, L*2*H]
    tensors.set(`${site.encoderPath ? `${site.encoderPath}.` : ''}prefix.embedding.weight`, { shape: gen.shape, data: gen.data as Float32Array });
    config = attached.method === 'prefix'
      ? { ...config, projection: false }
      : { ...config, prefix: { ...(config.prefix as object), projection: false } };
  }
  const encoderConfig = (site.encoder as unknown as { config?: { model_type?: string } }).config;
  mkdirSync(dir, { recursive: true });
  writeTextAtomic(join(dir, CONFIG_FILE), JSON.stringify({
    format: PELT_FORMAT,
    format_version: PELT_FORMAT_VERSION,
    method: attached.method,
    config,
    prefix_exported: exportPrefix,
    base_model_name_or_path: opts.baseModel ?? null,
    model_type: encoderConfig?.model_type ?? null,
    model_class: model.constructor.name,
    hidden_size: site.hiddenSize,
    num_hidden_layers: site.layers.length,
    num_attention_heads: site.numHeads,
  }, null, 2) + '\n');
  writeSafetensors(join(dir, WEIGHTS_FILE), tensors, { format: 'pt', pelt_method: attached.method });
}

/**
 * Loads an adapter saved by pelt (either layout) or by PEFT (LoRA, prefix-tuning) onto `model`, attaching
 * its method. A tensor that does not fit the model fails with its name and both shapes.
 */
export function loadAdapter(model: Module, dir: string, opts: AttachOptions = {}): Attached {
  const cfg = readAdapterConfig(dir);
  if ('peft_type' in cfg) return loadPeft(model, dir, opts);
  const src = join(dir, CONFIG_FILE);
  if (cfg.format !== PELT_FORMAT) fail('checkpoint', `${src}: neither a PEFT adapter (no peft_type) nor a pelt adapter (format "${PELT_FORMAT}")`);
  if (cfg.format_version !== PELT_FORMAT_VERSION) fail('checkpoint', `${src}: format_version ${JSON.stringify(cfg.format_version)} is not supported (pelt reads ${PELT_FORMAT_VERSION})`);
  const { def, config } = resolveMethod(String(cfg.method), cfg.config ?? {}, src);
  const file = join(dir, WEIGHTS_FILE);
  if (!existsSync(file)) fail('checkpoint', `${file}: not found`);
  const st = readSafetensors(file);
  const attached = def.attach(model, config, opts);
  try {
    return fill(model, attached, st.tensors, file);
  } catch (err) {
    const saved = cfg.model_class, shape = [cfg.hidden_size, cfg.num_hidden_layers, cfg.num_attention_heads].join(' / ');
    const site = locate(model), own = [site.hiddenSize, site.layers.length, site.numHeads].join(' / ');
    if (err instanceof Error && (saved !== model.constructor.name || shape !== own)) {
      err.message += ` (the adapter was saved from a ${saved} with hidden size / layers / heads ${shape}; this model is a ${model.constructor.name} with ${own})`;
    }
    throw err;
  }
}
