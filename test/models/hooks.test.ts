// The encoder's hook points (src/models/hooks.ts): identity hooks change nothing, each hook sees the
// tensors the spec names, prefixes extend keys, values and mask, and slots refuse a second owner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBertFromDir } from '../../src/models/bert/load.ts';
import type { BertInput, BertModel } from '../../src/models/bert/model.ts';
import { addLayerHooks, PROJECTIONS, type LayerContext, type LayerHooks } from '../../src/models/hooks.ts';
import { Tensor, add, noGrad, sum, zeros } from '../../src/tensor/index.ts';
import { normal_, type Linear } from '../../src/nn/index.ts';
import { PeltError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

const RANDOM = join(resolve(fileURLToPath(import.meta.url), '../../..'), 'test/fixtures/bert/random');

function model(): BertModel {
  return loadBertFromDir(RANDOM, { task: 'base', quiet: true }).model.eval();
}

// Two rows, the second padded after 5 tokens.
const T = 8;
const padded: BertInput = {
  inputIds: Int32Array.from([1, 11, 12, 13, 2, 21, 22, 2, 1, 31, 32, 33, 2, 0, 0, 0]),
  tokenTypeIds: Int32Array.from([0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]),
  attentionMask: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0],
  batch: 2,
  seqLen: T,
};
const unpadded: BertInput = { ...padded, inputIds: padded.inputIds.map((id) => id || 40), attentionMask: undefined };

function maxDiff(a: Tensor, b: Tensor): number {
  return Array.from(a.data).reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i]!)), 0);
}

test('an unhooked model has null hooks; identity hooks in every slot give bit-identical outputs', () => {
  const m = model();
  assert.equal(m.hooks, null);
  assert.ok(m.layers.every((l) => l.hooks === null));
  const plain = noGrad(() => m.forward(padded));
  const seen: string[] = [];
  m.hooks = { beforeLayers: (info) => seen.push(`before ${info.batch}x${info.seqLen} mask ${info.tokenMask?.shape}`) };
  for (const layer of m.layers) {
    layer.hooks = {
      prefix: () => null,
      projection: Object.fromEntries(PROJECTIONS.map((p) => [p, (x: Tensor, base: Linear) => base.forward(x)])),
      attentionOutput: (hA, hIn, ln) => ln(add(hA, hIn)),
      ffnOutput: (hF, hAtt, ln) => ln(add(hF, hAtt)),
    };
  }
  const hooked = noGrad(() => m.forward(padded));
  assert.deepEqual(hooked.lastHiddenState.data, plain.lastHiddenState.data);
  assert.deepEqual(hooked.pooledOutput.data, plain.pooledOutput.data);
  assert.deepEqual(seen, ['before 2x8 mask 2,8']);
});

test('each hook sees the tensors the spec names: h_in, projection inputs, h_A, h_F, h_att, the token mask', () => {
  const m = model();
  const log: string[] = [];
  const outputs: Tensor[] = [];
  const ins: Tensor[] = [];
  for (const layer of m.layers) {
    layer.hooks = {
      projection: Object.fromEntries(PROJECTIONS.map((p) => [p, (x: Tensor, base: Linear, ctx: LayerContext) => {
        assert.equal(base, layer.projection(p), `${p}: the hook gets the layer's own Linear`);
        const y = base.forward(x);
        log.push(`${ctx.index} ${p} ${x.shape} -> ${y.shape}`);
        return y;
      }])),
      attentionOutput: (hA, hIn, ln, ctx) => {
        assert.equal(hIn, ctx.hIn);
        ins.push(ctx.hIn);
        assert.deepEqual(Array.from(ctx.tokenMask!.data), padded.attentionMask);
        return ln(add(hA, hIn));
      },
      ffnOutput: (hF, hAtt, ln, ctx) => {
        log.push(`${ctx.index} ffn ${hF.shape} ${hAtt.shape}`);
        const out = ln(add(hF, hAtt));
        outputs.push(out);
        return out;
      },
    };
  }
  const { lastHiddenState } = noGrad(() => m.forward(padded));
  assert.deepEqual(log.slice(0, 7), [
    '0 query 2,8,32 -> 2,8,32', '0 key 2,8,32 -> 2,8,32', '0 value 2,8,32 -> 2,8,32', '0 attention.output.dense 2,8,32 -> 2,8,32',
    '0 intermediate.dense 2,8,32 -> 2,8,64', '0 output.dense 2,8,64 -> 2,8,32', '0 ffn 2,8,32 2,8,32',
  ]);
  assert.equal(log.length, 14);
  assert.equal(ins[1], outputs[0], "layer 1's h_in is layer 0's output");
  assert.equal(outputs[1], lastHiddenState);
});

