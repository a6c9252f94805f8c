// BERT parity against an independent plain-PyTorch implementation (scripts/fixtures/bert_fixtures.py):
// forward, losses, every gradient and five AdamW steps, on pelt-bert-tiny and a random small config,
// on both backends.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors, type SafetensorsTensor } from '../../src/io/safetensors.ts';
import { loadBertFromDir } from '../../src/models/bert/load.ts';
import type { BertInput } from '../../src/models/bert/model.ts';
import { AdamW } from '../../src/optim/adamw.ts';
import { noDecay } from '../../src/nn/index.ts';
import { nativeAvailable, noGrad, setBackend, type BackendName } from '../../src/tensor/index.ts';
import { closeToScale } from '../helpers/close.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const FIXTURES = join(root, 'test/fixtures/bert');
const MODELS = { tiny: resolve(root, '../shared/models/pelt-bert-tiny'), random: join(FIXTURES, 'random') };

interface Fixture {
  meta: {
    input_ids: number[][]; token_type_ids: number[][]; attention_mask: number[][]; labels: number[]; targets: number[];
    adamw_losses: number[]; mlm_labels?: number[][]; nsp_labels?: number[];
    grad_stats?: Record<string, { sum: number; abs_sum: number; sq_sum: number; rows: number[] }>;
  };
  expected: Map<string, SafetensorsTensor>;
  heads: Map<string, SafetensorsTensor>;
}

function fixture(name: 'tiny' | 'random'): Fixture {
  const dir = join(FIXTURES, name);
  return {
    meta: JSON.parse(readFileSync(join(dir, 'inputs.json'), 'utf8')),
    expected: readSafetensors(join(dir, 'expected.safetensors')).tensors,
    heads: readSafetensors(join(dir, 'heads.safetensors')).tensors,
  };
}

function batchOf(meta: Fixture['meta']): BertInput {
  return {
    inputIds: Int32Array.from(meta.input_ids.flat()), tokenTypeIds: Int32Array.from(meta.token_type_ids.flat()),
    attentionMask: meta.attention_mask.flat(), batch: meta.input_ids.length, seqLen: meta.input_ids[0]!.length,
  };
}

const close = closeToScale;

function get(fx: Fixture, key: string): Float32Array {
  const t = fx.expected.get(key);
  assert.ok(t, `fixture has no ${key}`);
  return t.data;
}

/** The checkpoint as BertForSequenceClassification with the fixture's seeded head (3 labels or 1). */
function classifier(name: 'tiny' | 'random', fx: Fixture, head: 'cls3' | 'reg') {
  const { model, report } = loadBertFromDir(MODELS[name], { task: 'sequence-classification', numLabels: head === 'cls3' ? 3 : 1, quiet: true });
  assert.deepEqual(report.newlyInitialized.sort(), ['classifier.bias', 'classifier.weight']);
  model.classifier.weight.data.set(fx.heads.get(`${head}.weight`)!.data);
  model.classifier.bias!.data.set(fx.heads.get(`${head}.bias`)!.data);
  return model.eval();
}

// Gradients: the fused kernels sum in other orders than PyTorch; 1e-4 of each tensor's largest value
// plus a floor for gradients that are zero in exact arithmetic (attention key biases) and come out ~1e-8.
const GRAD_RTOL = 1e-4, GRAD_ATOL = 1e-7;

