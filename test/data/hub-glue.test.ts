// GLUE from the Hub against a local stand-in (127.0.0.1, random port; the network is never used):
// the server speaks the endpoints @huggingface/hub calls for datasets (revision info, tree listing,
// paths-info, resolve with the Range probe) and serves tiny parquet files written here with
// hyparquet-writer, snappy-compressed and with Hugging Face's feature metadata, like nyu-mll/glue's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { loadGlueTask } from '../../src/data/glue/load.ts';
import { glueParquetFiles, loadHubTask, readParquetExamples } from '../../src/data/hub-glue.ts';
import { DataError } from '../../src/data/read.ts';
import { PeltError } from '../../src/util/errors.ts';
import { tempFiles } from './helpers.ts';
import { downloadsOf, sendHubFile, sendHubNotFound, startHubServer, type HubServer } from '../helpers/hub-server.ts';

const REPO = 'nyu-mll/glue';
const COMMIT = 'c0ffee00'.repeat(5);

const features = (label: object, text: Record<string, object>) => JSON.stringify({ info: { features: { ...text, label, idx: { dtype: 'int32', _type: 'Value' } } } });
const STRING = { dtype: 'string', _type: 'Value' };
function parquet(text: Record<string, string[]>, labels: Array<number | bigint>, label: object, float = false): Uint8Array {
  const columnData = [
    ...Object.entries(text).map(([name, data]) => ({ name, data, type: 'STRING' as const })),
    float ? { name: 'label', data: labels as number[], type: 'FLOAT' as const } : { name: 'label', data: labels.map((l) => BigInt(l)), type: 'INT64' as const },
    { name: 'idx', data: labels.map((_, i) => i), type: 'INT32' as const },
  ];
  const kv = [{ key: 'huggingface', value: features(label, Object.fromEntries(Object.keys(text).map((k) => [k, STRING]))) }];
  return new Uint8Array(parquetWriteBuffer({ columnData, kvMetadata: kv }));
}
const SST_LABEL = { names: ['negative', 'positive'], _type: 'ClassLabel' };
const MNLI_LABEL = { names: ['entailment', 'neutral', 'contradiction'], _type: 'ClassLabel' };

const FILES: Record<string, Uint8Array> = {
  'README.md': new TextEncoder().encode('# GLUE\n'),
  'sst2/train-00000-of-00001.parquet': parquet({ sentence: ['a gripping film', 'dull and long', 'a joy'] }, [1, 0, 1], SST_LABEL),
  'sst2/validation-00000-of-00001.parquet': parquet({ sentence: ['not bad at all'] }, [1], SST_LABEL),
  'sst2/test-00000-of-00001.parquet': parquet({ sentence: ['unknown'] }, [-1], SST_LABEL),
  // Two shards: both are read, in order.
  'mnli/train-00000-of-00002.parquet': parquet({ premise: ['A man eats.'], hypothesis: ['Someone eats.'] }, [0], MNLI_LABEL),
  'mnli/train-00001-of-00002.parquet': parquet({ premise: ['A dog runs.'], hypothesis: ['A cat sleeps.'] }, [2], MNLI_LABEL),
  'mnli/validation_matched-00000-of-00001.parquet': parquet({ premise: ['P.'], hypothesis: ['H.'] }, [1], MNLI_LABEL),
  'stsb/train-00000-of-00001.parquet': parquet({ sentence1: ['A plane.'], sentence2: ['An air plane.'] }, [4.75], {}, true),
  'stsb/validation-00000-of-00001.parquet': parquet({ sentence1: ['x'], sentence2: ['y'] }, [0.5], {}, true),
  // Broken on purpose: labels in another order, unlabeled rows, an empty text, a missing split.
  'rte/train-00000-of-00001.parquet': parquet({ sentence1: ['a'], sentence2: ['b'] }, [0], { names: ['not_entailment', 'entailment'], _type: 'ClassLabel' }),
  'rte/validation-00000-of-00001.parquet': parquet({ sentence1: ['a'], sentence2: ['b'] }, [0], { names: ['not_entailment', 'entailment'], _type: 'ClassLabel' }),
  'wnli/train-00000-of-00001.parquet': parquet({ sentence1: ['a', 'b'], sentence2: ['c', 'd'] }, [1, -1], { names: ['not_entailment', 'entailment'], _type: 'ClassLabel' }),
  'wnli/validation-00000-of-00001.parquet': parquet({ sentence1: ['a'], sentence2: ['b'] }, [0], { names: ['not_entailment', 'entailment'], _type: 'ClassLabel' }),
  'qnli/train-00000-of-00001.parquet': parquet({ question: ['q?', ' '], sentence: ['s.', 't.'] }, [0, 1], { names: ['entailment', 'not_entailment'], _type: 'ClassLabel' }),
  'qnli/validation-00000-of-00001.parquet': parquet({ question: ['q?'], sentence: ['s.'] }, [0], { names: ['entailment', 'not_entailment'], _type: 'ClassLabel' }),
  'cola/train-00000-of-00001.parquet': parquet({ sentence: ['Fine.'] }, [1], { names: ['unacceptable', 'acceptable'], _type: 'ClassLabel' }),
};
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const isLfs = (p: string) => p.endsWith('.parquet');
const etag = (p: string) => (isLfs(p) ? sha256(FILES[p]!) : createHash('sha1').update(`blob ${FILES[p]!.length}\0`).update(FILES[p]!).digest('hex'));

