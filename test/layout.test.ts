// Holds the dependency direction of design.md: a folder of src/ imports only from folders listed above it
// (util < tensor < nn < optim, io, tokenizers < models < methods, data < train < experiments < cli).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const RANK: Record<string, number> = {
  util: 0, tensor: 1, nn: 2, optim: 3, io: 3, tokenizers: 3, models: 4, methods: 5, data: 5, train: 6, experiments: 7, cli: 8,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const top = (p: string) => relative(src, p).split(/[\\/]/)[0]!;

test('src/ imports follow the layer order', () => {
  const bad: string[] = [];
  for (const f of files(src)) {
    const from = top(f);
    if (!(from in RANK)) continue; // index.ts at the root re-exports everything
    for (const m of readFileSync(f, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+['"](\.[^'"]+)['"]/gm)) {
      const to = top(resolve(dirname(f), m[1]!));
      if (to === from || !(to in RANK)) continue;
      if (RANK[to]! >= RANK[from]!) bad.push(`${relative(src, f)} imports ${m[1]} (${from} may not depend on ${to})`);
    }
  }
  assert.deepEqual(bad, []);
});

test('the check itself sees a violation', () => {
  assert.ok(RANK.tensor! >= RANK.util! && RANK.models! > RANK.io!);
  const fake = 'import { x } from "../models/bert/model.ts";';
  const m = /from\s+['"](\.[^'"]+)['"]/.exec(fake)!;
  assert.equal(top(resolve(join(src, 'tensor'), m[1]!)), 'models');
});
