// Prefix-tuning as a method of its own: the generator (or the prefixes themselves) and the head train.
// Saves in PEFT's layout as the generated prefixes (../peft.ts).
import type { Module } from '../../nn/index.ts';
import { Rng } from '../../util/rng.ts';
import { attachedBase, freezeBase, prepare } from '../common.ts';
import type { Attached, AttachOptions, MethodDef } from '../types.ts';
import { PrefixConfigSchema, type PrefixConfig } from './config.ts';
import { attachPrefix, type PrefixPiece } from './prefix.ts';

export { PrefixConfigSchema, type PrefixConfig } from './config.ts';
export { PrefixEncoder, attachPrefix, type PrefixPiece, type PrefixPieceOptions } from './prefix.ts';

export interface PrefixAttached extends Attached<PrefixConfig> {
  readonly piece: PrefixPiece;
}

export const prefix: MethodDef<typeof PrefixConfigSchema> = {
  name: 'prefix',
  summary: 'prefix-tuning: P key/value prefixes per layer from a reparameterization MLP shared by all layers',
  schema: PrefixConfigSchema,
  attach(model: Module, config: PrefixConfig, opts: AttachOptions = {}): PrefixAttached {
    const { site, before } = prepare(model, 'prefix');
    freezeBase(site);
    const piece = attachPrefix(site, config, new Rng(opts.seed ?? 42));
    return {
      ...attachedBase('prefix', config, site, before, () => piece.detach()),
      piece,
      storedMethodValues: () => piece.generatedValues,
      prefixes: () => ({ generator: piece.encoder.parameters(), generated: piece.generated() }),
    };
  },
};
