// The two papers' evaluation protocols as named presets, and the splits they cut from a task.
// UniPELT (../shared/docs/unipelt-spec.md, "Training protocol"; run_glue.py in its official code):
//   shuffle the training set with data seed s, the first K examples train, the next 1,000 are the
//   dev set for model selection, the original GLUE dev set is the test set; the best dev checkpoint
//   gives the test number. Full-data setting: whole train set, best GLUE dev score.
// Child-Tuning (../shared/docs/child-tuning-spec.md, "Protocol in the paper"; its run.sh): the whole
//   train set (or a random 1k subset), GLUE dev as dev and test, fixed epochs, LAST checkpoint reported.
import { fail } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import type { Example } from './examples.ts';
import type { TaskData, TestSplit } from './glue/load.ts';

export type PresetName = 'unipelt-low-resource' | 'unipelt-full' | 'child-tuning' | 'child-tuning-1k';
export type MethodName = 'full' | 'bitfit' | 'adapter' | 'prefix' | 'lora' | 'unipelt';

export interface ProtocolPreset {
  name: PresetName;
  paper: 'UniPELT' | 'Child-Tuning';
  sampling:
    | { kind: 'low-resource'; ks: readonly number[]; devSize: number } // K train + devSize dev from one seeded shuffle
    | { kind: 'full' } // the whole training pool
    | { kind: 'subset'; size: number }; // a seeded random subset of the pool
  dataSeeds: readonly number[]; // one run per data seed (the shuffle / subset)
  trainingSeed: number | 'data-seed'; // model init, dropout, batch order
  maxLength: number;
  padding: 'max_length' | 'longest';
  batchSize: number;
  epochs: number; // the most; early stopping may end sooner
  learningRate: Readonly<Record<MethodName, number>>;
  warmupRatio: number;
  weightDecay: number;
  maxGradNorm: number;
  evaluateEvery: 'epoch';
  earlyStoppingPatience: number | null; // evaluations without improvement of the selection metric
  report: 'best' | 'last'; // which checkpoint gives the test number
  selectOn: 'dev' | 'test'; // the split the selection metric is read on during training
}

const UNIPELT_LR = { full: 2e-5, adapter: 1e-4, prefix: 2e-4, bitfit: 1e-4, lora: 5e-4, unipelt: 5e-4 } as const; // spec
const CHILD_LR = { full: 4e-5, adapter: 4e-5, prefix: 4e-5, bitfit: 4e-5, lora: 4e-5, unipelt: 4e-5 } as const; // run.sh: one lr

const UNIPELT_COMMON = {
  paper: 'UniPELT',
  dataSeeds: [111, 222, 333, 444, 555],
  trainingSeed: 42,
  maxLength: 128,
  // run_glue.py pads every sequence to 128 (pad_to_max_length=True), and UniPELT's gates average over
  // all positions including padding, so padding is part of the method's numbers.
  padding: 'max_length',
  batchSize: 16,
  epochs: 50,
  learningRate: UNIPELT_LR,
  // Not in the spec: Hugging Face TrainingArguments' defaults, which run_glue.py leaves as they are.
  warmupRatio: 0,
  weightDecay: 0,
  maxGradNorm: 1,
  evaluateEvery: 'epoch',
  earlyStoppingPatience: 10,
  report: 'best',
} as const;

const CHILD_COMMON = {
  paper: 'Child-Tuning',
  dataSeeds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], // "mean over 10 seeds"; which seeds the spec does not say
  trainingSeed: 'data-seed',
  maxLength: 128,
  padding: 'longest', // no gates: padding changes nothing but speed
  batchSize: 16,
  epochs: 3,
  learningRate: CHILD_LR,
  warmupRatio: 0.1,
  weightDecay: 0.01,
  maxGradNorm: 1,
  evaluateEvery: 'epoch',
  earlyStoppingPatience: null,
  report: 'last',
  selectOn: 'test',
} as const;

