// `pelt fill-mask` end to end, as a user runs it: bin/pelt.js in a subprocess on pelt-bert-tiny.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const TINY = resolve(root, '../shared/models/pelt-bert-tiny');
const reference = JSON.parse(readFileSync(join(root, 'test/fixtures/bert/tiny/inputs.json'), 'utf8')).fill_mask[0] as {
  text: string; top: { id: number; token: string; prob: number }[];
};

function pelt(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/pelt.js'), ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('--json prints the PyTorch reference top-k with probabilities, in the pipeline\'s fields', () => {
  const r = pelt('fill-mask', '--model', TINY, '--top-k', '5', '--json', reference.text);
  assert.equal(r.code, 0, r.err);
  const preds = JSON.parse(r.out) as { score: number; token: number; token_str: string; sequence: string }[];
  assert.deepEqual(preds.map((p) => p.token), reference.top.slice(0, 5).map((t) => t.id));
  preds.forEach((p, i) => assert.ok(Math.abs(p.score - reference.top[i]!.prob) < 1e-5));
  assert.deepEqual(Object.keys(preds[0]!), ['score', 'token', 'token_str', 'sequence']);
  assert.equal(preds[1]!.sequence, 'the capital of france is the.');
});

test('plain output: one line per token with its probability; two masks give two groups', () => {
  const r = pelt('fill-mask', '--model', TINY, reference.text);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split('\n');
  assert.equal(lines.length, 5);
  assert.match(lines[0]!, /^\.\s+0\.0627\s+the capital of france is\.\.$/);
  const two = pelt('fill-mask', '--model', TINY, '-k', '2', '[MASK] capital of france is [MASK].');
  assert.equal(two.code, 0, two.err);
  assert.deepEqual(two.out.trim().split('\n').filter((l) => l.startsWith('[MASK]')), ['[MASK] 1:', '[MASK] 2:']);
});

test('usage errors exit 2 with a one-line reason; help exits 0', () => {
  const cases: [string[], RegExp][] = [
    [['fill-mask', 'text [MASK]'], /--model <dir\|name> is required/],
    [['fill-mask', '--model', TINY, 'no mask here'], /no \[MASK\] token/],
    [['fill-mask', '--model', TINY, '--top-k', '0', 'a [MASK]'], /--top-k must be a positive integer/],
    [['fill-mask', '--model', TINY, '--nope', 'a [MASK]'], /Unknown option '--nope'/],
    [['no-such-command'], /unknown command "no-such-command"/],
    [[], /usage: pelt <command>/],
  ];
  for (const [args, pattern] of cases) {
    const r = pelt(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, pattern);
  }
  const missing = pelt('fill-mask', '--model', join(root, 'test/fixtures/no-such-model'), 'a [MASK]');
  assert.equal(missing.code, 1);
  assert.match(missing.err, /^pelt fill-mask: .*no-such-model/);
  const help = pelt('fill-mask', '--help');
  assert.equal(help.code, 0);
  assert.match(help.out, /--top-k/);
  assert.match(pelt('--help').out, /fill-mask/);
});
