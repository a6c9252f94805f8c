// The data layer's public surface: tasks, readers, protocols, batching and metrics.
export type { Example, LabelSpace } from './examples.ts';
export { classCounts, labelMaps, numLabels, textsOf } from './examples.ts';
export { DataError } from './read.ts';
export { readTsv, column, type TsvTable } from './tsv.ts';
export { parseCsv } from './csv.ts';
export { readUserData, readUserSplits, sortLabels, type DataFormat, type UserData, type UserDataOptions } from './user.ts';
export { GLUE_TASKS, GLUE_TASK_NAMES, glueTask, isGlueTask, type GlueTask, type GlueTaskName, type MetricName } from './glue/tasks.ts';
export { HELDOUT_FRACTION, HELDOUT_SEED, describeTest, findTaskFolder, holdOut, loadGlueTask, loadKshotRows, loadLocalTask, type LoadGlueOptions, type TaskData, type TestSplit } from './glue/load.ts';
export { GLUE_REPO, glueParquetFiles, loadHubTask, readParquetExamples, type HubGlueOptions } from './hub-glue.ts';
export { PRESETS, PRESET_NAMES, applyProtocol, getPreset, learningRate, lowResourceSplits, randomSubset, type MethodName, type PresetName, type ProtocolPreset, type ProtocolSplits } from './protocols.ts';
export { Batcher, epochSeed, type Batch, type BatcherOptions, type Encoder } from './batches.ts';
export { accuracy, argmax, computeMetrics, f1, matthews, pearson, rank, scoreTask, spearman } from './metrics.ts';
