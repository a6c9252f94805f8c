// GLUE tasks from a local folder in the GLUE download layout, or from the Hugging Face Hub when no
// local copy exists. Every task comes back as a training pool and a labeled test set; the protocols
// (protocols.ts) cut train and dev out of the pool. Where only a sample of the official train set
// exists and no dev set (MNLI, QQP, SNLI in ../shared/data), a seeded fifth of the sample is held out
// as the test set and the result says so (testSplit 'heldout-test', testIsHeldOut). Rule: docs/data.md.
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fail } from '../../util/errors.ts';
import { Rng } from '../../util/rng.ts';
import type { Example } from '../examples.ts';
import { dataError, show } from '../read.ts';
import { column, readTsv } from '../tsv.ts';
import type { HubGlueOptions } from '../hub-glue.ts';
import { glueTask, type GlueTask, type TsvSpec } from './tasks.ts';

export type TestSplit = 'dev' | 'dev_matched' | 'heldout-test' | 'validation' | 'validation_matched';

export interface TaskData {
  task: GlueTask;
  source: string; // the task folder, or 'hf://datasets/<repo>@<commit>/<config>'
  layout: 'official' | 'sample' | 'hub';
  train: Example[]; // the training pool: the official train set, or the train sample less the held-out part
  test: Example[]; // labeled test set: the official dev set, or the held-out part of the train sample
  testSplit: TestSplit; // name results by this
  testIsHeldOut: boolean; // true: test is part of the train sample, not GLUE's dev set
  trainIsSample: boolean; // true: train is a sample of the official train set (not all of it)
  files: { train: string; test: string };
}

/** The held-out rule for sample-only tasks: a fixed seed, so the test set is the same for every data seed. */
export const HELDOUT_SEED = 7777;
export const HELDOUT_FRACTION = 0.2; // ceil(n / 5): 2,000 of the 9,999 rows of a train sample

/**
 * Splits a train sample into a pool and a held-out test set: shuffle the row numbers 0..n-1 with
 * Rng(seed); the first ceil(n * fraction) of them are the test set; both parts keep file order.
 */
export function holdOut<T>(rows: readonly T[], seed = HELDOUT_SEED, fraction = HELDOUT_FRACTION): { pool: T[]; test: T[] } {
  const n = rows.length;
  const size = Math.ceil(n * fraction);
  if (size < 1 || size >= n) fail('data', `cannot hold out ${size} of ${n} rows as a test set`);
  const order = new Rng(seed).shuffle(Array.from({ length: n }, (_, i) => i));
  const inTest = new Uint8Array(n);
  for (let i = 0; i < size; i++) inTest[order[i]!] = 1;
  return { pool: rows.filter((_, i) => !inTest[i]), test: rows.filter((_, i) => inTest[i]) };
}

export interface LoadGlueOptions {
  dataDirs?: readonly string[]; // folders holding glue/<TASK> and nli/<NAME> (or <TASK> directly), first match wins
  hub?: HubGlueOptions | false; // false: never download
}

/** A task from the first local folder that has it, else (when allowed) from the Hugging Face Hub. */
export async function loadGlueTask(name: string, opts: LoadGlueOptions = {}): Promise<TaskData> {
  const task = glueTask(name);
  const dirs = opts.dataDirs ?? [];
  const folder = findTaskFolder(task, dirs);
  if (folder) return loadLocalTask(task.name, folder);
  const looked = dirs.length ? `looked in ${dirs.join(', ')}` : 'no data folder given';
  if (opts.hub === false) return fail('data', `no local copy of ${task.title} (${looked}) and downloading is off`);
  if (!task.hub) return fail('data', `no local copy of ${task.title} (${looked}); it is not on the Hub's GLUE, so it needs local files`);
  const { loadHubTask } = await import('../hub-glue.ts');
  return loadHubTask(task.name, opts.hub ?? {});
}

/** What the test number is, for results and reports (held-out sets must never pass for GLUE dev). */
export function describeTest(data: TaskData): string {
  const n = data.test.length.toLocaleString('en-US');
  if (data.testIsHeldOut) {
    return `${data.task.title} heldout-test: ${n} examples held out of ${basename(data.files.train)} (seed ${HELDOUT_SEED}), not GLUE's dev set`;
  }
  const where = data.layout === 'hub' ? data.source : basename(data.files.test);
  return `${data.task.title} ${data.testSplit}: ${n} examples (${where})${data.trainIsSample ? `; train is a sample (${basename(data.files.train)})` : ''}`;
}

