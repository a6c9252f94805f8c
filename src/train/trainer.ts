// One training run, start to finish: data through the protocol, model + method (+ Child-Tuning), AdamW
// with warmup/decay and clipping, evaluation and checkpoints at every eval point, early stopping, the
// best (or last) checkpoint's test number, and a run folder holding all of it. Deterministic and
// resumable: running the same config on the same folder continues from the last checkpoint and ends
// with the numbers an uninterrupted run gives.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Batcher } from '../data/batches.ts';
import { labelMaps, numLabels } from '../data/examples.ts';
import { writeTextAtomic } from '../io/atomic.ts';
import { resolveModelDir } from '../io/hub.ts';
import { attachMethod } from '../methods/registry.ts';
import { paramReport, type Attached } from '../methods/types.ts';
import { saveAdapter } from '../methods/checkpoint.ts';
import { childTuning, fisher, loadMask, parseChildTuningConfig, saveMask, type ChildMask } from '../methods/child-tuning/index.ts';
import { loadBertFromDir } from '../models/bert/load.ts';
import { saveBert } from '../models/bert/save.ts';
import { noDecay } from '../nn/module.ts';
import { AdamW } from '../optim/adamw.ts';
import { clipGradNorm } from '../optim/clip.ts';
import { linearWarmupDecay } from '../optim/schedule.ts';
import { backendName } from '../tensor/backend.ts';
import { scope } from '../tensor/pool.ts';
import { BertTokenizer } from '../tokenizers/bert.ts';
import { fail } from '../util/errors.ts';
import type { TrainConfig } from './config.ts';
import { loadRunData, resolveConfig } from './data.ts';
import { evaluate, type Evaluation } from './evaluate.ts';
import { modelRngs, reseed } from './rngs.ts';
import { CheckpointStore, type TimelineEntry, type TrainerState } from './store.ts';
import { trainProgress } from './progress.ts';

export interface RunOptions {
  dataDirs: string[];
  log?: (line: string) => void;
}

export interface RunResults {
  status: 'done';
  output: string;
  task: string;
  method: string;
  protocol: string;
  testSplit: string;
  report: 'best' | 'last';
  test: Evaluation['metrics'];
  testSelection: number;
  selectionMetric: string;
  bestDev: { selection: number; step: number } | null;
  steps: number;
  stoppedEarly: boolean;
  params: ReturnType<typeof paramReport>;
  gates?: Record<string, number>;
  data: Record<string, unknown>;
  versions: Record<string, string>;
  seconds: number;
}

function versions(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return { pelt: pkg.version, node: process.version, backend: backendName() };
}

