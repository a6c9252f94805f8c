// GLUE from the Hugging Face Hub when no local copy exists: the `nyu-mll/glue` dataset repo keeps one
// folder per config with parquet shards per split, `<config>/<split>-00000-of-00001.parquet`
// (e.g. `sst2/train-00000-of-00001.parquet`, `mnli/validation_matched-00000-of-00001.parquet`).
// Files go into the Hub's cache (`datasets--nyu-mll--glue/{blobs,refs,snapshots}`, shared with
// Python's huggingface_hub) through @huggingface/hub, with a progress bar on a terminal, and are read
// with hyparquet (pure JS). Labels are the dataset's ClassLabel indices, the order of the task table;
// the parquet's own feature metadata is checked against it when present.
import { existsSync, readdirSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fetchWithProgress, hubCacheDir, hubEndpoint } from '../io/hub.ts';
import { fail, PeltError } from '../util/errors.ts';
import type { Example, LabelSpace } from './examples.ts';
import type { TaskData } from './glue/load.ts';
import { glueTask } from './glue/tasks.ts';
import { dataError } from './read.ts';

export const GLUE_REPO = 'nyu-mll/glue';

export interface HubGlueOptions {
  repo?: string; // default nyu-mll/glue
  revision?: string; // default "main"
  endpoint?: string; // default $HF_ENDPOINT, else @huggingface/hub's HUB_URL
  cacheDir?: string; // default: the Hub cache (HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub)
  offline?: boolean; // default $HF_HUB_OFFLINE: use the cache only
  token?: string; // default $HF_TOKEN
  progress?: boolean; // default: when stderr is a terminal
}

/** A GLUE task's train split and its labeled validation split (the test set of both papers' protocols). */
export async function loadHubTask(name: string, opts: HubGlueOptions = {}): Promise<TaskData> {
  const task = glueTask(name);
  if (!task.hub) return fail('data', `${task.title} is not in ${opts.repo ?? GLUE_REPO}; it can only be read from a local folder`);
  const { config, test: testSplit, textA, textB } = task.hub;
  const files = await glueParquetFiles(config, ['train', testSplit], opts);
  const read = async (paths: string[]) => (await Promise.all(paths.map((p) => readParquetExamples(p, { textA, textB, labels: task.labels })))).flat();
  const repo = opts.repo ?? GLUE_REPO;
  return {
    task, source: `hf://datasets/${repo}@${files.commit}/${config}`, layout: 'hub',
    train: await read(files.splits['train']!), test: await read(files.splits[testSplit]!),
    testSplit, testIsHeldOut: false, trainIsSample: false,
    files: { train: files.splits['train']!.join(', '), test: files.splits[testSplit]!.join(', ') },
  };
}

/** Local paths of a config's parquet shards per split, downloaded into the cache if need be. */
export async function glueParquetFiles(config: string, splits: readonly string[], opts: HubGlueOptions = {}): Promise<{ commit: string; splits: Record<string, string[]> }> {
  const repo = opts.repo ?? GLUE_REPO;
  const revision = opts.revision ?? 'main';
  const cacheDir = opts.cacheDir ?? hubCacheDir();
  const storage = join(cacheDir, `datasets--${repo.replaceAll('/', '--')}`);
  const offline = opts.offline ?? ['1', 'on', 'yes', 'true'].includes((process.env['HF_HUB_OFFLINE'] ?? '').toLowerCase());
  if (offline) {
    return cached(storage, revision, config, splits) ?? fail('hub', `${repo} (${config}): not in the Hub cache (${storage}); HF_HUB_OFFLINE is set, so nothing can be downloaded`);
  }
  const endpoint = await hubEndpoint(opts.endpoint);
  try {
    return await download({ repo, revision, config, splits, cacheDir, storage, endpoint }, opts);
  } catch (err) {
    if (err instanceof PeltError) throw err;
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 404) fail('hub', `${repo}: no such dataset (or revision "${revision}") on ${endpoint}`);
    if (status === 401 || status === 403) fail('hub', `${repo}: access denied by ${endpoint} (gated or private? set HF_TOKEN)`);
    if (status !== undefined) fail('hub', `${repo}: ${endpoint} answered ${status}: ${(err as Error).message}`);
    if (!(err instanceof TypeError && err.message === 'fetch failed')) fail('hub', `${repo}: download failed: ${(err as Error).message}`);
    const hit = cached(storage, revision, config, splits); // unreachable hub: a complete cached copy will do
    if (hit) {
      process.stderr.write(`pelt: cannot reach ${endpoint} (${describe(err)}); using the cached ${repo} (${config})\n`);
      return hit;
    }
    return fail('hub', `${repo}: cannot download from ${endpoint}: ${describe(err)}`);
  }
}

const shardName = (split: string) => new RegExp(`^${split}-\\d{5}-of-\\d{5}\\.parquet$`);

interface Where {
  repo: string;
  revision: string;
  config: string;
  splits: readonly string[];
  cacheDir: string;
  storage: string;
  endpoint: string;
}

