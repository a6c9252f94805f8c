// Without the built addon (a copy of the sources with no build/), pelt says once why and runs on js;
// asking for native explicitly is a clear 'native' error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function copyWithoutAddon(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pelt-nonative-'));
  cpSync(join(root, 'src'), join(dir, 'src'), { recursive: true });
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  writeFileSync(join(dir, 'binding.gyp'), '{}');
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

const script = `
import * as T from './src/tensor/index.ts';
const a = T.tensor([1, 2, 3, 4], [2, 2]);
const y = T.matmul(a, a);
const z = T.add(y, y);
console.log(JSON.stringify({ backend: T.backendName(), y: z.toArray() }));
`;

test('a missing native addon: one warning naming the fix, then the js backend computes', () => {
  const dir = copyWithoutAddon();
  writeFileSync(join(dir, 'probe.ts'), script);
  const env = { ...process.env };
  delete env.PELT_BACKEND;
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'probe.ts'], { cwd: dir, encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.backend, 'js');
  assert.deepEqual(out.y, [14, 20, 30, 44]);
  const warnings = r.stderr.split('\n').filter((l) => l.includes('native backend not available'));
  assert.equal(warnings.length, 1, r.stderr);
  assert.match(warnings[0]!, /pelt_native\.node/);
  assert.match(warnings[0]!, /build:native/);
});

test("PELT_BACKEND=native without the addon fails with code 'native' and the reason", () => {
  const dir = copyWithoutAddon();
  writeFileSync(join(dir, 'probe.ts'), `
import { setBackend } from './src/tensor/index.ts';
try { setBackend('native'); console.log('no error'); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'probe.ts'], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.code, 'native');
  assert.match(out.message, /native backend unavailable: .*pelt_native\.node/);
});
