// Model folders from a local path or the Hugging Face Hub, in the Hub's standard cache:
//   <cache>/models--<org>--<name>/{blobs/<etag>, refs/<revision>, snapshots/<commit>/<file> -> blob}
// the layout Python's huggingface_hub uses, so both share one cache. Downloads go through
// @huggingface/hub (downloadFileToCacheDir); pelt adds the refs file, the choice of files, offline
// mode, a progress bar and errors that name the repo.

import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fail, PeltError } from '../util/errors.ts';
import { progressBar } from './progress.ts';

/** What pelt needs from a BERT repo; README, pytorch_model.bin, ONNX and the rest are skipped. */
export const MODEL_FILES = [
  'config.json',
  'model.safetensors',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
] as const;
const REQUIRED = ['config.json', 'model.safetensors'];

export interface ResolveOptions {
  revision?: string; // branch, tag or commit; default "main"
  endpoint?: string; // default $HF_ENDPOINT, else @huggingface/hub's HUB_URL
  cacheDir?: string; // default $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub
  offline?: boolean; // default $HF_HUB_OFFLINE
  token?: string; // default $HF_TOKEN (gated or private repos)
  progress?: boolean; // default: when stderr is a terminal
}

/** A local folder as it is, or the snapshot folder of a Hub repo (downloaded if need be). */
export async function resolveModelDir(nameOrPath: string, opts: ResolveOptions = {}): Promise<string> {
  if (existsSync(nameOrPath)) {
    if (!statSync(nameOrPath).isDirectory()) fail('hub', `${nameOrPath} is a file; expected a model folder or a Hub repo id`);
    return resolve(nameOrPath);
  }
  if (!isRepoId(nameOrPath)) fail('hub', `${nameOrPath}: no such folder, and not a valid Hugging Face repo id`);
  const repo = nameOrPath;
  const revision = opts.revision ?? 'main';
  const cacheDir = opts.cacheDir ?? hubCacheDir();
  const storage = join(cacheDir, `models--${repo.replaceAll('/', '--')}`);

  if (opts.offline ?? envFlag('HF_HUB_OFFLINE')) {
    return cachedSnapshot(storage, revision) ?? fail('hub', `${repo}: not a local folder, and not in the Hub cache (${storage}); HF_HUB_OFFLINE is set, so nothing can be downloaded`);
  }
  const endpoint = await hubEndpoint(opts.endpoint);
  try {
    return await download(repo, revision, cacheDir, storage, endpoint, opts);
  } catch (err) {
    if (err instanceof PeltError) throw err;
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 404) fail('hub', `${repo}: not a local folder, and no such model (or revision "${revision}") on ${endpoint}`);
    if (status === 401 || status === 403) fail('hub', `${repo}: access denied by ${endpoint} (gated or private? set HF_TOKEN)`);
    if (status !== undefined) fail('hub', `${repo}: ${endpoint} answered ${status}: ${(err as Error).message}`);
    if (!(err instanceof TypeError && err.message === 'fetch failed')) fail('hub', `${repo}: download failed: ${(err as Error).message}`);
    // Unreachable hub: like huggingface_hub, fall back to a complete cached snapshot.
    const cached = cachedSnapshot(storage, revision);
    if (cached) {
      process.stderr.write(`pelt: cannot reach ${endpoint} (${describe(err)}); using the cached ${repo}\n`);
      return cached;
    }
    return fail('hub', `${repo}: cannot download from ${endpoint}: ${describe(err)}`);
  }
}

/** HF_HUB_CACHE, else HF_HOME/hub, else $XDG_CACHE_HOME or ~/.cache, then huggingface/hub. */
export function hubCacheDir(): string {
  const env = process.env;
  if (env['HF_HUB_CACHE']) return env['HF_HUB_CACHE'];
  if (env['HUGGINGFACE_HUB_CACHE']) return env['HUGGINGFACE_HUB_CACHE']; // older name, still honoured by huggingface_hub
  if (env['HF_HOME']) return join(env['HF_HOME'], 'hub');
  return join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'huggingface', 'hub');
}

