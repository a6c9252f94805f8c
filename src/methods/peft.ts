// PEFT's adapter layout for LoRA and prefix-tuning (docs/adapter-format.md): adapter_config.json with
// PEFT's fields, adapter_model.safetensors with PEFT's key names, so Python PEFT loads what pelt saves and
// pelt loads what PEFT saves.
//
// LoRA:   base_model.model.<module path>.lora_A.weight [r, in], .lora_B.weight [out, r];
//         the head (modules_to_save) as base_model.model.classifier.{weight,bias}.
// Prefix: prompt_embeddings [P, L*2*H], the generated prefixes (what PEFT itself saves for prefix-tuning,
//         with or without prefix_projection, and what its inference-mode prefix encoder holds);
//         the head as base_model.classifier.{weight,bias} (prompt learning wraps the model one level less).

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type FloatTensorInput } from '../io/safetensors.ts';
import { writeTextAtomic } from '../io/atomic.ts';
import { PROJECTIONS, type ProjectionName } from '../models/hooks.ts';
import type { Module } from '../nn/index.ts';
import { fail } from '../util/errors.ts';
import { parseWith } from '../util/schema.ts';
import { fmt } from '../util/assert.ts';
import { inEncoder, locate, projectionPath, type Site } from './common.ts';
import { lora, type LoraAttached, type LoraConfig } from './lora/index.ts';
import { prefix, type PrefixAttached } from './prefix/index.ts';
import type { Attached, AttachOptions } from './types.ts';

export const CONFIG_FILE = 'adapter_config.json';
export const WEIGHTS_FILE = 'adapter_model.safetensors';

const LORA_PREFIX = 'base_model.model.';
const PROMPT_PREFIX = 'base_model.';
/**
 * PeftModelForSequenceClassification adds these to modules_to_save. Prefix configs leave the field out:
 * PromptLearningConfig has it only since PEFT 0.17, and the SEQ_CLS wrapper adds the head either way.
 */
const SEQ_CLS_MODULES = ['classifier', 'score'];

export interface PeftSaveOptions {
  /** adapter_config.json base_model_name_or_path (the base checkpoint's folder or Hub id). */
  baseModel?: string | null;
}

function headNames(site: Site): string[] {
  return site.root.namedParameters().map(([n]) => n).filter((n) => !inEncoder(site, n));
}

/** What PEFT writes for any adapter (PeftConfig's fields), for a model with or without a head. */
function commonFields(site: Site, opts: PeftSaveOptions): Record<string, unknown> {
  const head = headNames(site).length > 0;
  return {
    auto_mapping: null,
    base_model_name_or_path: opts.baseModel ?? null,
    inference_mode: true, // PeftModel.save_pretrained writes true
    revision: null,
    task_type: head ? 'SEQ_CLS' : 'FEATURE_EXTRACTION',
  };
}

function writeJsonSorted(path: string, obj: Record<string, unknown>): void {
  const sorted = Object.fromEntries(Object.keys(obj).sort().map((k) => [k, obj[k]]));
  writeTextAtomic(path, JSON.stringify(sorted, null, 2)); // json.dumps(indent=2, sort_keys=True)
}

/** target_modules as PEFT matches them: names by suffix, or a full-match regex where a suffix is ambiguous. */
export function peftTargetModules(targets: readonly ProjectionName[]): string[] | string {
  // "output.dense" is also a suffix of "attention.output.dense": PEFT would wrap both
  if (!targets.includes('output.dense')) return [...targets];
  return `.*\\.layer\\.\\d+\\.(${targets.map((t) => projectionPath(t).replace(/\./g, '\\.')).join('|')})`;
}

export function saveLoraPeft(model: Module, attached: LoraAttached, dir: string, opts: PeftSaveOptions = {}): void {
  if (attached.isMerged?.()) fail('usage', 'lora: unmerge() before saving the adapter (a merged model saves as a plain checkpoint)');
  const site = locate(model);
  const c = attached.config;
  mkdirSync(dir, { recursive: true });
  writeJsonSorted(join(dir, CONFIG_FILE), {
    ...commonFields(site, opts),
    alpha_pattern: {}, bias: 'none', fan_in_fan_out: false, init_lora_weights: true, layers_pattern: null,
    layers_to_transform: null, lora_alpha: c.alpha, lora_dropout: c.dropout, peft_type: 'LORA', r: c.r, rank_pattern: {},
    modules_to_save: headNames(site).length > 0 ? SEQ_CLS_MODULES : null,
    target_modules: peftTargetModules(c.targets), use_dora: false, use_rslora: c.rslora,
  });
  const tensors = new Map<string, FloatTensorInput>();
  for (const [name, p] of attached.trainable()) {
    const key = name.replace(/\.lora\.A$/, '.lora_A.weight').replace(/\.lora\.B$/, '.lora_B.weight');
    tensors.set(LORA_PREFIX + key, { shape: p.shape, data: p.data as Float32Array });
  }
  writeSafetensors(join(dir, WEIGHTS_FILE), tensors, { format: 'pt' });
}