export async function runTraining(input: TrainConfig, opts: RunOptions): Promise<RunResults> {
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const config = resolveConfig(input);
  const out = config.output;
  const configKey = JSON.stringify(config);
  const store = new CheckpointStore(out);
  const prev = store.read();
  if (prev && prev.configKey !== configKey) fail('usage', `${out} holds a run with a different config (see ${join(out, 'config.json')}); use another --output`);
  if (prev?.status === 'done' && existsSync(join(out, 'results.json'))) {
    log(`${out}: this run has finished; its results:`);
    return JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
  }
  mkdirSync(out, { recursive: true });
  if (!prev) writeTextAtomic(join(out, 'config.json'), JSON.stringify({ ...config, versions: versions() }, null, 2) + '\n');

  const modelDir = await resolveModelDir(config.model);
  const data = await loadRunData(config, opts.dataDirs);
  const tok = BertTokenizer.fromFolder(modelDir);
  const { model } = loadBertFromDir(modelDir, { task: 'sequence-classification', numLabels: numLabels(data.labels), seed: config.seed, quiet: true });
  writeTextAtomic(join(out, 'labels.json'), JSON.stringify(data.labels) + '\n');
  const maps = labelMaps(data.labels);
  if (maps) Object.assign(model._config, maps);
  const attached: Attached = attachMethod(model, config.method, config.methodConfig, { seed: config.seed });
  const trainable = attached.trainable();
  // Child-Tuning runs use its official optimizer (transformers' AdamW, as ChildTuningAdamW); others torch's AdamW.
  const ct = config.childTuning ? parseChildTuningConfig(config.childTuning, 'childTuning') : null;
  const opt = new AdamW([
    { params: trainable.filter(([n]) => !noDecay(n)).map(([, p]) => p) },
    { params: trainable.filter(([n]) => noDecay(n)).map(([, p]) => p), weightDecay: 0 },
  ], { lr: config.lr, weightDecay: config.weightDecay, ...(ct ? { variant: 'hf' as const } : {}) });

  const batchOpts = { labels: data.labels, maxLength: config.maxLength, padding: config.padding };
  const train = new Batcher(data.train, tok, { ...batchOpts, batchSize: config.batchSize, shuffle: true, seed: config.seed });
  const evalBatches = (xs: typeof data.dev) => new Batcher(xs, tok, { ...batchOpts, batchSize: 32, shuffle: false });
  const dev = evalBatches(data.dev), test = evalBatches(data.test);
  const rngs = modelRngs(model);
  const taskName = config.task ?? config.data!.train;
  log(`pelt train: ${config.method} on ${taskName} (${data.train.length} train, ${data.dev.length} dev, ${data.test.length} ${data.testSplit}), ${paramReport(model, attached).trainable} trainable parameters, backend ${backendName()}`);

  if (ct) {
    let mask: ChildMask | undefined;
    const maskPath = join(out, 'child-mask.safetensors');
    const info = { model: config.model, task: taskName, p: ct.p_D, candidatesPattern: ct.candidates };
    if (ct.mode === 'D' && existsSync(maskPath)) mask = loadMask(maskPath, trainable.map(([n, t]) => [n, t] as const)).mask;
    else if (ct.mode === 'D' && ct.ablation !== 'random') {
      log('Child-Tuning_D: Fisher pass over the training set');
      const fisherBatches = new Batcher(data.train, tok, { ...batchOpts, batchSize: ct.fisherBatchSize, shuffle: false });
      model.train(); // the official pass keeps dropout on
      reseed(rngs, config.seed, -1);
      const f = fisher(trainable, fisherBatches.epoch(0), (b) => model.forward(b, b.labels).loss!, { numBatches: fisherBatches.batchesPerEpoch, maxGradNorm: ct.fisherMaxGradNorm });
      const child = childTuning(trainable, ct, { fisher: f }).child!;
      mask = child.mask;
      saveMask(maskPath, mask, { ...info, network: ct.ablation === 'lowest-fisher' ? 'lowest-fisher' : 'fisher', threshold: child.threshold, fisherBatches: f.batches });
    }
    const setup = childTuning(trainable, ct, mask ? { mask } : {});
    if (setup.child && !existsSync(maskPath)) saveMask(maskPath, setup.child.mask, { ...info, network: 'random', seed: ct.seed });
    setup.transform.install(opt);
    if (setup.child) log(`Child-Tuning_D: child network of ${setup.child.kept} of ${setup.child.candidates} candidate weights`);
  }

  const perEpoch = train.batchesPerEpoch;
  const total = perEpoch * config.epochs;
  const warmup = Math.round(config.warmupRatio * total);
  let state: Omit<TrainerState, 'files' | 'optim'> = prev ?? {
    version: 1, configKey, status: 'running', step: 0, epoch: 0, batch: 0, best: null, sinceBest: 0, timeline: [],
  };
  if (prev) {
    store.restore(prev, trainable, opt);
    log(`resuming from step ${prev.step} (epoch ${prev.epoch + 1}, batch ${prev.batch})`);
  }
  const t0 = performance.now();
  const progress = trainProgress(total, config.epochs);
  let lossSum = 0, lossCount = 0;
  let stoppedEarly = config.patience !== null && state.sinceBest >= config.patience; // a resume after the stopping evaluation
  let at = { epoch: state.epoch, batch: state.batch }; // where the next step starts
  const good = () => {
    const ck = store.read();
    return ck ? `the last good checkpoint (step ${ck.step}) is kept in ${store.dir}` : 'no checkpoint was written yet';
  };

  const evalPoint = (epoch: number, batch: number) => {
    progress.clear();
    const ev = evaluate(model, attached, dev, data.metrics, data.selectionMetric);
    const entry: TimelineEntry = {
      step: state.step, epoch: epoch + batch / perEpoch, trainLoss: lossCount ? lossSum / lossCount : NaN, lr: opt.lr,
      dev: ev.metrics as Record<string, number>, selection: ev.selection, seconds: (performance.now() - t0) / 1000,
    };
    lossSum = 0;
    lossCount = 0;
    const improved = !Number.isNaN(ev.selection) && (state.best === null || ev.selection > state.best.selection);
    state = {
      ...state, epoch, batch, timeline: [...state.timeline, entry],
      best: improved ? { selection: ev.selection, step: state.step } : state.best,
      sinceBest: improved ? 0 : state.sinceBest + 1,
    };
    store.write(state, trainable, opt, improved ? trainable : null);
    writeTextAtomic(join(out, 'timeline.jsonl'), state.timeline.map((e) => JSON.stringify(e)).join('\n') + '\n');
    log(`step ${entry.step} epoch ${entry.epoch.toFixed(2)}: train loss ${entry.trainLoss.toFixed(4)}, dev ${data.selectionMetric} ${ev.selection.toFixed(4)}${improved ? ' (best)' : ''}`);
    if (config.patience !== null && state.sinceBest >= config.patience) stoppedEarly = true;
  };

  outer: for (let epoch = state.epoch; epoch < config.epochs && !stoppedEarly; epoch++) {
    for (let b = epoch === state.epoch ? state.batch : 0; b < perEpoch; b++) {
      if (config.maxSteps !== undefined && state.step >= config.maxSteps) break outer;
      const batch = train.batch(epoch, b);
      reseed(rngs, config.seed, state.step);
      model.train();
      opt.lr = config.lr * linearWarmupDecay(state.step, warmup, total);
      opt.zeroGrad();
      // The step's intermediates (activations, the tape's gradients) are recycled when the scope ends;
      // only the loss value leaves it. Leaf gradients, parameters and AdamW moments are never pooled.
      const value = scope(() => {
        const loss = model.forward(batch, batch.labels).loss!;
        const v = loss.item();
        if (!Number.isFinite(v)) fail('non-finite', `training stopped: the loss is ${v} at step ${state.step + 1} (epoch ${epoch + 1}, batch ${b + 1}); ${good()}. Try a lower learning rate.`);
        loss.backward();
        const norm = clipGradNorm(opt.params(), config.maxGradNorm);
        if (!Number.isFinite(norm)) fail('non-finite', `training stopped: the gradient norm is ${norm} at step ${state.step + 1} (epoch ${epoch + 1}, batch ${b + 1}); ${good()}. Try a lower learning rate.`);
        opt.stepOnce();
        return v;
      });
      state = { ...state, step: state.step + 1 };
      at = b + 1 === perEpoch ? { epoch: epoch + 1, batch: 0 } : { epoch, batch: b + 1 };
      lossSum += value;
      lossCount++;
      progress.update(state.step, epoch, value, batch.batch);
      if (typeof config.evalEvery === 'number' && state.step % config.evalEvery === 0) {
        evalPoint(at.epoch, at.batch);
        if (stoppedEarly) break outer;
      }
    }
    if (config.evalEvery === 'epoch') {
      evalPoint(epoch + 1, 0);
      if (stoppedEarly) break;
    }
  }
  progress.clear();
  if (lossCount > 0 || state.timeline.length === 0) evalPoint(at.epoch, at.batch); // a maxSteps stop between eval points

  const final = store.read()!;
  if (config.report === 'best' && final.best) store.restoreBest(final, trainable);
  const ev = evaluate(model, attached, test, data.metrics, data.selectionMetric);
  const results: RunResults = {
    status: 'done', output: out, task: taskName, method: config.method, protocol: config.protocol, testSplit: data.testSplit,
    report: config.report, test: ev.metrics, testSelection: ev.selection, selectionMetric: data.selectionMetric,
    bestDev: final.best, steps: final.step, stoppedEarly, params: paramReport(model, attached),
    ...(ev.gates ? { gates: ev.gates } : {}), data: data.info, versions: versions(),
    seconds: (performance.now() - t0) / 1000,
  };
  if (config.method === 'full') saveBert(model, join(out, 'model'));
  else saveAdapter(model, attached, join(out, 'adapter'), { baseModel: config.model });
  // the label mapping travels with the weights (the head's classes are meaningless without it)
  writeTextAtomic(join(out, config.method === 'full' ? 'model' : 'adapter', 'labels.json'), JSON.stringify(data.labels) + '\n');
  if (ev.gates) writeTextAtomic(join(out, 'gates.json'), JSON.stringify(ev.gates, null, 1) + '\n');
  writeTextAtomic(join(out, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  store.write({ ...final, status: 'done' }, trainable, opt, null);
  log(`test ${data.testSplit} ${data.selectionMetric}: ${ev.selection.toFixed(4)} (${config.report} checkpoint${final.best ? `, best dev ${final.best.selection.toFixed(4)} at step ${final.best.step}` : ''})`);
  return results;
}
