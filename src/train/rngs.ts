// Dropout that depends only on (seed, step): every Rng held in the model tree (directly, or as the `rng`
// of a small spec object like attention's probability dropout) restarts from a hash of the seed, the
// step and its position in the tree before each step. A resumed run then draws exactly the same masks.
import type { Module } from '../nn/module.ts';
import { Rng } from '../util/rng.ts';

export function modelRngs(model: Module): Rng[] {
  const out: Rng[] = [];
  for (const [, m] of model.namedModules()) {
    for (const v of Object.values(m)) {
      if (v instanceof Rng) out.push(v);
      else if (v && typeof v === 'object' && !Array.isArray(v) && (v as { rng?: unknown }).rng instanceof Rng) out.push((v as { rng: Rng }).rng);
    }
  }
  return out;
}

export function reseed(rngs: readonly Rng[], seed: number, step: number): void {
  const mix = new Rng((Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca77)) >>> 0);
  for (const r of rngs) r.reset(mix.nextU32());
}