const backends: BackendName[] = ['js', 'native'];
for (const backend of backends) {
  const skip = backend === 'native' && !nativeAvailable() ? 'native backend not built (npm run build:native)' : false;
  for (const name of ['random', 'tiny'] as const) {
    describe(`BERT parity with PyTorch: ${name} (${backend})`, { skip }, () => {
      const fx = fixture(name);
      const input = batchOf(fx.meta);
      const full = name === 'random';

      test('forward: last hidden state and pooled output within 1e-5', () => {
        setBackend(backend);
        const model = classifier(name, fx, 'cls3');
        const out = noGrad(() => model.bert.forward(input));
        assert.deepEqual(out.lastHiddenState.shape, [input.batch, input.seqLen, model.bert.hiddenSize]);
        close('last_hidden_state', out.lastHiddenState.data, get(fx, 'last_hidden_state'), 1e-5);
        close('pooler_output', out.pooledOutput.data, get(fx, 'pooler_output'), 1e-5);
      });

      for (const head of ['cls3', 'reg'] as const) {
        test(`${head === 'cls3' ? '3-label classification' : 'regression'}: logits, loss${full || head === 'cls3' ? ', every gradient' : ''}`, () => {
          setBackend(backend);
          const model = classifier(name, fx, head);
          const { logits, loss } = model.forward(input, head === 'cls3' ? fx.meta.labels : fx.meta.targets);
          close('logits', logits.data, get(fx, `${head}.logits`), 1e-5);
          close('loss', [loss!.item()], get(fx, `${head}.loss`), 1e-5);
          if (!full && head === 'reg') return;
          loss!.backward();
          const named = model.namedParameters();
          let checked = 0;
          for (const [pname, p] of named) {
            assert.ok(p.grad, `${pname} has no gradient`);
            const g = p.grad.data;
            const whole = fx.expected.get(`${head}.grad.${pname}`);
            if (whole) {
              close(`grad ${pname}`, g, whole.data, GRAD_ATOL, GRAD_RTOL);
              checked++;
              continue;
            }
            // pelt-bert-tiny's large gradients: sums over the whole tensor, and whole rows
            const stats = fx.meta.grad_stats?.[`${head}.grad.${pname}`];
            assert.ok(stats, `fixture has no gradient for ${pname}`);
            const rows = get(fx, `${head}.grad_rows.${pname}`);
            const C = p.shape[1]!;
            const mine = new Float32Array(stats.rows.length * C);
            stats.rows.forEach((r, i) => mine.set(g.subarray(r * C, (r + 1) * C), i * C));
            close(`grad ${pname} rows ${stats.rows.slice(0, 4).join(',')}..`, mine, rows, GRAD_ATOL, GRAD_RTOL);
            let sum = 0, abs = 0, sq = 0;
            for (const v of g) {
              sum += v;
              abs += Math.abs(v);
              sq += v * v;
            }
            close(`grad ${pname} sum`, [sum], [stats.sum], 1e-4 * stats.abs_sum);
            close(`grad ${pname} abs sum`, [abs], [stats.abs_sum], 0, 1e-4);
            close(`grad ${pname} sum of squares`, [sq], [stats.sq_sum], 0, 1e-4);
            checked++;
          }
          assert.equal(checked, named.length);
        });
      }

      test('five AdamW steps (lr 1e-3, weight decay 0.01, none on bias / LayerNorm.weight): same losses', () => {
        setBackend(backend);
        const model = classifier(name, fx, 'cls3');
        const named = model.trainableParameters();
        const opt = new AdamW([
          { params: named.filter(([n]) => !noDecay(n)).map(([, p]) => p) },
          { params: named.filter(([n]) => noDecay(n)).map(([, p]) => p), weightDecay: 0 },
        ], { lr: 1e-3, weightDecay: 0.01 });
        const losses: number[] = [];
        for (let step = 0; step < 5; step++) {
          opt.zeroGrad();
          const { loss } = model.forward(input, fx.meta.labels);
          losses.push(loss!.item());
          loss!.backward();
          opt.stepOnce();
        }
        losses.push(noGrad(() => model.forward(input, fx.meta.labels).loss!.item()));
        close('losses', losses, fx.meta.adamw_losses, 2e-5, 1e-4);
      });

      if (full) {
        test('pretraining heads (tied decoder): MLM and NSP logits, loss, every gradient', () => {
          setBackend(backend);
          const { model, report } = loadBertFromDir(MODELS[name], { task: 'pretraining', quiet: true });
          assert.deepEqual(report, { newlyInitialized: [], unexpected: [] });
          model.eval();
          const labels = { mlm: Int32Array.from(fx.meta.mlm_labels!.flat()), nsp: Int32Array.from(fx.meta.nsp_labels!) };
          const out = model.forward(input, labels);
          close('prediction_logits', out.predictionLogits.data, get(fx, 'pretraining.prediction_logits'), 1e-5);
          close('seq_relationship_logits', out.seqRelationshipLogits.data, get(fx, 'pretraining.seq_relationship_logits'), 1e-5);
          close('loss', [out.loss!.item()], get(fx, 'pretraining.loss'), 1e-5);
          out.loss!.backward();
          const named = model.namedParameters();
          assert.equal(named.length, [...fx.expected.keys()].filter((k) => k.startsWith('pretraining.grad.')).length);
          for (const [pname, p] of named) close(`grad ${pname}`, p.grad!.data, get(fx, `pretraining.grad.${pname}`), GRAD_ATOL, GRAD_RTOL);
        });
      }
    });
  }
}
