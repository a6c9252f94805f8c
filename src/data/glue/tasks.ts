// The task table: for each GLUE task and SNLI, where its files are, which columns hold the texts and
// the label, what the labels mean, and how it is scored. Label indices follow the Hugging Face
// `nyu-mll/glue` ClassLabel order, so a local TSV and the Hub's parquet files give the same indices.
// Local layouts: `official` is the GLUE download script's (`glue_data/<TASK>/`); `sample` is what
// ../shared/data holds where the official files were out of reach (see its README and docs/data.md).
import { fail } from '../../util/errors.ts';
import type { LabelSpace } from '../examples.ts';

export type GlueTaskName = 'cola' | 'sst2' | 'mrpc' | 'stsb' | 'qnli' | 'rte' | 'wnli' | 'mnli' | 'qqp' | 'snli';
export type MetricName = 'accuracy' | 'f1' | 'mcc' | 'pearson' | 'spearman';

/** How to read one TSV file of a task. */
export interface TsvSpec {
  file: string; // name inside the task folder
  header?: readonly string[]; // column names of a file without a header line (CoLA train/dev)
  lastColumnIsLastField?: boolean; // the label is the row's last field, whatever the count (SNLI, MNLI)
  textA: string;
  textB?: string;
  label: string;
}

export interface GlueTask {
  name: GlueTaskName;
  title: string; // as GLUE spells it: 'SST-2'
  folder: string; // under the data folder: 'glue/SST-2', 'nli/SNLI'
  labels: LabelSpace; // class names in index order (Hugging Face order), or regression
  rawLabels?: readonly string[]; // the label values in the TSV files, in index order
  metrics: readonly MetricName[]; // reported, in GLUE's order
  selectionMetric: MetricName; // model selection and the headline number (UniPELT spec)
  inAverage: boolean; // counts in the GLUE average (WNLI and SNLI do not)
  local: {
    official: { train: TsvSpec; test: TsvSpec; testSplit: 'dev' | 'dev_matched' };
    // A sample of the official train set; `test` is the official dev set when there is one (QNLI),
    // otherwise a seeded part of the sample is held out as the test set (MNLI, QQP, SNLI).
    sample?: { train: TsvSpec; test?: TsvSpec };
    kshot?: TsvSpec; // official train rows in the official layout (../shared/data only)
  };
  hub?: { config: string; test: 'validation' | 'validation_matched'; textA: string; textB?: string };
}

const binary = (names: [string, string], raw: [string, string] = ['0', '1']) => ({
  labels: { kind: 'classification', names } as LabelSpace,
  rawLabels: raw,
});
const NLI3 = ['entailment', 'neutral', 'contradiction'] as const;
const nli3 = { labels: { kind: 'classification', names: NLI3 } as LabelSpace, rawLabels: NLI3 };
const COLA_COLUMNS = ['source_code', 'label', 'original_mark', 'sentence'] as const; // no header line in the files
const pair = (file: string, a: string, b: string, label: string, extra: Partial<TsvSpec> = {}): TsvSpec => ({ file, textA: a, textB: b, label, ...extra });
const ACC = { metrics: ['accuracy'], selectionMetric: 'accuracy' } as const;