let hub: HubServer;
let endpoint: string;
let requests: string[];

before(async () => {
  hub = await startHubServer((req, res, path) => {
    const json = (body: unknown) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(body));
    };
    let m = /^\/api\/datasets\/(.+)\/revision\/([^/]+)$/.exec(path);
    if (m && m[1] === REPO) return json({ _id: 'x', id: REPO, sha: COMMIT, private: false, gated: false, downloads: 0, likes: 0, lastModified: '2024-01-01T00:00:00.000Z' });
    m = /^\/api\/datasets\/(.+)\/tree\/([^/]+)\/(.+)$/.exec(path);
    if (m && m[1] === REPO) {
      const files = Object.keys(FILES).filter((f) => f.startsWith(`${m![3]}/`));
      return json(files.map((f) => ({ type: 'file', path: f, oid: etag(f), size: FILES[f]!.length })));
    }
    m = /^\/api\/datasets\/(.+)\/paths-info\/([^/]+)$/.exec(path);
    if (m && req.method === 'POST' && m[1] === REPO) {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const paths: string[] = JSON.parse(body).paths;
        json(paths.filter((p) => FILES[p]).map((p) => ({
          type: 'file', path: p, oid: etag(p), size: FILES[p]!.length,
          ...(isLfs(p) ? { lfs: { oid: sha256(FILES[p]!), size: FILES[p]!.length, pointerSize: 130 } } : {}),
          lastCommit: { id: COMMIT, title: 'add', date: '2024-01-01T00:00:00.000Z' },
        })));
      });
      return;
    }
    m = /^\/datasets\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const body = m && m[1] === REPO ? FILES[m[3]!] : undefined;
    if (m && body) return sendHubFile(req, res, body, etag(m[3]!), COMMIT);
    sendHubNotFound(res, !!m);
  });
  ({ endpoint, requests } = hub);
});

after(() => hub.server.close());

const downloads = () => downloadsOf(requests);
const hubError = (re: RegExp) => (e: unknown) => e instanceof PeltError && e.code === 'hub' && re.test(e.message);

test('SST-2 from the Hub: downloaded into the HF cache layout, read with hyparquet, then served offline', async () => {
  const t = tempFiles();
  try {
    requests.length = 0;
    const data = await loadHubTask('sst2', { endpoint, cacheDir: t.dir, offline: false, progress: false });
    assert.deepEqual(data.train, [{ textA: 'a gripping film', label: 1 }, { textA: 'dull and long', label: 0 }, { textA: 'a joy', label: 1 }]);
    assert.deepEqual(data.test, [{ textA: 'not bad at all', label: 1 }]);
    assert.deepEqual([data.layout, data.testSplit, data.testIsHeldOut, data.trainIsSample], ['hub', 'validation', false, false]);
    assert.equal(data.source, `hf://datasets/${REPO}@${COMMIT}/sst2`);
    const storage = join(t.dir, 'datasets--nyu-mll--glue');
    assert.equal(readFileSync(join(storage, 'refs', 'main'), 'utf8'), COMMIT);
    const file = join(storage, 'snapshots', COMMIT, 'sst2', 'train-00000-of-00001.parquet');
    assert.ok(lstatSync(file).isSymbolicLink(), 'a link into blobs/, as huggingface_hub lays it out');
    assert.ok(existsSync(join(storage, 'blobs', etag('sst2/train-00000-of-00001.parquet'))));
    assert.deepEqual(downloads().map((r) => r.split('/').at(-1)), ['train-00000-of-00001.parquet', 'validation-00000-of-00001.parquet'], 'only train and validation (not the unlabeled test split)');

    requests.length = 0;
    const again = await loadHubTask('sst2', { endpoint, cacheDir: t.dir, offline: true });
    assert.deepEqual(again.train, data.train);
    assert.deepEqual(requests, [], 'offline: no request at all');
    await loadHubTask('sst2', { endpoint, cacheDir: t.dir, offline: false, progress: false });
    assert.equal(downloads().length, 0, 'online again: nothing downloaded twice');
  } finally {
    t.cleanup();
  }
});

