// The run folder's checkpoint: trainable tensors, AdamW moments and the trainer's position, written so
// that a crash at any moment leaves the previous checkpoint whole. Each save writes new files named by
// step, then `state.json` (atomically, last), then removes the files the old state named.
import { existsSync, readFileSync, readdirSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import { writeTextAtomic } from '../io/atomic.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { AdamW } from '../optim/adamw.ts';
import { fail } from '../util/errors.ts';
import { fmt, sameShape } from '../util/assert.ts';

export interface TimelineEntry {
  step: number;
  epoch: number;
  trainLoss: number;
  lr: number;
  dev: Record<string, number>;
  selection: number;
  seconds: number;
}

export interface TrainerState {
  version: 1;
  /** The resolved config the run was started with (a resume must match it). */
  configKey: string;
  status: 'running' | 'done';
  step: number;
  epoch: number;
  /** Next batch within `epoch`. */
  batch: number;
  best: { selection: number; step: number } | null;
  sinceBest: number;
  timeline: TimelineEntry[];
  files: { params: string; optim: string; best: string | null };
  /** AdamW's global step and each parameter's own step count (torch counts per parameter). */
  optim: { step: number; steps: Record<string, number> };
}

type Named = readonly (readonly [string, Tensor])[];
type Entry = readonly [name: string, shape: readonly number[], data: Float32Array | Float64Array];

function save(path: string, entries: Iterable<Entry>): void {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [n, shape, d] of entries) out.set(n, { shape: [...shape], data: d instanceof Float32Array ? d : Float32Array.from(d) });
  writeSafetensors(path, out);
}

const values = (named: Named): Entry[] => named.map(([n, t]) => [n, t.shape, t.data] as const);

function load(path: string, named: Named, put: (name: string, t: Tensor, data: Float32Array) => void): void {
  const file = readSafetensors(path);
  for (const [n, t] of named) {
    const e = file.tensors.get(n);
    if (!e) fail('checkpoint', `${path}: no tensor "${n}"; the checkpoint belongs to another model or method`);
    if (!sameShape(e.shape, t.shape)) fail('checkpoint', `${path}: "${n}" has shape ${fmt(e.shape)}, the model has ${fmt(t.shape)}`);
    put(n, t, e.data);
  }
}

export class CheckpointStore {
  readonly dir: string;
  constructor(runDir: string) {
    this.dir = join(runDir, 'checkpoint');
  }

  read(): TrainerState | null {
    const p = join(this.dir, 'state.json');
    if (!existsSync(p)) return null;
    try {
      return JSON.parse(readFileSync(p, 'utf8')) as TrainerState;
    } catch (e) {
      fail('checkpoint', `${p}: unreadable (${(e as Error).message}); delete the run folder to start over`);
    }
  }

  /** Writes params (+ moments), then the state that names them, then drops what the old state named. */
  write(state: Omit<TrainerState, 'files' | 'optim'>, trainable: Named, opt: AdamW, bestParams: Named | null): TrainerState {
    mkdirSync(this.dir, { recursive: true });
    const old = this.read();
    const params = `params-${state.step}.safetensors`, optim = `optim-${state.step}.safetensors`;
    save(join(this.dir, params), values(trainable));
    const moments: Entry[] = [];
    const steps: Record<string, number> = {};
    for (const [n, t] of trainable) {
      const s = opt.stateOf(t);
      if (!s) continue;
      moments.push([`m.${n}`, t.shape, s.m], [`v.${n}`, t.shape, s.v]);
      steps[n] = s.step;
    }
    save(join(this.dir, optim), moments);
    let best = old?.files.best ?? null;
    if (bestParams) {
      best = `best-${state.step}.safetensors`;
      save(join(this.dir, best), values(bestParams));
    }
    const full: TrainerState = { ...state, files: { params, optim, best }, optim: { step: opt.step, steps } };
    writeTextAtomic(join(this.dir, 'state.json'), JSON.stringify(full, null, 1));
    const keep = new Set(['state.json', params, optim, ...(best ? [best] : [])]);
    for (const f of readdirSync(this.dir)) if (!keep.has(f)) rmSync(join(this.dir, f), { force: true });
    return full;
  }

  /** Restores trainable values and AdamW moments from the state's files. */
  restore(state: TrainerState, trainable: Named, opt: AdamW): void {
    load(join(this.dir, state.files.params), trainable, (_, t, d) => t.data.set(d));
    const meta = state.optim;
    const file = readSafetensors(join(this.dir, state.files.optim));
    for (const [n, t] of trainable) {
      const m = file.tensors.get(`m.${n}`), v = file.tensors.get(`v.${n}`);
      if (!m || !v) continue; // never stepped
      opt.setState(t, { m: Float32Array.from(m.data), v: Float32Array.from(v.data), step: meta.steps[n] ?? 0 });
    }
    opt.step = meta.step;
  }

  /** The trainable values at the best evaluation. */
  restoreBest(state: TrainerState, trainable: Named): void {
    if (!state.files.best) fail('checkpoint', `${this.dir}: no best checkpoint recorded`);
    load(join(this.dir, state.files.best), trainable, (_, t, d) => t.data.set(d));
  }
}
