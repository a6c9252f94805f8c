// pelt's parameter-efficient methods: one interface (./types.ts), one folder per method, a registry by
// name (./registry.ts), and adapter files in PEFT's or pelt's layout (./checkpoint.ts, docs/adapter-format.md).
export * from './types.ts';
export { attachMethod, methodDef, methodNames, registerMethod, resolveMethod } from './registry.ts';
export { saveAdapter, loadAdapter, type AdapterFormat, type SaveAdapterOptions } from './checkpoint.ts';
export { locate, type Site } from './common.ts';
export { full } from './full/index.ts';
export { bitfit } from './bitfit/index.ts';
export { adapter, type AdapterConfig } from './adapter/index.ts';
export { prefix, type PrefixAttached, type PrefixConfig } from './prefix/index.ts';
export { lora, type LoraAttached, type LoraConfig } from './lora/index.ts';
export { unipelt, UNIPELT_PRESETS, type UniPeltConfig } from './unipelt/index.ts';