test('MNLI: two train shards in order, validation_matched as test; STS-B float labels', async () => {
  const t = tempFiles();
  try {
    const mnli = await loadHubTask('MNLI', { endpoint, cacheDir: t.dir, offline: false, progress: false });
    assert.deepEqual(mnli.train, [{ textA: 'A man eats.', textB: 'Someone eats.', label: 0 }, { textA: 'A dog runs.', textB: 'A cat sleeps.', label: 2 }]);
    assert.deepEqual(mnli.test, [{ textA: 'P.', textB: 'H.', label: 1 }]);
    assert.equal(mnli.testSplit, 'validation_matched');
    const stsb = await loadHubTask('stsb', { endpoint, cacheDir: t.dir, offline: false, progress: false });
    assert.deepEqual(stsb.train, [{ textA: 'A plane.', textB: 'An air plane.', label: 4.75 }]);
  } finally {
    t.cleanup();
  }
});

test('loadGlueTask: a local copy wins; without one it downloads (HF_ENDPOINT); SNLI is local only', async () => {
  const t = tempFiles({ 'data/glue/SST-2/train.tsv': 'sentence\tlabel\nlocal one \t0\n', 'data/glue/SST-2/dev.tsv': 'sentence\tlabel\nlocal two \t1\n' });
  const saved = process.env['HF_ENDPOINT'];
  process.env['HF_ENDPOINT'] = endpoint;
  try {
    requests.length = 0;
    const local = await loadGlueTask('sst2', { dataDirs: [t.path('data')], hub: { cacheDir: t.path('cache'), offline: false } });
    assert.equal(local.layout, 'official');
    assert.deepEqual(requests, []);
    const hub = await loadGlueTask('mnli', { dataDirs: [t.path('data')], hub: { cacheDir: t.path('cache'), offline: false, progress: false } });
    assert.equal(hub.layout, 'hub');
    assert.equal(hub.train.length, 2);
    await assert.rejects(loadGlueTask('snli', { dataDirs: [t.path('data')] }), /no local copy of SNLI .* not on the Hub's GLUE/);
  } finally {
    if (saved === undefined) delete process.env['HF_ENDPOINT'];
    else process.env['HF_ENDPOINT'] = saved;
    t.cleanup();
  }
});

test('bad parquet data is refused with file, row and reason', async () => {
  const t = tempFiles();
  const dataError = (re: RegExp) => (e: unknown) => e instanceof DataError && e.code === 'data' && e.file.endsWith('.parquet') && re.test(e.reason);
  try {
    const opts = { endpoint, cacheDir: t.dir, offline: false, progress: false };
    await assert.rejects(loadHubTask('rte', opts), dataError(/^label names \["not_entailment","entailment"\] differ from pelt's \["entailment","not_entailment"\]$/));
    await assert.rejects(loadHubTask('wnli', opts), dataError(/^row 2: unknown label -1 \(an unlabeled row: test splits carry no labels\) \(labels: 0\.\.1\)$/));
    await assert.rejects(loadHubTask('qnli', opts), dataError(/^row 2: empty text in column "question"$/));
    await assert.rejects(loadHubTask('cola', opts), hubError(/nyu-mll\/glue: no parquet files for cola\/validation at c0ffee00/));
    const dir = (await glueParquetFiles('sst2', ['test'], opts)).splits['test']!;
    await assert.rejects(readParquetExamples(dir[0]!, { textA: 'sentence', textB: 'sentence2', labels: { kind: 'classification', names: ['a', 'b'] } }), dataError(/^missing column "sentence2" \(columns: sentence, label, idx\)$/));
    const notParquet = tempFiles({ 'x.parquet': 'sentence\tlabel\n' });
    try {
      await assert.rejects(readParquetExamples(notParquet.path('x.parquet'), { textA: 'sentence', labels: { kind: 'regression' } }), dataError(/^not a parquet file/));
    } finally {
      notParquet.cleanup();
    }
  } finally {
    t.cleanup();
  }
});

test('offline with an empty cache, an unreachable endpoint, and a progress bar on a terminal', async () => {
  const t = tempFiles();
  const closed = createServer();
  await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
  const dead = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise((ok) => closed.close(ok));
  const { write } = process.stderr;
  const wasTTY = process.stderr.isTTY;
  let err = '';
  try {
    await assert.rejects(loadHubTask('sst2', { endpoint, cacheDir: t.dir, offline: true }), hubError(/nyu-mll\/glue \(sst2\): not in the Hub cache .* HF_HUB_OFFLINE is set/));
    await assert.rejects(loadHubTask('sst2', { endpoint: dead, cacheDir: t.dir, offline: false }), hubError(/cannot download from http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/));
    process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
    process.stderr.isTTY = true;
    await loadHubTask('sst2', { endpoint, cacheDir: t.dir, offline: false, progress: true });
    const cached = await loadHubTask('sst2', { endpoint: dead, cacheDir: t.dir, offline: false });
    assert.equal(cached.train.length, 3);
  } finally {
    process.stderr.write = write;
    process.stderr.isTTY = wasTTY;
    t.cleanup();
  }
  assert.match(err, /train-00000-of-00001\.parquet \[#+\] 100%/);
  assert.match(err, /validation-00000-of-00001\.parquet \[#+\] 100%/);
  assert.match(err, /cannot reach .*; using the cached nyu-mll\/glue \(sst2\)/);
});