// The Hub's rule: one or two parts of letters, digits, '-', '_', '.', no '--' or '..'.
export function isRepoId(name: string): boolean {
  return /^(?:[A-Za-z0-9][\w.-]{0,95}\/)?[A-Za-z0-9][\w.-]{0,95}$/.test(name) && !/--|\.\./.test(name) && !/[-.]$/.test(name);
}

function envFlag(name: string): boolean {
  return ['1', 'on', 'yes', 'true'].includes((process.env[name] ?? '').toLowerCase());
}

function cachedSnapshot(storage: string, revision: string): string | undefined {
  let commit = revision;
  if (!/^[0-9a-f]{40}$/.test(revision)) {
    const ref = join(storage, 'refs', revision);
    if (!existsSync(ref)) return undefined;
    commit = readFileSync(ref, 'utf8').trim();
  }
  const dir = join(storage, 'snapshots', commit);
  return REQUIRED.every((f) => existsSync(join(dir, f))) ? dir : undefined;
}

async function download(repo: string, revision: string, cacheDir: string, storage: string, endpoint: string, opts: ResolveOptions): Promise<string> {
  const hub = await import('@huggingface/hub'); // loaded only when a download is needed
  const accessToken = opts.token ?? process.env['HF_TOKEN'] ?? undefined;
  const showProgress = opts.progress ?? Boolean(process.stderr.isTTY);
  const fetchFn = showProgress ? fetchWithProgress : fetch;
  const common = { hubUrl: endpoint, accessToken, fetch: fetchFn };

  // One call gives the commit the revision points at and the repo's file list.
  const info = await hub.modelInfo({ ...common, name: repo, revision, additionalFields: ['sha', 'filePaths'] });
  const commit = info.sha;
  if (!/^[0-9a-f]{40}$/.test(commit ?? '')) fail('hub', `${repo}: ${endpoint} gave no commit for revision "${revision}"`);
  const files = new Set(info.filePaths ?? []);
  for (const f of REQUIRED) {
    if (files.has(f)) continue;
    const hint = f === 'model.safetensors' && files.has('model.safetensors.index.json') ? ' (sharded checkpoints are not supported)' : f === 'model.safetensors' ? ' (pelt reads safetensors only)' : '';
    fail('hub', `${repo}: the repo has no ${f}${hint}`);
  }
  if (!files.has('tokenizer.json') && !files.has('vocab.txt')) fail('hub', `${repo}: the repo has neither tokenizer.json nor vocab.txt`);

  if (revision !== commit) {
    const ref = join(storage, 'refs', revision); // "refs/pr/1" nests, as in huggingface_hub
    mkdirSync(dirname(ref), { recursive: true });
    writeFileSync(ref, commit);
  }
  // @huggingface/hub announces each download with console.debug, which goes to stdout; keep
  // stdout for pelt's own output (e.g. --json) while it runs.
  const debug = console.debug;
  console.debug = () => {};
  try {
    for (const path of MODEL_FILES.filter((f) => files.has(f))) {
      await hub.downloadFileToCacheDir({ ...common, repo: { type: 'model', name: repo }, path, revision: commit, cacheDir });
    }
  } finally {
    console.debug = debug;
  }
  return join(storage, 'snapshots', commit);
}

// Counts the bytes of file downloads (…/resolve/… without a Range header) into a bar per file
// (also used by data/hub-glue.ts for dataset files).
export const fetchWithProgress: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  if (!res.ok || !res.body || !url.includes('/resolve/') || new Headers(init?.headers).has('Range')) return res;
  const total = Number(res.headers.get('content-length')) || undefined;
  const bar = progressBar(decodeURIComponent(url.split('/').at(-1) ?? url), total);
  const counted = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctl) {
        bar.tick(chunk.byteLength);
        ctl.enqueue(chunk);
      },
      flush() {
        bar.done();
      },
    }),
  );
  return new Response(counted, { status: res.status, statusText: res.statusText, headers: res.headers });
};

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}

/** The Hub's base URL: the option, else $HF_ENDPOINT (how tests point at a local server), else the library default. */
export async function hubEndpoint(option?: string): Promise<string> {
  const url = option ?? process.env['HF_ENDPOINT'] ?? (await import('@huggingface/hub')).HUB_URL;
  return url.replace(/\/+$/, '');
}
