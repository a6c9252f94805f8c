// The contract every method keeps (design.md, "Tests that can fail"), run as one table over the methods:
// one optimizer step moves only the method's tensors and the head (frozen ones bit-identical, with no
// gradient computed); identity at init where promised (LoRA); save/load round trip onto a fresh base
// model; merge equals unmerged where merge exists; gates near 0.5 at init; detach gives the plain model.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachMethod } from '../../src/methods/index.ts';
import { saveAdapter, loadAdapter } from '../../src/methods/checkpoint.ts';
import { AdamW } from '../../src/optim/adamw.ts';
import { noDecay } from '../../src/nn/index.ts';
import type { Tensor } from '../../src/tensor/index.ts';
import { batch, fresh, labels, logits, maxDiff, perturb } from './helpers.ts';

const METHODS: [label: string, method: string, config: Record<string, unknown>][] = [
  ['full', 'full', {}],
  ['bitfit', 'bitfit', {}],
  ['adapter (Pfeiffer)', 'adapter', {}],
  ['adapter (Houlsby)', 'adapter', { placement: 'houlsby', reductionFactor: 8 }],
  ['prefix', 'prefix', { prefixLength: 4, mlpWidth: 16 }],
  ['lora', 'lora', {}],
  ['UniPELT (AP)', 'unipelt-ap', { prefix: { prefixLength: 4, mlpWidth: 16 } }],
  ['UniPELT (APL)', 'unipelt-apl', { prefix: { prefixLength: 4, mlpWidth: 16 } }],
  ['UniPELT-NoGate', 'unipelt-nogate', { prefix: { prefixLength: 4, mlpWidth: 16 } }],
];

for (const [label, method, config] of METHODS) {
  describe(`contract: ${label}`, () => {
    test('one AdamW step moves only the method and the head; frozen tensors are bit-identical and got no gradient', () => {
      const model = fresh();
      const attached = attachMethod(model, method, config);
      const trainable = new Set(attached.trainable().map(([n]) => n));
      const before = new Map(model.namedParameters().map(([n, p]) => [n, Float32Array.from(p.data)]));
      const params = attached.trainable().map(([, p]) => p);
      const opt = new AdamW([
        { params: attached.trainable().filter(([n]) => !noDecay(n)).map(([, p]) => p) },
        { params: attached.trainable().filter(([n]) => noDecay(n)).map(([, p]) => p), weightDecay: 0 },
      ], { lr: 1e-2 });
      model.train();
      model.forward(batch, labels).loss!.backward();
      opt.stepOnce();
      assert.ok(params.length > 0);
      const groups = attached.groups();
      assert.ok(groups.head.length === 2 && groups.head.every(([n]) => n.startsWith('classifier.')), 'the head trains');
      const moved = (n: string, p: Tensor) => p.data.some((v, i) => v !== before.get(n)![i]);
      for (const [n, p] of model.namedParameters()) {
        if (trainable.has(n)) continue;
        assert.equal(p.grad, null, `${n} is frozen but got a gradient`);
        assert.ok(!moved(n, p), `${n} is frozen but changed`);
      }
      // Every trainable tensor got a gradient; some can be exactly 0 at init (LoRA gates while B = 0,
      // a dead ReLU unit's down bias), so at least the method group as a whole and the head moved.
      for (const [n, p] of attached.trainable()) assert.ok(p.grad, `${n} trains but got no gradient`);
      assert.ok(groups.method.some(([n, p]) => moved(n, p)), 'the method did not change');
      assert.ok(groups.head.every(([n, p]) => moved(n, p)), 'the head did not change');
      if (groups.gates.length > 0) assert.ok(groups.gates.some(([n, p]) => moved(n, p)), 'no gate changed');
    });

    test('save, then load onto a fresh base model: the same outputs', () => {
      const model = fresh();
      const attached = attachMethod(model, method, config);
      perturb(attached);
      const want = logits(model);
      if (method === 'full') {
        assert.throws(() => saveAdapter(model, attached, '/nonexistent'), /save the whole model/);
        return;
      }
      const dir = mkdtempSync(join(tmpdir(), 'pelt-adapter-'));
      try {
        const format = saveAdapter(model, attached, dir);
        assert.equal(format, method === 'lora' || method === 'prefix' ? 'peft' : 'pelt');
        const other = fresh();
        assert.ok(maxDiff(logits(other), want) > 1e-4, 'a fresh base model differs');
        const loaded = loadAdapter(other, dir);
        // prefix-tuning stores the generated prefixes: computed once, not through the MLP again
        assert.ok(maxDiff(logits(other), want) <= (method === 'prefix' ? 1e-6 : 0), `outputs differ by ${maxDiff(logits(other), want)}`);
        assert.deepEqual(loaded.trainable().map(([n]) => n).filter((n) => !n.includes('prefix.')), attached.trainable().map(([n]) => n).filter((n) => !n.includes('prefix.')));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('detach() gives back the plain model', () => {
      const model = fresh();
      const plain = logits(model);
      const names = model.namedParameters().map(([n]) => n);
      if (method === 'full' || method === 'bitfit') return; // they train base tensors in place
      const attached = attachMethod(model, method, config);
      perturb(attached, 7, false);
      assert.ok(maxDiff(logits(model), plain) > 1e-4);
      attached.detach();
      assert.deepEqual(model.namedParameters().map(([n]) => n), names);
      assert.deepEqual(logits(model), plain);
      attachMethod(model, method, config); // and a method attaches again
    });
  });
}

test('LoRA is the identity at init (B = 0): bit-identical outputs', () => {
  const model = fresh();
  const plain = logits(model);
  attachMethod(model, 'lora', { targets: ['query', 'key', 'value', 'attention.output.dense', 'intermediate.dense', 'output.dense'] });
  assert.deepEqual(logits(model), plain);
});

test('adapters and prefixes are not a no-op at init (BERT init, as the spec says)', () => {
  for (const method of ['adapter', 'prefix']) {
    const model = fresh();
    const plain = logits(model);
    attachMethod(model, method);
    assert.ok(maxDiff(logits(model), plain) > 0, method);
  }
});

test('a second method on the same model is refused; UniPELT is how methods combine', () => {
  const model = fresh();
  attachMethod(model, 'lora');
  assert.throws(() => attachMethod(model, 'adapter'), /already has a method attached/);
});

test('configs reject unknown keys and bad values, naming the field', () => {
  const model = fresh();
  assert.throws(() => attachMethod(model, 'lora', { rank: 8 }), /lora: \(root\): Unrecognized key: "rank"/);
  assert.throws(() => attachMethod(model, 'unipelt', { lora: { r: 0 } }), /unipelt: lora\.r: /);
  assert.throws(() => attachMethod(model, 'lora', { targets: ['query', 'query'] }), /targets must not repeat/);
  assert.throws(() => attachMethod(model, 'unipelt', { adapter: null, prefix: null, lora: null }), /at least one/);
  assert.throws(() => attachMethod(model, 'loar'), /unknown method "loar"; known: full, bitfit, adapter, prefix, lora, unipelt/);
});