/** The task's folder under the first data folder that has one: <dir>/glue/SST-2, <dir>/SST-2, or <dir> itself. */
export function findTaskFolder(task: GlueTask, dataDirs: readonly string[]): string | undefined {
  const name = basename(task.folder).toLowerCase();
  for (const dir of dataDirs) {
    // <dir>/glue/SST-2, <dir>/SST-2, or the task folder itself
    const cands = [join(dir, task.folder), join(dir, basename(task.folder)), ...(basename(resolve(dir)).toLowerCase() === name ? [dir] : [])];
    for (const cand of cands) {
      if (existsSync(cand) && statSync(cand).isDirectory() && localLayout(task, cand)) return resolve(cand);
    }
  }
  return undefined;
}

function localLayout(task: GlueTask, dir: string): 'official' | 'sample' | undefined {
  const has = (s: TsvSpec) => existsSync(join(dir, s.file));
  const { official, sample } = task.local;
  if (has(official.train) && has(official.test)) return 'official';
  if (sample && has(sample.train) && (!sample.test || has(sample.test))) return 'sample';
  return undefined;
}

/** Reads a task from its local folder (the layout GLUE's download script writes, or ../shared/data's). */
export function loadLocalTask(name: string, folder: string): TaskData {
  const task = glueTask(name);
  const layout = localLayout(task, folder);
  if (!layout) {
    const want = [task.local.official.train.file, task.local.official.test.file, ...(task.local.sample ? [task.local.sample.train.file] : [])];
    return fail('data', `${folder}: no ${task.title} files here (looked for ${want.join(', ')})`);
  }
  if (layout === 'official') {
    const { train, test, testSplit } = task.local.official;
    return {
      task, source: folder, layout, train: readTaskFile(task, folder, train), test: readTaskFile(task, folder, test),
      testSplit, testIsHeldOut: false, trainIsSample: false, files: { train: join(folder, train.file), test: join(folder, test.file) },
    };
  }
  const sample = task.local.sample!;
  const all = readTaskFile(task, folder, sample.train);
  const trainFile = join(folder, sample.train.file);
  if (sample.test) {
    return {
      task, source: folder, layout, train: all, test: readTaskFile(task, folder, sample.test), testSplit: 'dev',
      testIsHeldOut: false, trainIsSample: true, files: { train: trainFile, test: join(folder, sample.test.file) },
    };
  }
  const { pool, test } = holdOut(all);
  return { task, source: folder, layout, train: pool, test, testSplit: 'heldout-test', testIsHeldOut: true, trainIsSample: true, files: { train: trainFile, test: trainFile } };
}

/** The official train rows in ../shared/data's train_kshot_rows.tsv (MNLI, QQP, QNLI, SNLI). */
export function loadKshotRows(name: string, folder: string): Example[] {
  const task = glueTask(name);
  if (!task.local.kshot) return fail('usage', `${task.title} has no train_kshot_rows.tsv`);
  return readTaskFile(task, folder, task.local.kshot);
}

/** One TSV of a task as examples: texts must not be empty, labels must be the task's. */
export function readTaskFile(task: GlueTask, folder: string, spec: TsvSpec): Example[] {
  const path = join(folder, spec.file);
  const table = readTsv(path, { ...(spec.header ? { header: spec.header } : {}), lastColumnIsLastField: spec.lastColumnIsLastField ?? false });
  const a = column(table, spec.textA);
  const b = spec.textB === undefined ? -1 : column(table, spec.textB);
  const l = column(table, spec.label);
  const label = labelParser(task, path);
  return table.rows.map((row, r) => {
    const line = table.lines[r]!;
    const textA = row[a]!;
    if (textA.trim() === '') dataError(path, line, `empty text in column "${spec.textA}"`);
    const ex: Example = { textA, label: label(row[l]!, line) };
    if (b >= 0) {
      if (row[b]!.trim() === '') dataError(path, line, `empty text in column "${spec.textB}"`);
      ex.textB = row[b]!;
    }
    return ex;
  });
}

function labelParser(task: GlueTask, path: string): (raw: string, line: number) => number {
  const space = task.labels;
  if (space.kind === 'regression') {
    return (raw, line) => {
      const x = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(x)) dataError(path, line, `label ${show(raw)} is not a number`);
      if ((space.min !== undefined && x < space.min) || (space.max !== undefined && x > space.max)) {
        dataError(path, line, `label ${raw} is outside [${space.min}, ${space.max}]`);
      }
      return x;
    };
  }
  const index = new Map(task.rawLabels!.map((v, i) => [v, i]));
  return (raw, line) => index.get(raw) ?? dataError(path, line, `unknown label ${show(raw)} (${task.title} labels: ${task.rawLabels!.join(', ')})`);
}