export function savePrefixPeft(model: Module, attached: PrefixAttached, dir: string, opts: PeftSaveOptions = {}): void {
  const site = locate(model);
  const c = attached.config;
  mkdirSync(dir, { recursive: true });
  writeJsonSorted(join(dir, CONFIG_FILE), {
    ...commonFields(site, opts),
    encoder_hidden_size: c.mlpWidth, num_attention_heads: site.numHeads, num_layers: site.layers.length,
    num_transformer_submodules: 1, num_virtual_tokens: c.prefixLength, peft_type: 'PREFIX_TUNING',
    prefix_projection: c.projection, token_dim: site.hiddenSize,
  });
  const gen = attached.prefixes!().generated; // [P, L*2*H]
  const tensors = new Map<string, FloatTensorInput>([['prompt_embeddings', { shape: gen.shape, data: gen.data as Float32Array }]]);
  for (const name of headNames(site)) {
    const p = site.root.namedParameters().find(([n]) => n === name)![1];
    tensors.set(PROMPT_PREFIX + name, { shape: p.shape, data: p.data as Float32Array });
  }
  writeSafetensors(join(dir, WEIGHTS_FILE), tensors, { format: 'pt' });
}

export function readAdapterConfig(dir: string): Record<string, unknown> {
  const path = join(dir, CONFIG_FILE);
  if (!existsSync(path)) fail('checkpoint', `${path}: not found`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    fail('checkpoint', `${path}: not valid JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail('checkpoint', `${path}: must be a JSON object`);
  return json as Record<string, unknown>;
}

/** Loads a PEFT LoRA or prefix-tuning adapter onto `model` (attaching the method). */
export function loadPeft(model: Module, dir: string, opts: AttachOptions = {}): Attached {
  const cfg = readAdapterConfig(dir);
  const file = join(dir, WEIGHTS_FILE);
  if (!existsSync(file)) fail('checkpoint', `${file}: not found (pelt reads adapters saved as safetensors)`);
  const st = readSafetensors(file);
  const src = join(dir, CONFIG_FILE);
  if (cfg.peft_type === 'LORA') return loadLora(model, cfg, st.tensors, src, file, opts);
  if (cfg.peft_type === 'PREFIX_TUNING') return loadPrefix(model, cfg, st.tensors, src, file, opts);
  return fail('checkpoint', `${src}: peft_type ${JSON.stringify(cfg.peft_type)} is not supported; pelt loads PEFT's LORA and PREFIX_TUNING adapters`);
}

type Tensors = Map<string, { shape: number[]; data: Float32Array }>;

function refuse(src: string, field: string, value: unknown, why: string): never {
  return fail('checkpoint', `${src}: ${field} ${JSON.stringify(value)} is not supported: ${why}`);
}

function loadLora(model: Module, cfg: Record<string, unknown>, tensors: Tensors, src: string, file: string, opts: AttachOptions): Attached {
  if (cfg.use_dora === true) refuse(src, 'use_dora', true, 'pelt implements plain LoRA');
  if (cfg.bias !== undefined && cfg.bias !== 'none') refuse(src, 'bias', cfg.bias, 'pelt trains no biases with LoRA');
  if (cfg.fan_in_fan_out === true) refuse(src, 'fan_in_fan_out', true, 'BERT stores weights as [out, in]');
  if (cfg.layers_to_transform != null) refuse(src, 'layers_to_transform', cfg.layers_to_transform, 'pelt puts LoRA on every layer');
  for (const k of ['rank_pattern', 'alpha_pattern']) {
    if (cfg[k] && Object.keys(cfg[k] as object).length > 0) refuse(src, k, cfg[k], 'pelt uses one r and alpha for all targets');
  }
  // Targets from the tensors themselves: exact, where target_modules may be a suffix or a regex.
  const targets = new Set<ProjectionName>();
  const state = new Map<string, { shape: number[]; data: Float32Array }>();
  const byPath = new Map(PROJECTIONS.map((p) => [projectionPath(p), p]));
  for (const [key, t] of tensors) {
    if (!key.startsWith(LORA_PREFIX)) fail('checkpoint', `${file}: ${key}: not a PEFT LoRA key (expected "${LORA_PREFIX}...")`);
    let name = key.slice(LORA_PREFIX.length);
    const m = /^(.*\.layer\.\d+)\.(.+)\.lora_([AB])(?:\.[^.]+)?\.weight$/.exec(name);
    if (m) {
      const target = byPath.get(m[2]!);
      if (!target) fail('checkpoint', `${file}: ${key}: LoRA on "${m[2]}" is not supported; pelt targets ${PROJECTIONS.join(', ')}`);
      targets.add(target);
      name = `${m[1]}.${m[2]}.lora.${m[3]}`;
    } else if (/lora_/.test(name)) {
      fail('checkpoint', `${file}: ${key}: LoRA outside the encoder layers' projections is not supported`);
    }
    state.set(name, t);
  }
  const r = Number(cfg.r ?? 8);
  const config: LoraConfig = {
    r, alpha: Number(cfg.lora_alpha ?? 8), dropout: Number(cfg.lora_dropout ?? 0), rslora: cfg.use_rslora === true,
    targets: PROJECTIONS.filter((p) => targets.has(p)),
  };
  if (config.targets.length === 0) fail('checkpoint', `${file}: no lora_A / lora_B tensors`);
  const attached = lora.attach(model, parseWith(lora.schema, config, src, 'checkpoint'), opts);
  return fill(model, attached, state, file);
}

function loadPrefix(model: Module, cfg: Record<string, unknown>, tensors: Tensors, src: string, file: string, opts: AttachOptions): Attached {
  const site = locate(model);
  const H = site.hiddenSize, L = site.layers.length;
  if ((cfg.num_transformer_submodules ?? 1) !== 1) refuse(src, 'num_transformer_submodules', cfg.num_transformer_submodules, 'BERT is an encoder (1)');
  const P = Number(cfg.num_virtual_tokens);
  if (!Number.isInteger(P) || P < 1) fail('checkpoint', `${src}: num_virtual_tokens must be a positive integer, got ${JSON.stringify(cfg.num_virtual_tokens)}`);
  const emb = tensors.get('prompt_embeddings');
  if (!emb) fail('checkpoint', `${file}: prompt_embeddings not found`);
  if (emb.shape.length !== 2 || emb.shape[0] !== P || emb.shape[1] !== L * 2 * H) {
    fail('checkpoint', `${file}: prompt_embeddings: adapter has shape ${fmt(emb.shape)}, model expects ${fmt([P, L * 2 * H])} (P = ${P}, L*2*H with L = ${L}, H = ${H}; adapter config num_layers ${cfg.num_layers}, token_dim ${cfg.token_dim})`);
  }
  const mlpWidth = Number(cfg.encoder_hidden_size ?? H);
  const attached = prefix.attach(model, { prefixLength: P, projection: false, mlpWidth }, opts);
  const encoderDot = site.encoderPath ? `${site.encoderPath}.` : '';
  const state = new Map<string, { shape: number[]; data: Float32Array }>([[`${encoderDot}prefix.embedding.weight`, emb]]);
  for (const [key, t] of tensors) {
    if (key === 'prompt_embeddings') continue;
    if (!key.startsWith(PROMPT_PREFIX)) fail('checkpoint', `${file}: ${key}: not a PEFT prefix-tuning key`);
    state.set(key.slice(PROMPT_PREFIX.length).replace(/\.modules_to_save\.[^.]+\./, '.'), t);
  }
  return fill(model, attached, state, file);
}

/**
 * Copies `state` into the attached model: every tensor must be a trainable parameter of it with the same
 * shape, and every trainable parameter must be there. Failures name the tensor (and detach the method).
 */
export function fill(model: Module, attached: Attached, state: Map<string, { shape: readonly number[]; data: ArrayLike<number> }>, file: string): Attached {
  try {
    const trainable = new Set(attached.trainable().map(([n]) => n));
    const all = new Set(model.namedParameters().map(([n]) => n));
    for (const name of state.keys()) {
      if (!all.has(name)) fail('checkpoint', `${file}: ${name}: the model has no such parameter (an adapter for another model or method?)`);
      if (!trainable.has(name)) fail('checkpoint', `${file}: ${name}: not a parameter the ${attached.method} adapter trains`);
    }
    const missing = [...trainable].filter((n) => !state.has(n));
    if (missing.length > 0) fail('checkpoint', `${file}: missing ${missing.length} tensor(s) of the ${attached.method} adapter: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
    model.loadStateDict(state);
  } catch (err) {
    attached.detach();
    if (err instanceof Error && !err.message.startsWith(file)) err.message = `${file}: ${err.message}`;
    throw err;
  }
  return attached;
}