export const PRESETS: Readonly<Record<PresetName, ProtocolPreset>> = {
  'unipelt-low-resource': { ...UNIPELT_COMMON, name: 'unipelt-low-resource', sampling: { kind: 'low-resource', ks: [100, 500, 1000], devSize: 1000 }, selectOn: 'dev' },
  // Full data: no held-out dev; the best GLUE dev score is reported (dev and test are one set).
  'unipelt-full': { ...UNIPELT_COMMON, name: 'unipelt-full', sampling: { kind: 'full' }, dataSeeds: [42], selectOn: 'test' },
  'child-tuning': { ...CHILD_COMMON, name: 'child-tuning', sampling: { kind: 'full' } },
  'child-tuning-1k': { ...CHILD_COMMON, name: 'child-tuning-1k', sampling: { kind: 'subset', size: 1000 } },
};

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function getPreset(name: string): ProtocolPreset {
  if (!Object.hasOwn(PRESETS, name)) fail('usage', `unknown protocol "${name}" (protocols: ${PRESET_NAMES.join(', ')})`);
  return PRESETS[name as PresetName];
}

/** The preset's learning rate for a method (its presets, e.g. 'unipelt-apl', share the method's). */
export function learningRate(preset: ProtocolPreset, method: string): number {
  const key = method.startsWith('unipelt-') ? 'unipelt' : method;
  if (!Object.hasOwn(preset.learningRate, key)) fail('usage', `${preset.name}: no learning rate for method "${method}" (methods: ${Object.keys(preset.learningRate).join(', ')})`);
  return preset.learningRate[key as MethodName];
}

export interface ProtocolSplits {
  train: Example[];
  dev: Example[]; // model selection (the same array as test where the protocol selects on test)
  test: Example[];
  testSplit: TestSplit; // name results by this ('heldout-test' when test is part of a train sample)
  testIsHeldOut: boolean;
  devIsTest: boolean;
  info: { preset: PresetName; dataSeed: number; k?: number; poolSize: number; trainSize: number; devSize: number; testSize: number };
}

/**
 * UniPELT's low-resource split: shuffle the pool with Rng(dataSeed); examples [0, K) train,
 * [K, K + devSize) are the dev set; the task's test set is the test set.
 */
export function lowResourceSplits(pool: readonly Example[], k: number, dataSeed: number, devSize = 1000): { train: Example[]; dev: Example[] } {
  if (!Number.isInteger(k) || k < 1) fail('usage', `K must be a positive integer, got ${k}`);
  if (k + devSize > pool.length) fail('usage', `K = ${k} plus ${devSize} dev examples needs ${k + devSize} training examples; the task has ${pool.length}`);
  const shuffled = new Rng(dataSeed).shuffle([...pool]);
  return { train: shuffled.slice(0, k), dev: shuffled.slice(k, k + devSize) };
}

/** A seeded random subset in pool order (Child-Tuning's 1k low-resource setting). */
export function randomSubset(pool: readonly Example[], size: number, dataSeed: number): Example[] {
  if (size > pool.length) fail('usage', `a subset of ${size} needs at least ${size} training examples; the task has ${pool.length}`);
  const pick = new Rng(dataSeed).shuffle(Array.from({ length: pool.length }, (_, i) => i)).slice(0, size).sort((a, b) => a - b);
  return pick.map((i) => pool[i]!);
}

/** The train / dev / test examples of one run of a preset on a task. */
export function applyProtocol(preset: ProtocolPreset, data: Pick<TaskData, 'train' | 'test' | 'testSplit' | 'testIsHeldOut'>, run: { dataSeed: number; k?: number; devSize?: number }): ProtocolSplits {
  const s = preset.sampling;
  let train: Example[];
  let dev: Example[];
  if (s.kind === 'low-resource') {
    if (run.k === undefined) fail('usage', `${preset.name} needs K (one of ${s.ks.join(', ')}, or any positive integer)`);
    ({ train, dev } = lowResourceSplits(data.train, run.k, run.dataSeed, run.devSize ?? s.devSize));
  } else {
    if (run.k !== undefined) fail('usage', `${preset.name} takes no K`);
    train = s.kind === 'subset' ? randomSubset(data.train, s.size, run.dataSeed) : [...data.train];
    dev = data.test;
  }
  return {
    train, dev, test: data.test, testSplit: data.testSplit, testIsHeldOut: data.testIsHeldOut, devIsTest: dev === data.test,
    info: { preset: preset.name, dataSeed: run.dataSeed, ...(run.k !== undefined ? { k: run.k } : {}), poolSize: data.train.length, trainSize: train.length, devSize: dev.length, testSize: data.test.length },
  };
}
