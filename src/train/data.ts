// Resolves a run's config into examples: a GLUE task through its protocol preset, or the user's own
// files (a seeded 10% of train held out as dev when no dev file is given).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Example, LabelSpace } from '../data/examples.ts';
import { loadGlueTask } from '../data/glue/load.ts';
import { glueTask } from '../data/glue/tasks.ts';
import { applyProtocol, getPreset, learningRate, type ProtocolPreset } from '../data/protocols.ts';
import { readUserSplits } from '../data/user.ts';
import type { MetricName } from '../data/glue/tasks.ts';
import { Rng } from '../util/rng.ts';
import type { ResolvedTrainConfig, TrainConfig } from './config.ts';

export interface RunData {
  train: Example[];
  dev: Example[];
  test: Example[];
  labels: LabelSpace;
  metrics: readonly MetricName[];
  selectionMetric: MetricName;
  /** What the test split is, for results: 'dev' (GLUE dev), 'heldout-test', 'test' (user file), ... */
  testSplit: string;
  info: Record<string, unknown>;
}

/** The preset a config runs under: named, or the UniPELT one that fits (low-resource when K is given). */
export function presetFor(config: TrainConfig): ProtocolPreset {
  return getPreset(config.protocol ?? (config.k !== undefined ? 'unipelt-low-resource' : 'unipelt-full'));
}

/** Fills every unset knob from the preset (explicit settings win). */
export function resolveConfig(config: TrainConfig): ResolvedTrainConfig {
  const p = presetFor(config);
  return {
    ...config,
    protocol: p.name,
    dataSeed: config.dataSeed ?? p.dataSeeds[0]!,
    seed: config.seed ?? (p.trainingSeed === 'data-seed' ? config.dataSeed ?? p.dataSeeds[0]! : p.trainingSeed),
    epochs: config.epochs ?? p.epochs,
    batchSize: config.batchSize ?? p.batchSize,
    lr: config.lr ?? learningRate(p, config.method),
    maxLength: config.maxLength ?? p.maxLength,
    padding: config.padding ?? p.padding,
    warmupRatio: config.warmupRatio ?? p.warmupRatio,
    weightDecay: config.weightDecay ?? p.weightDecay,
    maxGradNorm: config.maxGradNorm ?? p.maxGradNorm,
    patience: config.patience === undefined ? p.earlyStoppingPatience : config.patience,
    evalEvery: config.evalEvery ?? p.evaluateEvery,
    report: config.report ?? p.report,
  };
}

export function defaultDataDirs(shared: string): string[] {
  return existsSync(join(shared, 'data')) ? [join(shared, 'data')] : [];
}

export async function loadRunData(config: ResolvedTrainConfig, dataDirs: string[]): Promise<RunData> {
  if (config.task) {
    const data = await loadGlueTask(config.task, { dataDirs });
    const s = applyProtocol(getPreset(config.protocol), data, { dataSeed: config.dataSeed, k: config.k, devSize: config.devSize });
    const t = glueTask(config.task);
    return {
      train: s.train, dev: s.dev, test: s.test, labels: t.labels, metrics: t.metrics, selectionMetric: t.selectionMetric,
      testSplit: s.testSplit, info: { ...s.info, task: t.title, source: data.source, testIsHeldOut: s.testIsHeldOut, devIsTest: s.devIsTest },
    };
  }
  const d = config.data!;
  const splits = readUserSplits({ train: d.train, dev: d.dev, test: d.test }, { text: d.text, pair: d.pair, label: d.label, format: d.format, regression: d.regression });
  let train = splits.train.examples;
  let dev = splits.dev?.examples;
  if (!dev) {
    const order = new Rng(config.dataSeed).shuffle([...train.keys()]);
    const n = Math.max(1, Math.round(train.length / 10));
    const held = new Set(order.slice(0, n));
    dev = train.filter((_, i) => held.has(i));
    train = train.filter((_, i) => !held.has(i));
  }
  const regression = splits.train.labels.kind === 'regression';
  return {
    train, dev, test: splits.test?.examples ?? dev, labels: splits.train.labels,
    metrics: regression ? ['pearson', 'spearman'] : (['accuracy', 'f1'] as MetricName[]).filter((m) => m === 'accuracy' || (splits.train.labels.kind === 'classification' && splits.train.labels.names.length === 2)) as MetricName[],
    selectionMetric: regression ? 'spearman' : 'accuracy',
    testSplit: splits.test ? 'test' : splits.dev ? 'dev' : 'heldout-dev',
    info: { trainFile: d.train, devFile: d.dev ?? null, testFile: d.test ?? null, trainSize: train.length, devSize: dev.length },
  };
}
