// Child-Tuning composes with any set of trainable tensors: here BitFit's (biases only) on the random small BERT.
// D scores only what trains; F masks only what trains; frozen tensors never change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBertFromDir } from '../../../src/models/bert/load.ts';
import { setTrainable } from '../../../src/nn/index.ts';
import { AdamW } from '../../../src/optim/adamw.ts';
import { clipGradNorm } from '../../../src/optim/clip.ts';
import { childTuning, fisher, maskToFloat } from '../../../src/methods/child-tuning/index.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');
const RANDOM = join(root, 'test/fixtures/bert/random');
const meta = JSON.parse(readFileSync(join(root, 'test/fixtures/child-tuning/adamw-random.json'), 'utf8')) as {
  batches: { input_ids: number[][]; token_type_ids: number[][]; attention_mask: number[][]; labels: number[] }[];
};
const batches = meta.batches.map((b) => ({
  input: { inputIds: Int32Array.from(b.input_ids.flat()), tokenTypeIds: Int32Array.from(b.token_type_ids.flat()), attentionMask: b.attention_mask.flat(), batch: b.input_ids.length, seqLen: b.input_ids[0]!.length },
  labels: b.labels,
}));

function bitfit() {
  const { model } = loadBertFromDir(RANDOM, { task: 'sequence-classification', numLabels: 3, quiet: true });
  model.eval();
  setTrainable(model, () => true, false);
  setTrainable(model, /bias$/, true);
  const all = model.namedParameters();
  const init = new Map(all.map(([n, p]) => [n, p.data.slice()]));
  return { model, all, init, params: model.trainableParameters() };
}

for (const mode of ['D', 'F'] as const) {
  test(`Child-Tuning_${mode} on BitFit's trainable biases`, () => {
    const { model, all, init, params } = bitfit();
    const loss = (b: (typeof batches)[number]) => model.forward(b.input, b.labels).loss!;
    const source = mode === 'D' ? { fisher: fisher(params, batches, loss) } : {};
    if (mode === 'D') assert.deepEqual([...source.fisher!.scores.keys()], params.map(([n]) => n));
    const ct = childTuning(params, { mode, freezeNonChild: mode === 'D' }, source);
    const opt = new AdamW(params.map(([, p]) => p), { lr: 1e-2, weightDecay: 0.01, variant: 'hf' });
    ct.transform.install(opt);
    for (let s = 0; s < 3; s++) {
      opt.zeroGrad();
      loss(batches[s]!).backward();
      clipGradNorm(opt.params(), 1);
      opt.stepOnce();
    }
    for (const [name, p] of all) {
      const x0 = init.get(name)!;
      if (!name.endsWith('bias')) assert.deepEqual(p.data, x0, `${name} is frozen`);
    }
    if (mode === 'D') {
      assert.ok(ct.child!.mask.size > 0 && [...ct.child!.mask.keys()].every((n) => n.endsWith('bias') && n.includes('encoder.layer')));
      for (const [name, m] of ct.child!.mask) {
        const f = maskToFloat(m), p = all.find(([n]) => n === name)![1], x0 = init.get(name)!;
        for (let i = 0; i < f.length; i++) if (f[i] === 0) assert.ok(Object.is(p.data[i], x0[i]), `${name}[${i}] is not in the child network`);
      }
    }
    const moved = params.filter(([n, p]) => p.data.some((v, i) => v !== init.get(n)![i]));
    assert.ok(moved.length > params.length / 2, `${moved.length} of ${params.length} bias tensors moved`);
  });
}
