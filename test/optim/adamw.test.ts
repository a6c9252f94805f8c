// AdamW, gradient clipping and warmup schedules against PyTorch (test/fixtures/adamw.json, made by
// scripts/fixtures/ops_fixtures.py): torch.optim.AdamW, torch.nn.utils.clip_grad_norm_, and
// transformers' get_linear_schedule_with_warmup / get_constant_schedule_with_warmup formulas.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as T from '../../src/tensor/index.ts';
import type { Tensor, BackendName } from '../../src/tensor/index.ts';
import { AdamW } from '../../src/optim/adamw.ts';
import { clipGradNorm } from '../../src/optim/clip.ts';
import { linearWarmupDecay, linearWarmupConstant } from '../../src/optim/schedule.ts';
import { assertClose, type Tol } from '../tensor/check.ts';

interface Arr { shape: number[]; data: number[] }
interface Run {
  name: string;
  lr: number;
  betas: [number, number];
  eps: number;
  groups: { weight_decay: number; params: string[] }[];
  init: Record<string, Arr>;
  steps: { grads: Record<string, number[] | null>; params: Record<string, number[]> }[];
}
interface Fixture {
  torch: string;
  runs: Run[];
  clip: { max_norm: number; grads: Arr[]; total_norm: number; clipped: number[][] }[];
  schedule: { kind: 'linear' | 'constant'; warmup: number; total?: number; multipliers: number[] }[];
}

const fx = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/adamw.json', import.meta.url)), 'utf8')) as Fixture;

// float32 parameters (|p| up to ~3) moved ~1e-3 per step; torch and pelt round differently by a few ulps
// (largest seen on js: 4.7e-7). Decay alone moves p by lr * wd * |p| = 1e-5 |p| per step, well above this.
const PARAMS: Tol = { atol: 1e-6, rtol: 1e-6 };
const CLIP: Tol = { atol: 1e-7, rtol: 1e-6 };

function runAdamW(run: Run): void {
  const params = new Map<string, Tensor>();
  for (const [name, a] of Object.entries(run.init)) {
    const p = T.tensor(a.data, a.shape, 'float32', true);
    p.name = name;
    params.set(name, p);
  }
  const opt = new AdamW(
    run.groups.map((g) => ({ params: g.params.map((n) => params.get(n)!), weightDecay: g.weight_decay })),
    { lr: run.lr, betas: run.betas, eps: run.eps, weightDecay: 0.01 },
  );
  run.steps.forEach((s, k) => {
    for (const [name, p] of params) {
      const g = s.grads[name];
      p.grad = g ? T.tensor(g, p.shape) : null;
    }
    opt.stepOnce();
    for (const [name, p] of params) assertClose(p.data, s.params[name]!, PARAMS, `${name} after step ${k + 1}`);
  });
}

for (const backend of ['js', 'native'] as BackendName[]) {
  const skip = backend === 'native' && !T.nativeAvailable() ? 'native backend not built' : false;
  describe(`optimizer parity with PyTorch ${fx.torch} (${backend}, float32)`, () => {
    test('AdamW, two groups (weight decay 0.01 and 0), 5 steps', { skip }, () => {
      T.setBackend(backend);
      runAdamW(fx.runs.find((r) => r.name === 'two_groups')!);
    });

    test('AdamW moves parameters as expected from weight decay alone', { skip }, () => {
      T.setBackend(backend);
      // zero gradient: m = v = 0, so only the decoupled decay acts: p *= 1 - lr * wd
      const p = T.tensor([1, -2], [2], 'float32', true);
      const q = T.tensor([1, -2], [2], 'float32', true);
      const opt = new AdamW([{ params: [p] }, { params: [q], weightDecay: 0 }], { lr: 0.1, weightDecay: 0.5 });
      p.grad = T.zeros([2]);
      q.grad = T.zeros([2]);
      opt.stepOnce();
      assertClose(p.data, [0.95, -1.9], { atol: 1e-7, rtol: 0 }, 'decayed');
      assertClose(q.data, [1, -2], { atol: 0, rtol: 0 }, 'no decay');
    });

    test('AdamW with a parameter that has no gradient at one step', {
      skip,
    }, () => {
      T.setBackend(backend);
      runAdamW(fx.runs.find((r) => r.name === 'missing_grad')!);
    });

    fx.clip.forEach((c, i) => {
      test(`clipGradNorm case ${i} (max_norm ${c.max_norm})`, { skip }, () => {
        T.setBackend(backend);
        const params = c.grads.map((g) => {
          const p = T.zeros(g.shape, 'float32', true);
          p.grad = T.tensor(g.data, g.shape);
          return p;
        });
        const total = clipGradNorm(params, c.max_norm);
        assertClose([total], [c.total_norm], CLIP, 'total norm');
        params.forEach((p, k) => assertClose(p.grad!.data, c.clipped[k]!, CLIP, `clipped gradient ${k}`));
      });
    });
  });
}

test('clipGradNorm skips parameters without a gradient', () => {
  T.setBackend('js');
  const a = T.zeros([2], 'float32', true);
  const b = T.zeros([1], 'float32', true);
  a.grad = T.tensor([3, 4], [2]);
  assert.equal(clipGradNorm([a, b], 1), 5);
  assertClose(a.grad.data, [0.6, 0.8], CLIP, 'clipped');
  assert.equal(b.grad, null);
});

describe('schedules (transformers formulas)', () => {
  fx.schedule.forEach((s) => {
    test(`${s.kind} warmup ${s.warmup}${s.total !== undefined ? ` total ${s.total}` : ''}`, () => {
      const got = s.multipliers.map((_, step) => (s.kind === 'linear' ? linearWarmupDecay(step, s.warmup, s.total!) : linearWarmupConstant(step, s.warmup)));
      assertClose(got, s.multipliers, { atol: 1e-15, rtol: 0 }, `${s.kind} multipliers`);
    });
  });
});