async function download({ repo, revision, config, splits, cacheDir, storage, endpoint }: Where, opts: HubGlueOptions) {
  const hub = await import('@huggingface/hub'); // loaded only when a download is needed
  const accessToken = opts.token ?? process.env['HF_TOKEN'] ?? undefined;
  const common = { hubUrl: endpoint, accessToken, fetch: opts.progress ?? Boolean(process.stderr.isTTY) ? fetchWithProgress : fetch };
  const info = await hub.datasetInfo({ ...common, name: repo, revision, additionalFields: ['sha'] });
  const commit = info.sha;
  if (!/^[0-9a-f]{40}$/.test(commit ?? '')) fail('hub', `${repo}: ${endpoint} gave no commit for revision "${revision}"`);
  const names: string[] = [];
  for await (const f of hub.listFiles({ ...common, repo: { type: 'dataset', name: repo }, revision: commit, path: config })) {
    if (f.type === 'file') names.push(f.path.slice(config.length + 1));
  }
  const out: Record<string, string[]> = {};
  for (const split of splits) {
    const shards = names.filter((n) => shardName(split).test(n)).sort();
    if (shards.length === 0) fail('hub', `${repo}: no parquet files for ${config}/${split} at ${commit.slice(0, 8)} (files: ${names.join(', ') || 'none'})`);
    out[split] = shards.map((s) => join(storage, 'snapshots', commit, config, s));
  }
  if (revision !== commit) {
    const ref = join(storage, 'refs', revision);
    mkdirSync(dirname(ref), { recursive: true });
    writeFileSync(ref, commit);
  }
  const debug = console.debug; // @huggingface/hub announces downloads on stdout; keep stdout for results
  console.debug = () => {};
  try {
    for (const split of splits) {
      for (const path of out[split]!) {
        const inRepo = `${config}/${path.split(/[\\/]/).at(-1)}`;
        await hub.downloadFileToCacheDir({ ...common, repo: { type: 'dataset', name: repo }, path: inRepo, revision: commit, cacheDir });
      }
    }
  } finally {
    console.debug = debug;
  }
  return { commit, splits: out };
}

function cached(storage: string, revision: string, config: string, splits: readonly string[]) {
  let commit = revision;
  if (!/^[0-9a-f]{40}$/.test(revision)) {
    const ref = join(storage, 'refs', revision);
    if (!existsSync(ref)) return undefined;
    commit = readFileSync(ref, 'utf8').trim();
  }
  const dir = join(storage, 'snapshots', commit, config);
  if (!existsSync(dir)) return undefined;
  const names = readdirSync(dir);
  const out: Record<string, string[]> = {};
  for (const split of splits) {
    const shards = names.filter((n) => shardName(split).test(n)).sort();
    const m = /-of-(\d{5})\.parquet$/.exec(shards[0] ?? '');
    if (!m || shards.length !== Number(m[1])) return undefined; // missing or incomplete
    out[split] = shards.map((s) => join(dir, s));
  }
  return { commit, splits: out };
}

export interface ParquetColumns {
  textA: string;
  textB?: string | undefined;
  label?: string; // default "label"
  labels: LabelSpace;
}

/** Examples from one parquet file; rows are checked like TSV rows (errors name the file and row). */
export async function readParquetExamples(path: string, cols: ParquetColumns): Promise<Example[]> {
  const { parquetMetadata, parquetReadObjects } = await import('hyparquet');
  const bytes = readFileSync(path);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata;
  try {
    metadata = parquetMetadata(file);
  } catch (e) {
    return dataError(path, undefined, `not a parquet file: ${(e as Error).message}`);
  }
  const labelCol = cols.label ?? 'label';
  const want = [cols.textA, ...(cols.textB ? [cols.textB] : []), labelCol];
  const have = metadata.schema.slice(1).map((s) => s.name);
  for (const c of want) if (!have.includes(c)) dataError(path, undefined, `missing column "${c}" (columns: ${have.join(', ')})`);
  checkClassNames(path, metadata.key_value_metadata, labelCol, cols.labels);
  const rows = (await parquetReadObjects({ file, metadata, columns: want })) as Array<Record<string, unknown>>;
  const space = cols.labels;
  return rows.map((row, i) => {
    const where = `row ${i + 1}`;
    const text = (c: string) => {
      const v = row[c];
      if (typeof v !== 'string') dataError(path, undefined, `${where}: column "${c}" is ${v === null || v === undefined ? 'missing' : `not text (${typeof v})`}`);
      if (v.trim() === '') dataError(path, undefined, `${where}: empty text in column "${c}"`);
      return v;
    };
    const raw = row[labelCol];
    const num = typeof raw === 'bigint' ? Number(raw) : raw;
    if (typeof num !== 'number' || !Number.isFinite(num)) dataError(path, undefined, `${where}: label ${String(raw)} is not a number`);
    if (space.kind === 'classification' && (!Number.isInteger(num) || num < 0 || num >= space.names.length)) {
      dataError(path, undefined, `${where}: unknown label ${num}${num === -1 ? ' (an unlabeled row: test splits carry no labels)' : ''} (labels: 0..${space.names.length - 1})`);
    }
    if (space.kind === 'regression' && ((space.min !== undefined && num < space.min) || (space.max !== undefined && num > space.max))) {
      dataError(path, undefined, `${where}: label ${num} is outside [${space.min}, ${space.max}]`);
    }
    const ex: Example = { textA: text(cols.textA), label: num };
    if (cols.textB) ex.textB = text(cols.textB);
    return ex;
  });
}

// Hugging Face writes the dataset's features into the parquet metadata under "huggingface";
// its ClassLabel names must be ours, in our order, or every index would mean something else.
function checkClassNames(path: string, kv: Array<{ key: string; value?: string }> | undefined, labelCol: string, space: LabelSpace): void {
  const json = kv?.find((e) => e.key === 'huggingface')?.value;
  if (!json || space.kind !== 'classification') return;
  let names: unknown;
  try {
    const parsed = JSON.parse(json) as { info?: { features?: Record<string, { names?: unknown }> } };
    names = parsed.info?.features?.[labelCol]?.names;
  } catch {
    return; // unreadable metadata is not our data: the rows are still checked
  }
  if (Array.isArray(names) && names.join('\u0000') !== space.names.join('\u0000')) {
    dataError(path, undefined, `label names ${JSON.stringify(names)} differ from pelt's ${JSON.stringify(space.names)}`);
  }
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}
