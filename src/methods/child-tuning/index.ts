// Child-Tuning (Xu et al., EMNLP 2021) for pelt: a gradient transform over any set of trainable
// tensors, so it switches on with full fine-tuning or any parameter-efficient method.
//
//   const params = attached.trainable();               // full fine-tuning, LoRA, adapters, UniPELT...
//   model.train();                                      // official: dropout on during the Fisher pass
//   const F = fisher(params, batches16, (b) => model.forward(b.input, b.labels).loss!);
//   const ct = childTuning(params, { mode: 'D', p_D: 0.3 }, { fisher: F });
//   ct.transform.install(optimizer);  // sets gradMask (and decayMask with freezeNonChild); AdamW variant 'hf' is
//                                     // the official ChildTuningAdamW. Per step: backward, clipGradNorm, stepOnce.

import type { Tensor } from '../../tensor/tensor.ts';
import { fail } from '../../util/errors.ts';
import { sizeOf } from '../../util/assert.ts';
import { parseChildTuningConfig, type ChildTuningConfig, type ChildTuningConfigInput } from './config.ts';
import type { FisherScores } from './fisher.ts';
import { fisherMask, randomMask, isCandidate, type ChildMask, type MaskResult, type NamedValues } from './mask.ts';
import { ChildTuningF, FixedChildTuning, type GradientTransform } from './transform.ts';

export * from './config.ts';
export * from './fisher.ts';
export * from './mask.ts';
export * from './transform.ts';
export * from './io.ts';
export * from './overlap.ts';
export { percentile, kthValues } from './quantile.ts';

type Params = readonly (readonly [string, Tensor])[];

export interface ChildTuningSetup {
  config: ChildTuningConfig;
  transform: GradientTransform;
  /** D: the fixed child network. */
  child?: MaskResult;
}

/**
 * D's child network for the config: the highest-Fisher p_D of the candidates (or the lowest, or a random
 * one of the same size for the ablations). Fisher scores are needed except for the random ablation.
 */
export function childNetwork(params: Params, config: ChildTuningConfig, fisher?: FisherScores | NamedValues): MaskResult {
  if (config.mode !== 'D') fail('config', 'Child-Tuning: a fixed child network needs mode "D"');
  if (config.ablation === 'random') {
    return randomMask(params.map(([n, p]) => [n, p] as const), { p: config.p_D, seed: config.seed, candidates: config.candidates });
  }
  if (!fisher) fail('usage', 'Child-Tuning_D: Fisher scores are needed (run fisher() over the training set, or load a saved mask)');
  const scores = fisher instanceof Map ? fisher : fisher.scores;
  const trainable = new Set(params.map(([n]) => n));
  const unscored = params.find(([n]) => isCandidate(n, config.candidates) && !scores.has(n));
  if (unscored) fail('usage', `Child-Tuning_D: no Fisher score for the trainable candidate tensor "${unscored[0]}"`);
  const own: NamedValues = new Map([...scores].filter(([n]) => trainable.has(n)));
  return fisherMask(own, { p: config.p_D, candidates: config.candidates, lowest: config.ablation === 'lowest-fisher' });
}

/**
 * Builds the transform for `params` (the trainable [name, tensor] pairs). Mode F needs nothing else; mode D
 * takes Fisher scores, or a child network computed before (e.g. loaded with loadMask).
 */
export function childTuning(params: Params, config: ChildTuningConfigInput | ChildTuningConfig, source: { fisher?: FisherScores | NamedValues; mask?: ChildMask } = {}): ChildTuningSetup {
  const c = parseChildTuningConfig(config);
  if (c.mode === 'F') {
    if (source.fisher || source.mask) fail('usage', 'Child-Tuning_F takes no Fisher scores or mask (it is task-free)');
    return { config: c, transform: new ChildTuningF(params, c.p_F, c.seed) };
  }
  if (source.fisher && source.mask) fail('usage', 'Child-Tuning_D: give Fisher scores or a mask, not both');
  let child: MaskResult;
  if (source.mask) {
    const missing = params.filter(([n]) => isCandidate(n, c.candidates) && !source.mask!.has(n));
    if (missing.length > 0) fail('checkpoint', `Child-Tuning_D: the mask has no entry for candidate tensor "${missing[0]![0]}" (${missing.length} missing); was it computed for another model or method?`);
    let candidates = 0, kept = 0;
    for (const m of source.mask.values()) {
      candidates += sizeOf(m.shape);
      kept += m.count;
    }
    child = { mask: source.mask, candidates, kept };
  } else child = childNetwork(params, c, source.fisher);
  return { config: c, transform: new FixedChildTuning(params, child.mask, c.freezeNonChild), child };
}