export const GLUE_TASKS: Readonly<Record<GlueTaskName, GlueTask>> = {
  cola: {
    name: 'cola', title: 'CoLA', folder: 'glue/CoLA', ...binary(['unacceptable', 'acceptable']),
    metrics: ['mcc'], selectionMetric: 'mcc', inAverage: true,
    local: {
      official: {
        train: { file: 'train.tsv', header: COLA_COLUMNS, textA: 'sentence', label: 'label' },
        test: { file: 'dev.tsv', header: COLA_COLUMNS, textA: 'sentence', label: 'label' },
        testSplit: 'dev',
      },
    },
    hub: { config: 'cola', test: 'validation', textA: 'sentence' },
  },
  sst2: {
    name: 'sst2', title: 'SST-2', folder: 'glue/SST-2', ...binary(['negative', 'positive']), ...ACC, inAverage: true,
    local: {
      official: {
        train: { file: 'train.tsv', textA: 'sentence', label: 'label' },
        test: { file: 'dev.tsv', textA: 'sentence', label: 'label' },
        testSplit: 'dev',
      },
    },
    hub: { config: 'sst2', test: 'validation', textA: 'sentence' },
  },
  mrpc: {
    name: 'mrpc', title: 'MRPC', folder: 'glue/MRPC', ...binary(['not_equivalent', 'equivalent']),
    metrics: ['accuracy', 'f1'], selectionMetric: 'f1', inAverage: true,
    local: {
      official: {
        train: pair('train.tsv', '#1 String', '#2 String', 'Quality'),
        test: pair('dev.tsv', '#1 String', '#2 String', 'Quality'),
        testSplit: 'dev',
      },
    },
    hub: { config: 'mrpc', test: 'validation', textA: 'sentence1', textB: 'sentence2' },
  },
  stsb: {
    name: 'stsb', title: 'STS-B', folder: 'glue/STS-B', labels: { kind: 'regression', min: 0, max: 5 },
    metrics: ['pearson', 'spearman'], selectionMetric: 'spearman', inAverage: true,
    local: {
      official: {
        train: pair('train.tsv', 'sentence1', 'sentence2', 'score'),
        test: pair('dev.tsv', 'sentence1', 'sentence2', 'score'),
        testSplit: 'dev',
      },
    },
    hub: { config: 'stsb', test: 'validation', textA: 'sentence1', textB: 'sentence2' },
  },
  qnli: {
    name: 'qnli', title: 'QNLI', folder: 'glue/QNLI', ...binary(['entailment', 'not_entailment'], ['entailment', 'not_entailment']),
    ...ACC, inAverage: true,
    local: {
      official: {
        train: pair('train.tsv', 'question', 'sentence', 'label'),
        test: pair('dev.tsv', 'question', 'sentence', 'label'),
        testSplit: 'dev',
      },
      sample: { train: pair('train_sample.tsv', 'question', 'sentence', 'label'), test: pair('dev.tsv', 'question', 'sentence', 'label') },
      kshot: pair('train_kshot_rows.tsv', 'question', 'sentence', 'label'),
    },
    hub: { config: 'qnli', test: 'validation', textA: 'question', textB: 'sentence' },
  },
  rte: {
    name: 'rte', title: 'RTE', folder: 'glue/RTE', ...binary(['entailment', 'not_entailment'], ['entailment', 'not_entailment']),
    ...ACC, inAverage: true,
    local: {
      official: {
        train: pair('train.tsv', 'sentence1', 'sentence2', 'label'),
        test: pair('dev.tsv', 'sentence1', 'sentence2', 'label'),
        testSplit: 'dev',
      },
    },
    hub: { config: 'rte', test: 'validation', textA: 'sentence1', textB: 'sentence2' },
  },
  wnli: {
    name: 'wnli', title: 'WNLI', folder: 'glue/WNLI', ...binary(['not_entailment', 'entailment']),
    ...ACC, inAverage: false, // excluded from averages (UniPELT spec; GLUE baselines)
    local: {
      official: {
        train: pair('train.tsv', 'sentence1', 'sentence2', 'label'),
        test: pair('dev.tsv', 'sentence1', 'sentence2', 'label'),
        testSplit: 'dev',
      },
    },
    hub: { config: 'wnli', test: 'validation', textA: 'sentence1', textB: 'sentence2' },
  },
  mnli: {
    name: 'mnli', title: 'MNLI', folder: 'glue/MNLI', ...nli3, ...ACC, inAverage: true,
    local: {
      official: {
        train: pair('train.tsv', 'sentence1', 'sentence2', 'gold_label', { lastColumnIsLastField: true }),
        test: pair('dev_matched.tsv', 'sentence1', 'sentence2', 'gold_label', { lastColumnIsLastField: true }),
        testSplit: 'dev_matched',
      },
      sample: { train: pair('train_sample.tsv', 'sentence1', 'sentence2', 'gold_label') },
      kshot: pair('train_kshot_rows.tsv', 'sentence1', 'sentence2', 'gold_label', { lastColumnIsLastField: true }),
    },
    hub: { config: 'mnli', test: 'validation_matched', textA: 'premise', textB: 'hypothesis' },
  },
  qqp: {
    name: 'qqp', title: 'QQP', folder: 'glue/QQP', ...binary(['not_duplicate', 'duplicate']),
    metrics: ['accuracy', 'f1'], selectionMetric: 'f1', inAverage: true,
    local: {
      official: {
        train: pair('train.tsv', 'question1', 'question2', 'is_duplicate'),
        test: pair('dev.tsv', 'question1', 'question2', 'is_duplicate'),
        testSplit: 'dev',
      },
      sample: { train: pair('train_sample.tsv', 'question1', 'question2', 'is_duplicate') },
      kshot: pair('train_kshot_rows.tsv', 'question1', 'question2', 'is_duplicate'),
    },
    hub: { config: 'qqp', test: 'validation', textA: 'question1', textB: 'question2' },
  },
  snli: {
    name: 'snli', title: 'SNLI', folder: 'nli/SNLI', ...nli3, ...ACC, inAverage: false, // not a GLUE task
    local: {
      official: {
        train: pair('train.tsv', 'sentence1', 'sentence2', 'gold_label', { lastColumnIsLastField: true }),
        test: pair('dev.tsv', 'sentence1', 'sentence2', 'gold_label', { lastColumnIsLastField: true }),
        testSplit: 'dev',
      },
      sample: { train: pair('train_sample.tsv', 'sentence1', 'sentence2', 'gold_label') },
      kshot: pair('train_kshot_rows.tsv', 'sentence1', 'sentence2', 'gold_label', { lastColumnIsLastField: true }),
    },
    // SNLI is not part of nyu-mll/glue: local files only.
  },
};

export const GLUE_TASK_NAMES = Object.keys(GLUE_TASKS) as GlueTaskName[];

const ALIASES: Record<string, GlueTaskName> = { 'sst-2': 'sst2', 'sts-b': 'stsb', 'mnli-m': 'mnli', mnli_matched: 'mnli' };

export function isGlueTask(name: string): boolean {
  const key = name.toLowerCase();
  return Object.hasOwn(GLUE_TASKS, Object.hasOwn(ALIASES, key) ? ALIASES[key]! : key);
}

/** A task by name, case-insensitive, as GLUE or Hugging Face spell it ('SST-2', 'sst2', 'STS-B'...). */
export function glueTask(name: string): GlueTask {
  if (!isGlueTask(name)) return fail('usage', `unknown task "${name}" (tasks: ${GLUE_TASK_NAMES.join(', ')})`);
  const key = name.toLowerCase();
  return GLUE_TASKS[(Object.hasOwn(ALIASES, key) ? ALIASES[key] : key) as GlueTaskName];
}