test('the spec\'s Pfeiffer wiring through ffnOutput: LN(G*up(LN(h_F + h_att)) + h_F + h_att); G = 0 is the plain layer', () => {
  const m = model();
  const plain = noGrad(() => m.forward(padded)).lastHiddenState;
  for (const gate of [0, 1]) {
    for (const layer of m.layers) {
      layer.hooks = {
        ffnOutput: (hF, hAtt, ln) => {
          const x = ln(add(hF, hAtt)); // [B, T, H]
          const up = gate === 0 ? zeros(x.shape) : x; // a stand-in adapter: up(x) = x
          const a = add(up, hF); // [B, T, H]
          return ln(add(a, hAtt)); // [B, T, H]
        },
      };
    }
    const out = noGrad(() => m.forward(padded)).lastHiddenState;
    if (gate === 0) assert.ok(maxDiff(out, plain) < 1e-6);
    else assert.ok(maxDiff(out, plain) > 1e-2);
  }
});

test('prefix keys/values: duplicating the layer\'s own K and V as the prefix leaves attention unchanged', () => {
  const m = model();
  const plain = noGrad(() => m.forward(unpadded)).lastHiddenState;
  for (const layer of m.layers) {
    const self = layer.attention.self;
    layer.hooks = { prefix: (ctx) => ({ key: self.key.forward(ctx.hIn), value: self.value.forward(ctx.hIn) }) };
  }
  const out = noGrad(() => m.forward(unpadded)).lastHiddenState;
  assert.deepEqual(out.shape, plain.shape);
  assert.ok(maxDiff(out, plain) < 1e-5, `max diff ${maxDiff(out, plain)}`);
});

test('prefixes are visible to every row, padded or not, and receive gradients', () => {
  const m = model();
  const P = 3, rng = new Rng(5);
  const prefixes = m.layers.map(() => ({
    key: normal_(zeros([2, P, 32], 'float32', true), rng, 1),
    value: normal_(zeros([2, P, 32], 'float32', true), rng, 1),
  }));
  m.layers.forEach((layer, i) => (layer.hooks = { prefix: () => prefixes[i]! }));
  const { lastHiddenState } = m.forward(padded);
  assert.deepEqual(lastHiddenState.shape, [2, T, 32]);
  sum(lastHiddenState).backward();
  for (const { key, value } of prefixes) {
    for (const t of [key, value]) {
      for (let row = 0; row < 2 * P; row++) {
        const g = t.grad!.data.subarray(row * 32, (row + 1) * 32);
        assert.ok(g.some((v) => v !== 0), `prefix row ${row} got no gradient`);
      }
    }
  }
  // The padded second row equals that row run alone without padding, with its own prefixes:
  // so the mask was extended in front (prefix columns visible, padding still hidden).
  const n = 5, H = 32;
  const alone: BertInput = { inputIds: padded.inputIds.slice(T, T + n), tokenTypeIds: padded.tokenTypeIds!.slice(T, T + n), batch: 1, seqLen: n };
  const rowOf = (x: Tensor) => new Tensor(x.data.slice(P * H, 2 * P * H), [1, P, H]);
  m.layers.forEach((layer, i) => (layer.hooks = { prefix: () => ({ key: rowOf(prefixes[i]!.key), value: rowOf(prefixes[i]!.value) }) }));
  const single = noGrad(() => m.forward(alone)).lastHiddenState; // [1, n, H]
  const inBatch = new Tensor(lastHiddenState.data.slice(T * H, T * H + n * H), [1, n, H]);
  assert.ok(maxDiff(single, inBatch) < 1e-5, `padded row differs from the row alone by ${maxDiff(single, inBatch)}`);
});

test('layer.projection(name) is the Linear each projection hook wraps', () => {
  const layer = model().layers[1]!;
  assert.equal(layer.projection('query'), layer.attention.self.query);
  assert.equal(layer.projection('attention.output.dense'), layer.attention.output.dense);
  assert.equal(layer.projection('output.dense'), layer.output.dense);
  assert.deepEqual(PROJECTIONS.map((p) => layer.projection(p).weight.shape), [[32, 32], [32, 32], [32, 32], [32, 32], [64, 32], [32, 64]]);
});

test('addLayerHooks merges methods and refuses a slot another method holds', () => {
  const layer: { hooks: LayerHooks | null } = { hooks: null };
  const y = (x: Tensor, base: Linear) => base.forward(x);
  addLayerHooks(layer, { projection: { query: y, value: y } }, 'lora');
  addLayerHooks(layer, { prefix: () => null, ffnOutput: (hF) => hF }, 'unipelt');
  assert.deepEqual(Object.keys(layer.hooks!.projection!), ['query', 'value']);
  assert.throws(() => addLayerHooks(layer, { projection: { value: y } }, 'other'), (e: unknown) => e instanceof PeltError && /other.*"value"/.test(e.message));
  assert.throws(() => addLayerHooks(layer, { ffnOutput: (hF) => hF }, 'adapter'), (e: unknown) => e instanceof PeltError && /adapter.*ffnOutput/.test(e.message));
});
