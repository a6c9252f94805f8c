// `pelt params` end to end, as a user runs it: bin/pelt.js in a subprocess, counting from a BERT-base-shaped
// config.json alone and from a model folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const dir = mkdtempSync(join(tmpdir(), 'pelt-params-'));
const BASE = join(dir, 'config.json');
writeFileSync(BASE, JSON.stringify({ hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072 }));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function pelt(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/pelt.js'), 'params', ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('--json from a BERT-base-shaped config: the spec\'s counts per group', () => {
  const expect: [string[], number, number, number | undefined][] = [
    [['--method', 'bitfit'], 102_912, 0, undefined],
    [['--method', 'lora'], 294_912, 0, undefined],
    [['--method', 'adapter'], 894_528, 0, undefined],
    [['--method', 'prefix'], 9_857_024, 0, 184_320],
    [['--method', 'unipelt-ap'], 894_528 + 9_857_024, 24 * 769, 1_078_848],
    [['--method', 'unipelt-apl'], 894_528 + 9_857_024 + 294_912, 48 * 769, 1_373_760],
  ];
  for (const [args, method, gates, stored] of expect) {
    const r = pelt('--config', BASE, ...args, '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.deepEqual([j.groups.method, j.groups.gates, j.groups.head, j.stored, j.encoder], [method, gates, 1538, stored, 109_482_240], args.join(' '));
  }
});

test('method options and the PEFT-like summary line; LoRA records its scaling', () => {
  const r = pelt('--config', BASE, '--method', 'lora', '--r', '4', '--targets', 'query,key,value', '--alpha', '8', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.groups.method, 12 * 3 * 2 * 4 * 768);
  assert.equal(j.lora_scaling, 2);
  const text = pelt('--config', BASE, '--method', 'unipelt-apl', '--num-labels', '3');
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /^trainable params: 11,085,683 \|\| all params: 120,567,923 \|\| trainable%: 9\.19\d\d\n/);
  assert.match(text.out, /1,373,760 method parameters = 1\.25% of the encoder's 109,482,240/);
});

test('a model folder works too; bad options name the problem', () => {
  const mini = resolve(root, '../shared/models/pelt-bert-mini');
  const r = pelt('--model', mini, '--method', 'lora', '--json');
  assert.equal(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).groups.method, 4 * 2 * 2 * 8 * 256);
  const bad = pelt('--config', BASE, '--method', 'lora', '--targets', 'query,foo');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /lora: targets\.1: Invalid option/);
  assert.equal(pelt('--config', BASE).code, 2);
  assert.equal(pelt('--config', BASE, '--method', 'lora', '--rank', '4').code, 2);
});
