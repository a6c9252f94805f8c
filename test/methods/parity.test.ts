// Every method against an independent plain-PyTorch implementation written from the spec
// (scripts/fixtures/methods_torch.py, fixtures by scripts/fixtures/methods_fixtures.py): the set of
// trainable tensors by name, logits, loss, every trainable tensor's gradient and the gate values, on the
// seeded random BERT and its padded batch, on both backends.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { loadBertFromDir } from '../../src/models/bert/load.ts';
import type { BertInput } from '../../src/models/bert/model.ts';
import { attachMethod } from '../../src/methods/index.ts';
import { nativeAvailable, setBackend, type BackendName } from '../../src/tensor/index.ts';
import { closeToScale } from '../helpers/close.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const BERT = join(root, 'test/fixtures/bert/random');
const DIR = join(root, 'test/fixtures/methods');

interface Cases {
  batch: { input_ids: number[][]; token_type_ids: number[][]; attention_mask: number[][]; labels: number[] };
  cases: Record<string, { method: string; config: Record<string, unknown>; trainable: string[]; gates: string[] }>;
}
const index = JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) as Cases;
const b = index.batch;
const batch: BertInput = {
  inputIds: Int32Array.from(b.input_ids.flat()), tokenTypeIds: Int32Array.from(b.token_type_ids.flat()),
  attentionMask: b.attention_mask.flat(), batch: b.input_ids.length, seqLen: b.input_ids[0]!.length,
};

const close = closeToScale;

for (const backend of ['js', 'native'] as BackendName[]) {
  const skip = backend === 'native' && !nativeAvailable() ? 'native backend not built (npm run build:native)' : false;
  describe(`methods vs PyTorch from the spec (${backend})`, { skip }, () => {
    for (const [name, c] of Object.entries(index.cases)) {
      test(name, () => {
        setBackend(backend);
        const fx = readSafetensors(join(DIR, `${name}.safetensors`)).tensors;
        const { model } = loadBertFromDir(BERT, { task: 'sequence-classification', numLabels: 3, quiet: true });
        model.eval();
        const attached = attachMethod(model, c.method, c.config);
        const trainable = attached.trainable();
        assert.deepEqual(trainable.map(([n]) => n).sort(), c.trainable, 'trainable tensors (names) differ from the spec implementation');
        for (const [n, p] of trainable) p.data.set(fx.get(`param.${n}`)!.data);
        const { logits, loss } = model.forward(batch, b.labels);
        close('logits', logits.data, fx.get('logits')!.data, 2e-5, 1e-5);
        close('loss', [loss!.item()], fx.get('loss')!.data, 2e-6, 1e-6);
        loss!.backward();
        for (const [n, p] of trainable) {
          assert.ok(p.grad, `${n} got no gradient`);
          close(`grad ${n}`, p.grad.data, fx.get(`grad.${n}`)!.data, 1e-7, 1e-4);
        }
        const gates = attached.gates?.() ?? [];
        assert.deepEqual(gates.map((g) => `${g.layer}.${g.gate}`).sort(), c.gates);
        for (const g of gates) close(`gate ${g.layer}.${g.gate}`, g.values, fx.get(`gate.${g.layer}.${g.gate}`)!.data, 1e-6, 0);
      });
    }
  });
}
