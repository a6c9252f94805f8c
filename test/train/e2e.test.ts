// End to end on pelt-bert-tiny: train, kill the process mid-run, run the same command again, and end with
// exactly the numbers of an uninterrupted run; then evaluate and predict from the saved adapter. Also the
// NaN stop and config validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shared = join(root, '..', 'shared');
const tiny = join(shared, 'models', 'pelt-bert-tiny');
const skip = existsSync(join(tiny, 'model.safetensors')) && existsSync(join(shared, 'data', 'glue', 'SST-2')) ? false : 'needs ../shared (pelt-bert-tiny and GLUE SST-2)';
const bin = join(root, 'bin', 'pelt.js');
const tmp = () => mkdtempSync(join(tmpdir(), 'pelt-e2e-'));

const args = (out: string, extra: string[] = []) => [
  'train', '--model', tiny, '--task', 'SST-2', '--k', '48', '--dev-size', '32', '--data-dir', join(shared, 'data'),
  '--method', 'unipelt-apl', '--epochs', '6', '--max-length', '24', '--padding', 'longest', '--eval-every', '2',
  '--output', out, ...extra,
];

const pelt = (argv: string[], input?: string) => spawnSync(process.execPath, [bin, ...argv], { cwd: root, encoding: 'utf8', input, env: { ...process.env, PELT_NUM_THREADS: '1' } });

const stable = (out: string) => {
  const r = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  delete r.seconds;
  delete r.output;
  const timeline = readFileSync(join(out, 'timeline.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const e = JSON.parse(l);
    delete e.seconds;
    return e;
  });
  return { r, timeline, adapter: readFileSync(join(out, 'adapter', 'adapter_model.safetensors')) };
};

async function killMidRun(out: string, atStep: number): Promise<number> {
  const child = spawn(process.execPath, [bin, ...args(out)], { cwd: root, stdio: 'ignore', env: { ...process.env, PELT_NUM_THREADS: '1' } });
  const state = join(out, 'checkpoint', 'state.json');
  return await new Promise((res, rej) => {
    const timer = setInterval(() => {
      try {
        if (!existsSync(state)) return;
        const s = JSON.parse(readFileSync(state, 'utf8'));
        if (s.step >= atStep) {
          clearInterval(timer);
          child.kill('SIGKILL');
          res(s.step);
        }
      } catch { /* caught mid-rename: try again */ }
    }, 5);
    child.on('exit', () => {
      clearInterval(timer);
      rej(new Error('the run ended before it could be killed'));
    });
  });
}

test('train, kill -9, resume: the same numbers as an uninterrupted run; eval and predict from the adapter', { skip, timeout: 600_000 }, async () => {
  const a = tmp(), b = tmp();
  const full = pelt(args(a));
  assert.equal(full.status, 0, full.stderr);
  const killedAt = await killMidRun(b, 4);
  assert.ok(killedAt >= 4);
  const st = JSON.parse(readFileSync(join(b, 'checkpoint', 'state.json'), 'utf8'));
  assert.equal(st.status, 'running', 'killed before it finished');
  const resumed = pelt(args(b));
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming from step \d+/);
  const x = stable(a), y = stable(b);
  assert.deepEqual(y.r, x.r);
  assert.deepEqual(y.timeline, x.timeline);
  assert.ok(y.adapter.equals(x.adapter), 'adapter files are byte-identical');
  assert.deepEqual(JSON.parse(readFileSync(join(a, 'adapter', 'labels.json'), 'utf8')), { kind: 'classification', names: ['negative', 'positive'] });
  assert.equal(x.timeline.length >= 9, true);

  // running the finished command again changes nothing and reports the results
  const again = pelt([...args(b), '--json']);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).testSelection, x.r.testSelection);

  const ev = pelt(['eval', '--run', a, '--json']);
  assert.equal(ev.status, 0, ev.stderr);
  assert.equal(JSON.parse(ev.stdout).metrics.accuracy, x.r.test.accuracy, 'eval from the saved adapter reproduces the test number');
  const pr = pelt(['predict', '--run', a, '--json', 'a wonderful, moving film']);
  assert.equal(pr.status, 0, pr.stderr);
  const p = JSON.parse(pr.stdout);
  assert.ok(['negative', 'positive'].includes(p.label));
  assert.ok(Math.abs(p.probabilities.negative + p.probabilities.positive - 1) < 1e-6);
  const many = pelt(['predict', '--run', a, '--stdin', '--json'], 'great\nawful\n');
  assert.equal(JSON.parse(many.stdout).length, 2);
  // gate values per layer were recorded for the gated method
  assert.ok(Object.keys(x.r.gates).includes('0.adapter'));
});

