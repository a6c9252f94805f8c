// resolveModelDir against a local stand-in for the Hub (127.0.0.1, random port): the real network
// is never used. The server speaks the endpoints @huggingface/hub calls: model info, paths-info and
// resolve (with the Range probe, ETag and X-Repo-Commit headers).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRepoId, resolveModelDir } from '../../src/io/hub.ts';
import { progressBar } from '../../src/io/progress.ts';
import { parseSafetensors, serializeSafetensors } from '../../src/io/safetensors.ts';
import { PeltError } from '../../src/util/errors.ts';
import { downloadsOf, sendHubFile, sendHubNotFound, startHubServer, type HubServer } from '../helpers/hub-server.ts';

const REPO = 'pelt-test/tiny-bert';
const COMMIT = 'a'.repeat(8) + '0123456789abcdef0123456789abcdef';
const enc = new TextEncoder();

// A tiny repo; README.md and pytorch_model.bin are listed but must not be downloaded.
const FILES: Record<string, Uint8Array> = {
  'config.json': enc.encode(JSON.stringify({ model_type: 'bert', hidden_size: 4, num_attention_heads: 2 })),
  'model.safetensors': serializeSafetensors({ 'bert.pooler.dense.bias': { shape: [4], data: new Float32Array([1, 2, 3, 4]) } }, { format: 'pt' }),
  'vocab.txt': enc.encode('[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n'),
  'README.md': enc.encode('# tiny\n'),
  'pytorch_model.bin': enc.encode('not a pickle'),
};
const LFS = new Set(['model.safetensors', 'pytorch_model.bin']);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const gitOid = (b: Uint8Array) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const etag = (f: string) => (LFS.has(f) ? sha256(FILES[f]!) : gitOid(FILES[f]!));

const repos: Record<string, Record<string, Uint8Array>> = {
  [REPO]: FILES,
  'pelt-test/no-safetensors': { 'config.json': FILES['config.json']!, 'pytorch_model.bin': FILES['pytorch_model.bin']!, 'vocab.txt': FILES['vocab.txt']! },
};

let hub: HubServer;
let endpoint: string;
let requests: string[];

before(async () => {
  hub = await startHubServer((req, res, path) => {
    let m = /^\/api\/models\/(.+)\/revision\/([^/]+)$/.exec(path);
    if (m && repos[m[1]!]) {
      res.setHeader('Content-Type', 'application/json');
      const siblings = Object.keys(repos[m[1]!]!).map((rfilename) => ({ rfilename }));
      return res.end(JSON.stringify({ _id: 'x', id: m[1], sha: COMMIT, siblings, private: false, gated: false, downloads: 0, likes: 0, lastModified: '2024-01-01T00:00:00.000Z' }));
    }
    m = /^\/api\/models\/(.+)\/paths-info\/([^/]+)$/.exec(path);
    if (m && req.method === 'POST' && repos[m[1]!]) {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const files = repos[m![1]!]!;
        const paths: string[] = JSON.parse(body).paths;
        const out = paths.filter((p) => files[p]).map((p) => ({
          type: 'file', path: p, oid: gitOid(files[p]!), size: files[p]!.length,
          ...(LFS.has(p) ? { lfs: { oid: sha256(files[p]!), size: files[p]!.length, pointerSize: 130 } } : {}),
          lastCommit: { id: COMMIT, title: 'add', date: '2024-01-01T00:00:00.000Z' },
        }));
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(out));
      });
      return;
    }
    m = /^\/(.+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const body = m && repos[m[1]!]?.[m[3]!];
    if (m && body) return sendHubFile(req, res, body, etag(m[3]!), COMMIT);
    sendHubNotFound(res, !!m);
  });
  ({ endpoint, requests } = hub);
});

after(() => hub.server.close());

const tempCache = () => mkdtempSync(join(tmpdir(), 'pelt-hub-'));
const isHubError = (re: RegExp) => (e: unknown) => e instanceof PeltError && e.code === 'hub' && re.test(e.message);
const downloads = () => downloadsOf(requests);

