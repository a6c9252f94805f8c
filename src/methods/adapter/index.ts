// Bottleneck adapters as a method of their own: adapters and the head train, the rest is frozen.
import type { Module } from '../../nn/index.ts';
import { Rng } from '../../util/rng.ts';
import { attachedBase, freezeBase, prepare } from '../common.ts';
import type { Attached, AttachOptions, MethodDef } from '../types.ts';
import { AdapterConfigSchema, type AdapterConfig } from './config.ts';
import { attachAdapters } from './adapter.ts';

export { AdapterConfigSchema, ADAPTER_PLACEMENTS, type AdapterConfig } from './config.ts';
export { BottleneckAdapter, attachAdapters, bottleneckSize, type AdapterPiece, type AdapterPieceOptions, type AdapterSpot } from './adapter.ts';

export const adapter: MethodDef<typeof AdapterConfigSchema> = {
  name: 'adapter',
  summary: 'bottleneck adapters (Pfeiffer after the FFN by default; Houlsby adds one after attention)',
  schema: AdapterConfigSchema,
  attach(model: Module, config: AdapterConfig, opts: AttachOptions = {}): Attached<AdapterConfig> {
    const { site, before } = prepare(model, 'adapter');
    freezeBase(site);
    const piece = attachAdapters(site, config, new Rng(opts.seed ?? 42));
    return attachedBase('adapter', config, site, before, () => piece.detach());
  },
};