test('a NaN loss stops the run with a clear message and keeps the last good checkpoint', { skip, timeout: 300_000 }, () => {
  const out = tmp();
  const r = pelt(['train', '--model', tiny, '--task', 'SST-2', '--k', '32', '--dev-size', '16', '--data-dir', join(shared, 'data'),
    '--method', 'full', '--epochs', '3', '--max-length', '16', '--padding', 'longest', '--eval-every', '1', '--lr', '1e30', '--output', out]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /training stopped: the (loss|gradient norm) is (NaN|Infinity|-Infinity) at step (\d+).*last good checkpoint \(step \d+\)/s);
  const st = JSON.parse(readFileSync(join(out, 'checkpoint', 'state.json'), 'utf8'));
  assert.equal(st.status, 'running');
  assert.ok(existsSync(join(out, 'checkpoint', st.files.params)));
});

test('config files are validated: unknown keys and missing data are named', { skip }, () => {
  const dir = tmp();
  const cfg = join(dir, 'run.json');
  writeFileSync(cfg, JSON.stringify({ model: tiny, task: 'SST-2', output: join(dir, 'o'), learning_rate: 1 }));
  const r = pelt(['train', '--config', cfg]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /learning_rate/);
  writeFileSync(cfg, JSON.stringify({ model: tiny, output: join(dir, 'o') }));
  const r2 = pelt(['train', '--config', cfg]);
  assert.match(r2.stderr, /either "task".*or "data"/);
  const r3 = pelt(['train', '--model', tiny, '--task', 'NOPE', '--output', join(dir, 'p')]);
  assert.notEqual(r3.status, 0);
  assert.match(r3.stderr, /NOPE/);
});

test('Child-Tuning D and F through pelt train: Fisher mask saved with its threshold, F runs', { skip, timeout: 300_000 }, () => {
  const base = ['train', '--model', tiny, '--task', 'SST-2', '--k', '32', '--dev-size', '16', '--data-dir', join(shared, 'data'),
    '--method', 'full', '--epochs', '1', '--max-length', '16', '--padding', 'longest', '--protocol', 'unipelt-low-resource'];
  const d = tmp();
  const r = pelt([...base, '--child-tuning', 'D', '--child-p', '0.3', '--output', d]);
  assert.equal(r.status, 0, r.stderr);
  const m = /child network of (\d+) of (\d+) candidate weights/.exec(r.stderr)!;
  assert.ok(m, r.stderr);
  const kept = Number(m[1]), cand = Number(m[2]);
  assert.ok(kept >= Math.floor(0.3 * cand) && kept <= 0.3 * cand + 0.001 * cand, `${kept} of ${cand}`);
  const header = readFileSync(join(d, 'child-mask.safetensors'));
  const meta = JSON.parse(JSON.parse(header.subarray(8, 8 + Number(header.readBigUInt64LE(0))).toString('utf8')).__metadata__['pelt.child_tuning']);
  assert.equal(meta.network, 'fisher');
  assert.equal(typeof meta.threshold, 'number');
  const f = pelt([...base, '--child-tuning', 'F', '--output', tmp()]);
  assert.equal(f.status, 0, f.stderr);
});

test('pelt overlap: the Jaccard matrix of two tasks\' Child-Tuning_D child networks', { skip, timeout: 300_000 }, () => {
  const runs = ['SST-2', 'RTE'].map((task) => {
    const out = tmp();
    const r = pelt(['train', '--model', tiny, '--task', task, '--k', '32', '--dev-size', '16', '--data-dir', join(shared, 'data'),
      '--method', 'full', '--epochs', '1', '--max-length', '16', '--padding', 'longest', '--child-tuning', 'D', '--output', out]);
    assert.equal(r.status, 0, r.stderr);
    return out;
  });
  const r = pelt(['overlap', '--json', ...runs]);
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout);
  assert.deepEqual(o.tasks, ['SST-2', 'RTE']);
  assert.equal(o.matrix[0][0], 1);
  assert.equal(o.matrix[0][1], o.matrix[1][0]);
  assert.ok(o.matrix[0][1] > 0 && o.matrix[0][1] < 1, `Jaccard ${o.matrix[0][1]}`);
  const md = pelt(['overlap', ...runs]);
  assert.match(md.stdout, /\| \*\*SST-2\*\* \| 1\.000 \|/);
  const bad = pelt(['overlap', runs[0]!]);
  assert.equal(bad.status, 2);
});