test('downloads into the Hugging Face cache layout, then serves offline from it', async () => {
  const cache = tempCache();
  try {
    requests.length = 0;
    const dir = await resolveModelDir(REPO, { endpoint, cacheDir: cache, offline: false, progress: false });
    const storage = join(cache, 'models--pelt-test--tiny-bert');
    assert.equal(dir, join(storage, 'snapshots', COMMIT));
    assert.equal(readFileSync(join(storage, 'refs', 'main'), 'utf8'), COMMIT);
    assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'model.safetensors', 'vocab.txt']);
    for (const f of ['config.json', 'model.safetensors', 'vocab.txt']) {
      assert.ok(lstatSync(join(dir, f)).isSymbolicLink(), `${f} is a link into blobs/`);
      assert.equal(readlinkSync(join(dir, f)), join('..', '..', 'blobs', etag(f)));
      assert.deepEqual(new Uint8Array(readFileSync(join(dir, f))), FILES[f]);
    }
    assert.deepEqual(readdirSync(join(storage, 'blobs')).sort(), ['config.json', 'model.safetensors', 'vocab.txt'].map(etag).sort());
    assert.deepEqual([...parseSafetensors(readFileSync(join(dir, 'model.safetensors')), 'm').tensors.get('bert.pooler.dense.bias')!.data], [1, 2, 3, 4]);
    assert.equal(downloads().length, 3);
    assert.ok(!requests.some((r) => r.includes('README.md') || r.includes('pytorch_model.bin')));

    // Online again: the files are cached, nothing is downloaded twice.
    requests.length = 0;
    assert.equal(await resolveModelDir(REPO, { endpoint, cacheDir: cache, offline: false, progress: false }), dir);
    assert.equal(downloads().length, 0);

    // Offline (option, then HF_HUB_OFFLINE=1 with HF_HUB_CACHE): no request at all.
    requests.length = 0;
    assert.equal(await resolveModelDir(REPO, { endpoint, cacheDir: cache, offline: true }), dir);
    const saved = { offline: process.env['HF_HUB_OFFLINE'], cache: process.env['HF_HUB_CACHE'] };
    process.env['HF_HUB_OFFLINE'] = '1';
    process.env['HF_HUB_CACHE'] = cache;
    try {
      assert.equal(await resolveModelDir(REPO, { endpoint }), dir);
    } finally {
      restore('HF_HUB_OFFLINE', saved.offline);
      restore('HF_HUB_CACHE', saved.cache);
    }
    assert.deepEqual(requests, []);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test('offline with an empty cache names the repo', async () => {
  const cache = tempCache();
  try {
    await assert.rejects(resolveModelDir(REPO, { endpoint, cacheDir: cache, offline: true }), isHubError(/pelt-test\/tiny-bert: not a local folder, and not in the Hub cache .*HF_HUB_OFFLINE is set/));
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test('HF_ENDPOINT picks the endpoint; unknown repos and repos without safetensors fail clearly', async () => {
  const cache = tempCache();
  const saved = process.env['HF_ENDPOINT'];
  process.env['HF_ENDPOINT'] = endpoint;
  try {
    const dir = await resolveModelDir(REPO, { cacheDir: cache, offline: false, progress: false });
    assert.ok(existsSync(join(dir, 'config.json')));
    await assert.rejects(resolveModelDir('pelt-test/missing', { cacheDir: cache, offline: false }), isHubError(/pelt-test\/missing: not a local folder, and no such model .* on http:\/\/127\.0\.0\.1/));
    await assert.rejects(resolveModelDir('pelt-test/no-safetensors', { cacheDir: cache, offline: false }), isHubError(/no-safetensors: the repo has no model\.safetensors \(pelt reads safetensors only\)/));
  } finally {
    restore('HF_ENDPOINT', saved);
    rmSync(cache, { recursive: true, force: true });
  }
});

test('unreachable endpoint: cached snapshot is used, else a clear error', async () => {
  const closed = createServer();
  await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
  const dead = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise((ok) => closed.close(ok));
  const cache = tempCache();
  try {
    await assert.rejects(resolveModelDir(REPO, { endpoint: dead, cacheDir: cache, offline: false }), isHubError(/pelt-test\/tiny-bert: cannot download from http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/));
    const dir = await resolveModelDir(REPO, { endpoint, cacheDir: cache, offline: false, progress: false });
    const write = process.stderr.write;
    let warned = '';
    process.stderr.write = ((s: string) => ((warned += s), true)) as typeof process.stderr.write;
    try {
      assert.equal(await resolveModelDir(REPO, { endpoint: dead, cacheDir: cache, offline: false }), dir);
    } finally {
      process.stderr.write = write;
    }
    assert.match(warned, /cannot reach .*using the cached pelt-test\/tiny-bert/);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test('local folders are returned as they are; bad names are refused', async () => {
  const cache = tempCache();
  try {
    requests.length = 0;
    assert.equal(await resolveModelDir(cache, { endpoint }), cache);
    assert.deepEqual(requests, []);
    await assert.rejects(resolveModelDir('./no/such/folder', { endpoint }), isHubError(/no such folder, and not a valid Hugging Face repo id/));
    for (const ok of ['bert-base-uncased', 'google/bert_uncased_L-2_H-128_A-2', 'org/model.v1']) assert.ok(isRepoId(ok), ok);
    for (const bad of ['a/b/c', '/abs/path', 'org--x/y', 'x..y', 'a/', '-a', 'a b']) assert.ok(!isRepoId(bad), bad);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test('downloads draw a progress bar per file on a terminal stderr', async () => {
  const cache = tempCache();
  const { write } = process.stderr;
  const wasTTY = process.stderr.isTTY;
  let out = '';
  process.stderr.write = ((s: string) => ((out += s), true)) as typeof process.stderr.write;
  process.stderr.isTTY = true;
  try {
    await resolveModelDir(REPO, { endpoint, cacheDir: cache, offline: false, progress: true });
  } finally {
    process.stderr.write = write;
    process.stderr.isTTY = wasTTY;
    rmSync(cache, { recursive: true, force: true });
  }
  for (const f of ['config.json', 'model.safetensors', 'vocab.txt']) assert.match(out, new RegExp(`${f.replace('.', '\\.')} \\[#+\\] 100%`));
});

test('progress bar: drawn on a terminal, silent otherwise', () => {
  let out = '';
  const tty = { isTTY: true, columns: 80, write: (s: string) => (out += s) };
  const bar = progressBar('model.safetensors', 2_000_000, tty);
  bar.tick(1_000_000);
  bar.tick(1_000_000);
  bar.done();
  assert.match(out, /model\.safetensors \[#+\] 100% 2\.0\/2\.0 MB/);
  assert.ok(out.endsWith('\n'));
  let quiet = '';
  const pipe = { isTTY: false, write: (s: string) => (quiet += s) };
  const silent = progressBar('x', 10, pipe);
  silent.tick(10);
  silent.done();
  assert.equal(quiet, '');
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
