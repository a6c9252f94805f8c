// UniPELT (Mao et al., ACL 2022): adapter, prefix-tuning and LoRA at once, each behind a learned gate.
// It composes the methods' own pieces (attachAdapters, attachPrefix, attachLora) and only adds the gates:
//   G_A reads the adapter's input x, G_P and the LoRA gates (one per LoRA target) read h_in.
import type { Module } from '../../nn/index.ts';
import type { ProjectionName } from '../../models/hooks.ts';
import { fail } from '../../util/errors.ts';
import { Rng } from '../../util/rng.ts';
import { type GateFn, type Site, addChild, attachedBase, freezeBase, groupsOf, prepare, removeChild } from '../common.ts';
import type { Attached, AttachOptions, GateReading, MethodDef } from '../types.ts';
import { attachAdapters, type AdapterSpot } from '../adapter/adapter.ts';
import { attachPrefix, type PrefixPiece } from '../prefix/prefix.ts';
import { attachLora } from '../lora/lora.ts';
import { UniPeltConfigSchema, type UniPeltConfig } from './config.ts';
import { Gate } from './gate.ts';

export { UniPeltConfigSchema, UNIPELT_PRESETS, type UniPeltConfig } from './config.ts';
export { Gate, type GateMean } from './gate.ts';

interface PlacedGate {
  layer: number;
  name: string;
  parent: Module;
  field: string;
  gate: Gate;
}

export const unipelt: MethodDef<typeof UniPeltConfigSchema> = {
  name: 'unipelt',
  summary: 'UniPELT: gated adapter + prefix-tuning + LoRA (presets unipelt-ap, unipelt-apl, unipelt-nogate)',
  schema: UniPeltConfigSchema,
  attach(model: Module, config: UniPeltConfig, opts: AttachOptions = {}): Attached<UniPeltConfig> {
    const { site, before } = prepare(model, 'unipelt');
    freezeBase(site);
    const rng = new Rng(opts.seed ?? 42);
    const placed: PlacedGate[] = [];
    // A gate factory for one piece, or undefined for UniPELT-NoGate.
    const gated = <A extends unknown[]>(name: (...a: A) => string, field: string, at: (...a: A) => [number, Module]) => {
      if (!config.gates) return undefined;
      const gateRng = rng.fork();
      return (...a: A): GateFn => {
        const [layer, parent] = at(...a);
        const gate = new Gate(site.hiddenSize, gateRng.fork(), config.gateMean);
        addChild(parent, field, gate, 'unipelt');
        placed.push({ layer, name: name(...a), parent, field, gate });
        return (x, ctx) => gate.forward(x, ctx); // [B, T, H] -> [B, 1, 1]
      };
    };
    const pieces: { detach(): void }[] = [];
    if (config.adapter) {
      const gate = gated((_l: number, spot: AdapterSpot, _p: Module) => (spot === 'ffn' ? 'adapter' : 'adapter_attention'), 'adapter_gate', (l, _s, p) => [l, p]);
      pieces.push(attachAdapters(site, config.adapter, rng.fork(), { gate }));
    }
    let prefixPiece: PrefixPiece | null = null;
    if (config.prefix) {
      const gate = gated((_l: number, _p: Module) => 'prefix', 'prefix_gate', (l, p) => [l, p]);
      pieces.push((prefixPiece = attachPrefix(site, config.prefix, rng.fork(), { gate })));
    }
    const lora = config.lora
      ? attachLora(site, config.lora, rng.fork(), {
        gate: gated((_l: number, t: ProjectionName, _p: Module) => `lora_${t.replace(/\./g, '_')}`, 'lora_gate', (l, _t, p) => [l, p]),
      })
      : null;
    if (lora) pieces.push(lora);
    return {
      ...attachedBase('unipelt', config, site, before, () => {
        for (const p of pieces) p.detach();
        for (const g of placed) removeChild(g.parent, g.field);
      }),
      ...(prefixPiece ? {
        storedMethodValues: () => storedValues(site, prefixPiece!),
        prefixes: () => ({ generator: prefixPiece!.encoder.parameters(), generated: prefixPiece!.generated() }),
      } : {}),
      merge: () => (lora ? lora.merge() : fail('usage', 'unipelt: nothing to merge (no LoRA)')),
      unmerge: () => lora?.unmerge(),
      isMerged: () => lora?.isMerged() ?? false,
      gates: (): GateReading[] => placed
        .map((g) => ({ layer: g.layer, gate: g.name, values: g.gate._last ?? new Float32Array(0) }))
        .sort((a, b) => a.layer - b.layer),
    };
  },
};

/** The method group as an exported adapter stores it: the generator replaced by its 2*L*P*H generated prefixes. */
function storedValues(site: Site, piece: PrefixPiece): number {
  const generator = new Set(piece.encoder.parameters());
  return groupsOf(site).method.reduce((n, [, p]) => n + (generator.has(p) ? 0 : p.size), piece.generatedValues);
}
